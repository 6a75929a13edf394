// The `optim` namespace, like torch.optim.

export { Optimizer } from './optimizer.js'
export type { OptimizerStateDict, ParamGroup, ParamsArg } from './optimizer.js'
export { SGD } from './sgd.js'
export type { SGDOptions } from './sgd.js'
export { Adam, AdamW } from './adam.js'
export type { AdamOptions } from './adam.js'
export { RMSprop } from './rmsprop.js'
export type { RMSpropOptions } from './rmsprop.js'
export * as lrScheduler from './lr_scheduler.js'

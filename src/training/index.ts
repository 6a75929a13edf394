export { fit } from './fit.js'
export type { FitOptions, FitResult, EpochLog, BatchLog, EarlyStopping, Batches, Forwardable } from './fit.js'

// The `data` namespace: datasets, loaders, windows and splits.

export { TensorDataset, Subset } from './dataset.js'
export type { Dataset } from './dataset.js'
export { DataLoader } from './dataloader.js'
export type { DataLoaderOptions } from './dataloader.js'
export { createSequences } from './windows.js'
export { WindowDataset } from './window_dataset.js'
export type { WindowOptions } from './window_dataset.js'
export type { SequenceOptions } from './windows.js'
export { randomSplit, trainTestSplit } from './split.js'
export type { TrainTestOptions } from './split.js'

// seqtorch: PyTorch-style sequence modelling for TypeScript. Re-exports the facade; no logic here.

export {
  Tensor,
  tensor,
  zeros,
  ones,
  full,
  zerosLike,
  onesLike,
  randn,
  rand,
  randint,
  arange,
  linspace,
  cat,
  stack,
} from './src/tensor.js'
export type { DType, NestedArray, TypedData, TensorOptions, TensorDataOptions, BackwardOptions, SizeAndOptions } from './src/tensor.js'
export { noGrad, enableGrad, isGradEnabled } from './src/autograd.js'
export { manualSeed } from './src/random.js'
export { setNumThreads, getNumThreads } from './src/threads.js'
export { setFloat32MatmulPrecision, getFloat32MatmulPrecision, cpuBf16Supported } from './src/precision.js'
export type { MatmulPrecision } from './src/precision.js'
export { setMemoryLimit, getMemoryLimit } from './src/memory.js'
export { cuda, availableDevices } from './src/device.js'
export { ErrorCode } from './src/errors.js'
export type { Device, CudaStatus, CudaMemoryStats } from './src/device.js'
export { save, load, loadMetadata } from './src/io/safetensors.js'
export type { TensorDict } from './src/io/safetensors.js'
export { fit } from './src/training/index.js'
export type { FitOptions, FitResult, EpochLog, BatchLog, EarlyStopping, Batches, Forwardable } from './src/training/index.js'
export * as nn from './src/nn/index.js'
export * as optim from './src/optim/index.js'
export * as data from './src/data/index.js'
export * as preprocessing from './src/preprocessing/index.js'
export * as text from './src/text/index.js'
export * as plot from './src/plot/index.js'

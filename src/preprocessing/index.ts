// The `preprocessing` namespace: scikit-learn-style scalers.

export { MinMaxScaler, StandardScaler } from './scalers.js'
export type { MinMaxScalerJSON, StandardScalerJSON, Input as ScalerInput } from './scalers.js'

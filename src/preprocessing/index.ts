// The `preprocessing` namespace: scikit-learn-style scalers.

export { MinMaxScaler, StandardScaler } from './scalers.js'
export type { MinMaxScalerJSON, StandardScalerJSON } from './scalers.js'

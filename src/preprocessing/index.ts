// The `preprocessing` namespace: scikit-learn-style scalers.

export { MinMaxScaler, StandardScaler } from './scalers.js'

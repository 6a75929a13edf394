// scikit-learn's MinMaxScaler and StandardScaler: per-column statistics in float64, constant
// columns handled like sklearn (a zero range or variance scales by 1), JSON round trip so a
// saved model can carry its scaler.

import { native } from '../native.js'
import { tensor, Tensor } from '../tensor.js'

type Input = Tensor | readonly (readonly number[])[]

function asTensor(x: Input): Tensor {
  if (x instanceof Tensor) return x
  if (!Array.isArray(x)) throw new TypeError('expected a 2-D Tensor or an array of rows')
  return tensor(x as number[][])
}

function notFitted(name: string): Error {
  return new Error(`This ${name} instance is not fitted yet. Call 'fit' with appropriate arguments before using this estimator.`)
}

/** Scales each column to `featureRange` (default [0, 1]) using the fitted minimum and maximum. */
export class MinMaxScaler {
  readonly featureRange: [number, number]
  readonly clip: boolean
  dataMin: number[] | null = null
  dataMax: number[] | null = null
  dataRange: number[] | null = null
  scale: number[] | null = null
  min: number[] | null = null
  nSamplesSeen = 0

  constructor(options: { featureRange?: [number, number]; clip?: boolean } = {}) {
    const range = options.featureRange ?? [0, 1]
    if (!Array.isArray(range) || range.length !== 2 || !(range[0] < range[1])) {
      throw new Error(`Minimum of desired feature range must be smaller than maximum. Got (${String(range)}).`)
    }
    this.featureRange = [range[0], range[1]]
    this.clip = options.clip ?? false
  }

  fit(x: Input): this {
    const s = native.columnStats(asTensor(x)._h)
    const [lo, hi] = this.featureRange
    this.dataMin = s.min
    this.dataMax = s.max
    this.dataRange = s.max.map((m, j) => m - (s.min[j] as number))
    this.scale = this.dataRange.map((r) => (hi - lo) / (r === 0 ? 1 : r))
    this.min = s.min.map((m, j) => lo - m * (this.scale![j] as number))
    this.nSamplesSeen = s.samples
    return this
  }

  transform(x: Input): Tensor {
    if (!this.scale || !this.min) throw notFitted('MinMaxScaler')
    return new Tensor(native.columnsMulAdd(asTensor(x)._h, this.scale, this.min, this.clip ? this.featureRange : null))
  }

  fitTransform(x: Input): Tensor {
    return this.fit(x).transform(x)
  }

  inverseTransform(x: Input): Tensor {
    if (!this.scale || !this.min) throw notFitted('MinMaxScaler')
    return new Tensor(native.columnsSubDiv(asTensor(x)._h, this.min, this.scale))
  }

  toJSON(): object {
    return {
      type: 'MinMaxScaler',
      featureRange: this.featureRange,
      clip: this.clip,
      dataMin: this.dataMin,
      dataMax: this.dataMax,
      nSamplesSeen: this.nSamplesSeen,
    }
  }

  static fromJSON(json: { featureRange: [number, number]; clip?: boolean; dataMin: number[] | null; dataMax: number[] | null; nSamplesSeen?: number }): MinMaxScaler {
    const s = new MinMaxScaler({ featureRange: json.featureRange, clip: json.clip ?? false })
    if (json.dataMin && json.dataMax) {
      const [lo, hi] = s.featureRange
      s.dataMin = [...json.dataMin]
      s.dataMax = [...json.dataMax]
      s.dataRange = s.dataMax.map((m, j) => m - (s.dataMin![j] as number))
      s.scale = s.dataRange.map((r) => (hi - lo) / (r === 0 ? 1 : r))
      s.min = s.dataMin.map((m, j) => lo - m * (s.scale![j] as number))
      s.nSamplesSeen = json.nSamplesSeen ?? 0
    }
    return s
  }
}

/** Centres each column on its mean and scales it to unit (population) variance. */
export class StandardScaler {
  readonly withMean: boolean
  readonly withStd: boolean
  mean: number[] | null = null
  var: number[] | null = null
  scale: number[] | null = null
  nSamplesSeen = 0

  constructor(options: { withMean?: boolean; withStd?: boolean } = {}) {
    this.withMean = options.withMean ?? true
    this.withStd = options.withStd ?? true
  }

  fit(x: Input): this {
    const s = native.columnStats(asTensor(x)._h)
    this.mean = this.withMean ? s.mean : null
    this.var = this.withStd ? s.var : null
    this.scale = this.withStd ? s.var.map((v) => (v === 0 ? 1 : Math.sqrt(v))) : null
    this.nSamplesSeen = s.samples
    this.features = s.mean.length
    return this
  }

  private features = 0

  private params(): [number[], number[]] {
    if (!this.nSamplesSeen) throw notFitted('StandardScaler')
    const n = this.features
    return [this.mean ?? new Array<number>(n).fill(0), this.scale ?? new Array<number>(n).fill(1)]
  }

  transform(x: Input): Tensor {
    const [mean, scale] = this.params()
    return new Tensor(native.columnsSubDiv(asTensor(x)._h, mean, scale))
  }

  fitTransform(x: Input): Tensor {
    return this.fit(x).transform(x)
  }

  inverseTransform(x: Input): Tensor {
    const [mean, scale] = this.params()
    return new Tensor(native.columnsMulAdd(asTensor(x)._h, scale, mean, null))
  }

  toJSON(): object {
    return { type: 'StandardScaler', withMean: this.withMean, withStd: this.withStd, mean: this.mean, var: this.var, nSamplesSeen: this.nSamplesSeen, features: this.features }
  }

  static fromJSON(json: { withMean?: boolean; withStd?: boolean; mean: number[] | null; var: number[] | null; nSamplesSeen: number; features: number }): StandardScaler {
    const s = new StandardScaler({ withMean: json.withMean ?? true, withStd: json.withStd ?? true })
    s.mean = json.mean ? [...json.mean] : null
    s.var = json.var ? [...json.var] : null
    s.scale = s.var ? s.var.map((v) => (v === 0 ? 1 : Math.sqrt(v))) : null
    s.nSamplesSeen = json.nSamplesSeen
    s.features = json.features
    return s
  }
}

// scikit-learn's MinMaxScaler and StandardScaler: per-column statistics in float64, constant
// columns handled like sklearn (a range below 10 machine epsilons, or a variance within the
// rounding error of its computation, scales by 1), JSON round trip so a saved model can carry
// its scaler. `fromJSON` validates everything before building anything.

import { native } from '../native.js'
import { tensor, Tensor } from '../tensor.js'
import * as v from '../validate.js'

/** What scalers accept: a tensor, or rows of numbers. */
export type Input = Tensor | readonly (readonly number[])[]

function asTensor(op: string, x: Input): Tensor {
  if (x instanceof Tensor) return x
  if (!Array.isArray(x)) throw new TypeError(`${op}(): expected a 2-D Tensor or an array of rows, got ${v.describe(x)}`)
  return tensor(x as number[][])
}

function notFitted(name: string): Error {
  return new Error(`This ${name} instance is not fitted yet. Call 'fit' with appropriate arguments before using this estimator.`)
}

/** sklearn's `_handle_zeros_in_scale`: ranges below 10 float64 epsilons count as zero. */
function rangeScale(range: number): number {
  return range < 10 * Number.EPSILON ? 1 : range
}

/**
 * sklearn's `_is_constant_feature`: a variance no larger than the rounding error of computing
 * it over `n` samples means the column is constant.
 */
function isConstantFeature(variance: number, mean: number, n: number): boolean {
  const eps = Number.EPSILON
  const upper = n * eps * variance + (n * mean * eps) ** 2
  return variance <= upper
}

const finiteArray = v.array(v.number())

/** What `MinMaxScaler.toJSON()` writes. */
export interface MinMaxScalerJSON {
  type?: 'MinMaxScaler'
  featureRange: [number, number]
  clip?: boolean
  dataMin: number[] | null
  dataMax: number[] | null
  nSamplesSeen?: number
}

/** What `StandardScaler.toJSON()` writes. */
export interface StandardScalerJSON {
  type?: 'StandardScaler'
  withMean?: boolean
  withStd?: boolean
  mean: number[] | null
  var: number[] | null
  nSamplesSeen: number
  features: number
}

const MINMAX_OPTIONS = {
  featureRange: v.array(v.number(), { length: 2 }),
  clip: v.bool,
}

/**
 * Scales each column to `featureRange` (default [0, 1]) using the fitted minimum and maximum.
 * Like scikit-learn's `MinMaxScaler`: `fit` learns each column's range, `transform` maps it to
 * `featureRange`, `inverseTransform` maps predictions back; `toJSON`/`fromJSON` keep a fitted
 * scaler with a model. A 1-D input is one column.
 * @example
 * ```ts
 * import { preprocessing, tensor } from 'seqtorch'
 * const scaler = new preprocessing.MinMaxScaler()
 * const scaled = scaler.fitTransform(tensor([[10], [20], [30]])) // [[0], [0.5], [1]]
 * const back = scaler.inverseTransform(tensor([[0.25]])) // [[15]]
 * const restored = preprocessing.MinMaxScaler.fromJSON(JSON.parse(JSON.stringify(scaler)))
 * ```
 */
export class MinMaxScaler {
  /**
   * The target range of each column (default [0, 1]).
   */
  readonly featureRange: [number, number]
  /**
   * Whether transformed values are clipped to `featureRange` (default false).
   */
  readonly clip: boolean
  /**
   * Each column's minimum seen by `fit`, or null before fitting.
   */
  dataMin: number[] | null = null
  /**
   * Each column's maximum seen by `fit`, or null before fitting.
   */
  dataMax: number[] | null = null
  /**
   * `dataMax - dataMin` per column, or null before fitting.
   */
  dataRange: number[] | null = null
  /**
   * The factor applied per column (scikit-learn's `scale_`), or null before fitting.
   */
  scale: number[] | null = null
  /**
   * The offset added per column after scaling (scikit-learn's `min_`), or null before fitting.
   */
  min: number[] | null = null
  /**
   * Rows seen by `fit`.
   */
  nSamplesSeen = 0

  constructor(options?: { featureRange?: [number, number]; clip?: boolean }) {
    const o = v.options('MinMaxScaler', options, MINMAX_OPTIONS)
    const range = o.featureRange ?? [0, 1]
    if (!((range[0] as number) < (range[1] as number))) {
      throw new Error(`Minimum of desired feature range must be smaller than maximum. Got (${String(range)}).`)
    }
    this.featureRange = [range[0] as number, range[1] as number]
    this.clip = o.clip ?? false
  }

  private setStatistics(dataMin: number[], dataMax: number[], samples: number): void {
    const [lo, hi] = this.featureRange
    this.dataMin = dataMin
    this.dataMax = dataMax
    this.dataRange = dataMax.map((m, j) => m - (dataMin[j] as number))
    this.scale = this.dataRange.map((r) => (hi - lo) / rangeScale(r))
    this.min = dataMin.map((m, j) => lo - m * (this.scale![j] as number))
    this.nSamplesSeen = samples
  }

  /**
   * Learns each column's minimum and maximum; returns this scaler.
   */
  fit(x: Input): this {
    const s = native.columnStats(asTensor('fit', x)._h)
    this.setStatistics(s.min, s.max, s.samples)
    return this
  }

  /**
   * Maps each column into `featureRange` with the fitted statistics.
   */
  transform(x: Input): Tensor {
    if (!this.scale || !this.min) throw notFitted('MinMaxScaler')
    return new Tensor(native.columnsMulAdd(asTensor('transform', x)._h, this.scale, this.min, this.clip ? this.featureRange : null))
  }

  /**
   * `fit(x)` then `transform(x)`.
   */
  fitTransform(x: Input): Tensor {
    return this.fit(x).transform(x)
  }

  /**
   * Maps scaled values back to the original units (for predictions, say).
   */
  inverseTransform(x: Input): Tensor {
    if (!this.scale || !this.min) throw notFitted('MinMaxScaler')
    return new Tensor(native.columnsSubDiv(asTensor('inverseTransform', x)._h, this.min, this.scale))
  }

  /**
   * The settings and fitted statistics as plain JSON (`fromJSON` restores them).
   */
  toJSON(): MinMaxScalerJSON {
    return {
      type: 'MinMaxScaler',
      featureRange: this.featureRange,
      clip: this.clip,
      dataMin: this.dataMin,
      dataMax: this.dataMax,
      nSamplesSeen: this.nSamplesSeen,
    }
  }

  /** Rebuilds a scaler saved by `toJSON()`; a malformed object is rejected as a whole. */
  static fromJSON(json: MinMaxScalerJSON): MinMaxScaler {
    const op = 'MinMaxScaler.fromJSON'
    if (!v.isPlainObject(json)) throw new TypeError(`${op}(): expected an object, got ${v.describe(json)}`)
    if (json.type !== undefined && json.type !== 'MinMaxScaler') throw new TypeError(`${op}(): the object describes a ${v.describe(json.type)}`)
    const s = new MinMaxScaler({ featureRange: json.featureRange, clip: json.clip })
    const dataMin = v.nullable(finiteArray)(json.dataMin ?? null, `${op}(): dataMin`)
    const dataMax = v.nullable(finiteArray)(json.dataMax ?? null, `${op}(): dataMax`)
    if ((dataMin === null) !== (dataMax === null)) throw new TypeError(`${op}(): dataMin and dataMax must both be given or both be null`)
    if (dataMin && dataMax) {
      if (dataMin.length === 0 || dataMin.length !== dataMax.length) {
        throw new RangeError(`${op}(): dataMin and dataMax must have the same non-zero length, got ${dataMin.length} and ${dataMax.length}`)
      }
      dataMin.forEach((m, j) => {
        if (!(m <= (dataMax[j] as number))) throw new RangeError(`${op}(): dataMin[${j}] = ${m} is above dataMax[${j}] = ${dataMax[j]}`)
      })
      const samples = v.optional(v.int({ min: 1 }))(json.nSamplesSeen, `${op}(): nSamplesSeen`) ?? 1
      s.setStatistics(dataMin, dataMax, samples)
    }
    return s
  }
}

const STANDARD_OPTIONS = { withMean: v.bool, withStd: v.bool }

/**
 * Centres each column on its mean and scales it to unit (population) variance.
 * Like scikit-learn's `StandardScaler`: `(x - mean) / std` per column with the population
 * standard deviation; `inverseTransform` undoes it; `toJSON`/`fromJSON` keep it with a model.
 * @example
 * ```ts
 * import { preprocessing, tensor } from 'seqtorch'
 * const scaler = new preprocessing.StandardScaler()
 * const z = scaler.fitTransform(tensor([[1, 100], [3, 300]])) // [[-1, -1], [1, 1]]
 * console.log(scaler.mean, scaler.scale) // [2, 200] [1, 100]
 * ```
 */
export class StandardScaler {
  /**
   * Whether columns are centred on their mean (default true).
   */
  readonly withMean: boolean
  /**
   * Whether columns are divided by their standard deviation (default true).
   */
  readonly withStd: boolean
  /**
   * Each column's mean seen by `fit`, or null (before fitting, or with `withMean: false`).
   */
  mean: number[] | null = null
  /**
   * Each column's population variance seen by `fit`, or null.
   */
  var: number[] | null = null
  /**
   * The divisor per column (the standard deviation; 1 for a constant column), or null.
   */
  scale: number[] | null = null
  /**
   * Rows seen by `fit`.
   */
  nSamplesSeen = 0
  private features = 0

  constructor(options?: { withMean?: boolean; withStd?: boolean }) {
    const o = v.options('StandardScaler', options, STANDARD_OPTIONS)
    this.withMean = o.withMean ?? true
    this.withStd = o.withStd ?? true
  }

  private setStatistics(mean: number[], variance: number[], samples: number): void {
    // As sklearn's mean_: kept unless neither centring nor scaling (it also decides which
    // columns count as constant).
    this.mean = this.withMean || this.withStd ? mean : null
    this.var = this.withStd ? variance : null
    this.scale = this.withStd
      ? variance.map((x, j) => (isConstantFeature(x, mean[j] as number, samples) ? 1 : Math.sqrt(x)))
      : null
    this.nSamplesSeen = samples
    this.features = mean.length
  }

  /**
   * Learns each column's mean and variance; returns this scaler.
   */
  fit(x: Input): this {
    const s = native.columnStats(asTensor('fit', x)._h)
    this.setStatistics(s.mean, s.var, s.samples)
    return this
  }

  private params(): [number[], number[]] {
    if (!this.nSamplesSeen) throw notFitted('StandardScaler')
    const n = this.features
    const mean = this.withMean && this.mean ? this.mean : new Array<number>(n).fill(0)
    return [mean, this.scale ?? new Array<number>(n).fill(1)]
  }

  /**
   * Standardises each column with the fitted statistics.
   */
  transform(x: Input): Tensor {
    const [mean, scale] = this.params()
    return new Tensor(native.columnsSubDiv(asTensor('transform', x)._h, mean, scale))
  }

  /**
   * `fit(x)` then `transform(x)`.
   */
  fitTransform(x: Input): Tensor {
    return this.fit(x).transform(x)
  }

  /**
   * Maps standardised values back to the original units.
   */
  inverseTransform(x: Input): Tensor {
    const [mean, scale] = this.params()
    return new Tensor(native.columnsMulAdd(asTensor('inverseTransform', x)._h, scale, mean, null))
  }

  /**
   * The settings and fitted statistics as plain JSON (`fromJSON` restores them).
   */
  toJSON(): StandardScalerJSON {
    return { type: 'StandardScaler', withMean: this.withMean, withStd: this.withStd, mean: this.mean, var: this.var, nSamplesSeen: this.nSamplesSeen, features: this.features }
  }

  /** Rebuilds a scaler saved by `toJSON()`; a malformed object is rejected as a whole. */
  static fromJSON(json: StandardScalerJSON): StandardScaler {
    const op = 'StandardScaler.fromJSON'
    if (!v.isPlainObject(json)) throw new TypeError(`${op}(): expected an object, got ${v.describe(json)}`)
    if (json.type !== undefined && json.type !== 'StandardScaler') throw new TypeError(`${op}(): the object describes a ${v.describe(json.type)}`)
    const s = new StandardScaler({ withMean: json.withMean, withStd: json.withStd })
    const samples = v.int({ min: 0 })(json.nSamplesSeen, `${op}(): nSamplesSeen`)
    if (samples === 0) return s
    const features = v.int({ min: 1 })(json.features, `${op}(): features`)
    const sized = (name: string, x: unknown, need: boolean): number[] | null => {
      const arr = v.nullable(finiteArray)(x ?? null, `${op}(): ${name}`)
      if (arr === null) {
        if (need) throw new TypeError(`${op}(): ${name} is required`)
        return null
      }
      if (arr.length !== features) throw new RangeError(`${op}(): ${name} has ${arr.length} values, but features is ${features}`)
      return arr
    }
    const mean = sized('mean', json.mean, s.withMean || s.withStd) ?? new Array<number>(features).fill(0)
    const variance = sized('var', json.var, s.withStd) ?? new Array<number>(features).fill(1)
    variance.forEach((x, j) => {
      if (x < 0) throw new RangeError(`${op}(): var[${j}] = ${x} is negative`)
    })
    s.setStatistics(mean, variance, samples)
    return s
  }
}

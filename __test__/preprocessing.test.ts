import { readFileSync } from 'node:fs'

import { describe, expect, test } from 'vitest'

import { preprocessing, tensor, Tensor } from '../index.js'

interface ScalerCase {
  name: string
  options: { type: 'MinMaxScaler' | 'StandardScaler'; featureRange?: [number, number]; clip?: boolean; withMean?: boolean }
  fit: number[][]
  new: number[][]
  fitTransform: number[][]
  transform: number[][]
  inverse: number[][]
  attrs: Record<string, number[]>
}

const { cases } = JSON.parse(readFileSync(new URL('./fixtures/scalers.json', import.meta.url), 'utf8')) as { cases: ScalerCase[] }

function near(actual: Tensor, expected: number[][], what: string): void {
  const a = actual.toArray() as number[][]
  expected.forEach((row, i) =>
    row.forEach((e, j) => expect(Math.abs(a[i]![j]! - e), `${what} [${i}, ${j}]`).toBeLessThanOrEqual(1e-5 + 1e-5 * Math.abs(e))),
  )
}

function make(o: ScalerCase['options']) {
  return o.type === 'MinMaxScaler'
    ? new preprocessing.MinMaxScaler({ featureRange: o.featureRange, clip: o.clip })
    : new preprocessing.StandardScaler({ withMean: o.withMean })
}

describe('scalers match scikit-learn (including a constant column)', () => {
  test.each(cases.map((c) => [c.name, c] as const))('%s', (_, c) => {
    const s = make(c.options)
    near(s.fitTransform(tensor(c.fit)), c.fitTransform, 'fitTransform')
    near(s.transform(c.new), c.transform, 'transform')
    near(s.inverseTransform(tensor(c.new)), c.inverse, 'inverseTransform')
    if (s instanceof preprocessing.MinMaxScaler) {
      expect(s.dataMin!.map((v, j) => Math.abs(v - c.attrs['data_min_']![j]!) < 1e-6)).toEqual([true, true, true])
      expect(s.scale!.map((v, j) => Math.abs(v - c.attrs['scale_']![j]!) < 1e-6 * Math.abs(v))).toEqual([true, true, true])
    } else if (c.attrs['var_']) {
      expect(s.var!.map((v, j) => Math.abs(v - c.attrs['var_']![j]!) < 1e-9 + 1e-6 * v)).toEqual([true, true, true])
    }
    // A JSON round trip keeps the fitted state.
    const Ctor = s instanceof preprocessing.MinMaxScaler ? preprocessing.MinMaxScaler : preprocessing.StandardScaler
    const back = (Ctor as unknown as { fromJSON(j: unknown): typeof s }).fromJSON(JSON.parse(JSON.stringify(s)))
    near(back.transform(c.new), c.transform, 'after JSON')
  })

  test("scikit-learn's errors", () => {
    expect(() => new preprocessing.MinMaxScaler().transform([[1]])).toThrow('This MinMaxScaler instance is not fitted yet')
    expect(() => new preprocessing.MinMaxScaler({ featureRange: [1, 0] })).toThrow('Minimum of desired feature range must be smaller than maximum')
    expect(() => new preprocessing.StandardScaler().fit(tensor([1, 2, 3]))).toThrow('Expected 2D array, got 1D array instead')
    const s = new preprocessing.MinMaxScaler().fit([[1, 2], [3, 4]])
    expect(() => s.transform([[1, 2, 3]])).toThrow('X has 3 features, but the scaler is expecting 2 features as input.')
  })
})

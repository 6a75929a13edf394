// Tolerance checks against PyTorch fixtures: |actual - expected| <= atol + rtol * |expected|.

import { expect } from 'vitest'

import { Tensor } from '../../index.js'

export interface Dumped {
  shape: number[]
  data: number[]
}

export function expectClose(actual: Tensor | null, expected: Dumped, what: string, atol = 1e-4, rtol = 1e-3): void {
  expect(actual, `${what}: missing`).not.toBeNull()
  const a = actual as Tensor
  expect(a.shape, `${what}: shape`).toEqual(expected.shape)
  const values = a.data()
  let worst = 0
  let worstAt = -1
  expected.data.forEach((e, i) => {
    const excess = Math.abs((values[i] as number) - e) - (atol + rtol * Math.abs(e))
    if (excess > worst) {
      worst = excess
      worstAt = i
    }
  })
  expect(worstAt, `${what}: element ${worstAt} is ${values[worstAt]}, PyTorch gives ${expected.data[worstAt]}`).toBe(-1)
}

import { afterAll, expect, test } from 'vitest'

import { getNumThreads, manualSeed, randn, setNumThreads } from '../index.js'

const initial = getNumThreads()
afterAll(() => setNumThreads(initial))

test('setNumThreads resizes the pool and results do not depend on it', () => {
  expect(initial).toBeGreaterThanOrEqual(1)
  manualSeed(3)
  const a = randn(300, 200)
  const b = randn(200, 250)
  setNumThreads(1)
  expect(getNumThreads()).toBe(1)
  const one = a.matmul(b).tanh().sum(1).data()
  setNumThreads(2)
  expect(getNumThreads()).toBe(2)
  const two = a.matmul(b).tanh().sum(1).data()
  expect(two.length).toBe(one.length)
  for (let i = 0; i < one.length; i++) expect(Math.abs((two[i] as number) - (one[i] as number))).toBeLessThan(1e-4)
})

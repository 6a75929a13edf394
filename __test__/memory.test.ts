import { expect, test } from 'vitest'

import { ones, zeros } from '../index.js'

const MiB = 1024 * 1024

test('garbage collection frees native tensors in a long loop (native bytes reported to V8)', () => {
  const before = process.memoryUsage().rss
  let peak = before
  let checksum = 0
  for (let i = 0; i < 20_000; i++) {
    // 16384 float32 = 64 KiB per tensor, three per iteration: 3.75 GiB if nothing were freed.
    const a = ones(16_384)
    const b = a.mul(2).add(a)
    if (i % 1000 === 0) {
      checksum += b.sum().item()
      peak = Math.max(peak, process.memoryUsage().rss)
    }
  }
  peak = Math.max(peak, process.memoryUsage().rss)
  expect(checksum).toBe(20 * 3 * 16_384)
  expect((peak - before) / MiB).toBeLessThan(400)
})

test('arrays read out of tensors are freed inside a synchronous loop', () => {
  // data() and its siblings hand back memory V8 owns and collects itself. An external buffer
  // (native memory lent to JavaScript) is released by a finalizer that Node defers to the event
  // loop, so a loop that never yields kept every array it read: 4 GiB here.
  const t = ones(65_536) // 256 KiB of float32
  const i = ones(8_192).to('int64') // 64 KiB of int64
  const before = process.memoryUsage().rss
  let peak = before
  let checksum = 0
  for (let k = 0; k < 12_000; k++) {
    const a = t.data()
    const b = i.data()
    const c = i.toBigInt64Array()
    checksum += (a[k] as number) + (b[0] as number) + Number(c[1])
    if (k % 500 === 0) peak = Math.max(peak, process.memoryUsage().rss)
  }
  peak = Math.max(peak, process.memoryUsage().rss)
  expect(checksum).toBe(3 * 12_000)
  expect((peak - before) / MiB).toBeLessThan(600)
})

test('dispose() frees early and is idempotent', () => {
  const t = zeros(1024, 1024)
  t.dispose()
  t.dispose()
  expect(t.disposed).toBe(true)
  expect(() => t.sum()).toThrow(/disposed/)
})

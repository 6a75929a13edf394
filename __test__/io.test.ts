import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

import { describe, expect, test } from 'vitest'

import { load, loadMetadata, nn, randn, save, tensor } from '../index.js'
import { expectClose, type Dumped } from './helpers/compare.js'

const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url).pathname

describe('safetensors checkpoints', () => {
  test('a PyTorch LSTM state dict loads unchanged and gives PyTorch outputs', async () => {
    const ref = JSON.parse(readFileSync(fixture('lstm.json'), 'utf8')) as {
      options: { inputSize: number; hiddenSize: number; numLayers: number; batchFirst: boolean; bidirectional: boolean }
      input: Dumped
      output: Dumped
      hN: Dumped
      cN: Dumped
    }
    const o = ref.options
    const lstm = new nn.LSTM(o.inputSize, o.hiddenSize, { numLayers: o.numLayers, batchFirst: o.batchFirst, bidirectional: o.bidirectional })
    lstm.loadStateDict(await load(fixture('lstm.safetensors')))
    const [out, [h, c]] = lstm.forward(tensor(ref.input.data, { shape: ref.input.shape }))
    expectClose(out, ref.output, 'output', 1e-5, 1e-4)
    expectClose(h, ref.hN, 'hN', 1e-5, 1e-4)
    expectClose(c, ref.cN, 'cN', 1e-5, 1e-4)
    expect(await loadMetadata(fixture('lstm.safetensors'))).toEqual({ format: 'pt' })
  })

  test('dtypes PyTorch writes are converted', async () => {
    const t = await load(fixture('dtypes.safetensors'))
    expect(t['f16']!.toArray()).toEqual([1.5, -2, 65504])
    expect(t['bf16']!.dtype).toBe('float32')
    expect(t['f64']!.shape).toEqual([1, 2])
    expect(t['i32']!.toArray()).toEqual([-7, 8])
    expect(t['i64']!.toArray()).toEqual([2 ** 40, -1])
    expect(t['u8']!.toArray()).toEqual([0, 255])
    expect(t['bool']!.toArray()).toEqual([1, 0])
  })

  test('round trip, atomic replace, and clear errors for bad files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'seqtorch-io-'))
    const path = join(dir, 'model.safetensors')
    const gru = new nn.GRU(3, 4, { numLayers: 2 })
    await save(gru.stateDict(), path)
    const again = new nn.GRU(3, 4, { numLayers: 2 })
    again.loadStateDict(await load(path))
    const x = randn(5, 2, 3)
    expect(again.forward(x)[0].toArray()).toEqual(gru.forward(x)[0].toArray())
    await save({ only: tensor([1, 2]) }, path)
    expect(Object.keys(await load(path))).toEqual(['only'])
    expect(readdirSync(dir)).toEqual(['model.safetensors'])

    const bytes = readFileSync(path)
    writeFileSync(join(dir, 'cut.safetensors'), bytes.subarray(0, bytes.length - 3))
    await expect(load(join(dir, 'cut.safetensors'))).rejects.toThrow('is not a valid safetensors file')
    const hostile = Buffer.alloc(16)
    hostile.writeBigUInt64LE(2n ** 60n)
    writeFileSync(join(dir, 'hostile.safetensors'), hostile)
    await expect(load(join(dir, 'hostile.safetensors'))).rejects.toThrow('is not a valid safetensors file')
    await expect(load(join(dir, 'missing.safetensors'))).rejects.toThrow('cannot read')
    await expect(save({ a: 'x' } as never, path)).rejects.toThrow("'a' is not a Tensor")
    await expect(save({ a: tensor([1]) }, join(dir, 'no/such/dir/m.safetensors'))).rejects.toThrow('cannot write')
  })
})

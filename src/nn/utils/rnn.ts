// Variable-length batches for recurrent layers: PyTorch's torch.nn.utils.rnn.

import { native } from '../../native.js'
import { cat, full, stack, tensor, Tensor } from '../../tensor.js'
import * as v from '../../validate.js'

/**
 * A batch of variable-length sequences packed step by step (PyTorch's `PackedSequence`).
 * `data` holds the rows of every step's active sequences; `batchSizes[t]` says how many.
 * Recurrent layers accept it directly and return one.
 * A batch of variable-length sequences packed time step by time step (PyTorch's
 * `PackedSequence`): recurrent layers skip the padding entirely. Make one with
 * `packPaddedSequence` or `packSequence`; `padPackedSequence` turns a layer's packed output back.
 * @example
 * ```ts
 * import { nn, randn } from 'seqtorch'
 * const packed = nn.utils.rnn.packSequence([randn(4, 2), randn(2, 2), randn(1, 2)])
 * console.log(packed.data.shape, packed.batchSizes.toArray()) // [7, 2] [3, 2, 1, 1]
 * ```
 */
export class PackedSequence {
  /**
   * The steps of all sequences, [sum of lengths, *], time-major.
   */
  readonly data: Tensor
  /**
   * How many sequences are still running at each time step (int64, on the CPU).
   */
  readonly batchSizes: Tensor
  /**
   * The permutation that sorted the batch by decreasing length, or null if it was sorted.
   */
  readonly sortedIndices: Tensor | null
  /**
   * The inverse of `sortedIndices`, or null.
   */
  readonly unsortedIndices: Tensor | null

  constructor(data: Tensor, batchSizes: Tensor, sortedIndices: Tensor | null = null, unsortedIndices: Tensor | null = null) {
    const op = 'PackedSequence'
    this.data = v.arg(op, 'data', data, v.instance(Tensor, 'a Tensor'))
    this.batchSizes = v.arg(op, 'batch_sizes', batchSizes, v.instance(Tensor, 'a Tensor'))
    if (batchSizes.ndim !== 1 || batchSizes.dtype !== 'int64') throw new TypeError(`${op}(): batch_sizes must be a 1-D int64 tensor`)
    for (const [name, t] of [['sorted_indices', sortedIndices], ['unsorted_indices', unsortedIndices]] as const) {
      if (t !== null && (!(t instanceof Tensor) || t.ndim !== 1 || t.dtype !== 'int64')) {
        throw new TypeError(`${op}(): ${name} must be null or a 1-D int64 tensor, got ${v.describe(t)}`)
      }
    }
    this.sortedIndices = sortedIndices
    this.unsortedIndices = unsortedIndices
  }

  /** @internal */
  batchSizesArray(): number[] {
    return Array.from(this.batchSizes.data())
  }
}

function lengthsArray(lengths: Tensor | readonly number[]): number[] {
  if (!(lengths instanceof Tensor) && !Array.isArray(lengths)) {
    throw new TypeError(`lengths must be a Tensor or an array of integers, got ${v.describe(lengths)}`)
  }
  if (lengths instanceof Tensor && lengths.ndim !== 1) throw new Error(`lengths must be a 1-D tensor, got ${lengths.ndim}-D`)
  const list = lengths instanceof Tensor ? Array.from(lengths.data()) : Array.from(lengths)
  for (const l of list) {
    if (typeof l !== 'number' || !Number.isSafeInteger(l)) throw new TypeError(`lengths must be integers, got ${v.describe(l)}`)
    if (l <= 0) throw new RangeError("Length of all samples has to be greater than 0, but found an element in 'lengths' that is <= 0")
  }
  return list
}

const PACK_OPTIONS = { batchFirst: v.bool, enforceSorted: v.bool }
const PAD_PACKED_OPTIONS = { batchFirst: v.bool, paddingValue: v.number({ infinite: true }), totalLength: v.int({ min: 0 }) }
const PAD_OPTIONS = { batchFirst: v.bool, paddingValue: v.number({ infinite: true }) }

export interface PackOptions {
  batchFirst?: boolean
  /** Require lengths sorted in decreasing order (default true); otherwise the batch is sorted. */
  enforceSorted?: boolean
}

/**
 * Packs a padded batch ([T, B, *], or [B, T, *] with `batchFirst`) given each sequence's length.
 * @example
 * ```ts
 * import { nn, randn } from 'seqtorch'
 * const padded = randn(3, 5, 8) // 3 sequences of up to 5 steps, batch first
 * const packed = nn.utils.rnn.packPaddedSequence(padded, [5, 3, 2], { batchFirst: true })
 * const [out] = new nn.LSTM(8, 16, { batchFirst: true }).forward(packed)
 * const [unpacked, lengths] = nn.utils.rnn.padPackedSequence(out, { batchFirst: true })
 * console.log(unpacked.shape, lengths.toArray()) // [3, 5, 16] [5, 3, 2]
 * ```
 */
export function packPaddedSequence(input: Tensor, lengths: Tensor | readonly number[], options?: PackOptions): PackedSequence {
  if (!(input instanceof Tensor)) throw new TypeError(`packPaddedSequence(): input must be a Tensor, got ${v.describe(input)}`)
  const o = v.options('packPaddedSequence', options, PACK_OPTIONS)
  const batchFirst = o.batchFirst ?? false
  const enforceSorted = o.enforceSorted ?? true
  let lens = lengthsArray(lengths)
  let sortedIndices: Tensor | null = null
  let unsortedIndices: Tensor | null = null
  let x = input
  if (!enforceSorted) {
    const order = lens.map((_, i) => i).sort((a, b) => (lens[b] as number) - (lens[a] as number))
    const inverse = new Array<number>(order.length)
    order.forEach((o, i) => (inverse[o] = i))
    sortedIndices = tensor(order, { dtype: 'int64' })
    unsortedIndices = tensor(inverse, { dtype: 'int64' })
    x = input.indexSelect(batchFirst ? 0 : 1, sortedIndices)
    lens = order.map((o) => lens[o] as number)
  }
  const packed = native.packPadded(x._h, lens, batchFirst)
  return new PackedSequence(new Tensor(packed.data), tensor(packed.batchSizes, { dtype: 'int64' }), sortedIndices, unsortedIndices)
}

export interface PadPackedOptions {
  batchFirst?: boolean
  paddingValue?: number
  /** Pad to this many steps (at least the longest sequence). */
  totalLength?: number
}

/**
 * Inverse of `packPaddedSequence`: `[padded, lengths]`, in the original batch order.
 * @example
 * ```ts
 * import { nn, randn } from 'seqtorch'
 * const packed = nn.utils.rnn.packSequence([randn(3, 4), randn(1, 4)])
 * const [out] = new nn.GRU(4, 6).forward(packed)
 * const [padded, lengths] = nn.utils.rnn.padPackedSequence(out, { totalLength: 5 })
 * console.log(padded.shape, lengths.toArray()) // [5, 2, 6] [3, 1]
 * ```
 */
export function padPackedSequence(sequence: PackedSequence, options?: PadPackedOptions): [Tensor, Tensor] {
  if (!(sequence instanceof PackedSequence)) throw new TypeError(`padPackedSequence(): expected a PackedSequence, got ${v.describe(sequence)}`)
  const o = v.options('padPackedSequence', options, PAD_PACKED_OPTIONS)
  const batchFirst = o.batchFirst ?? false
  const bs = sequence.batchSizesArray()
  let padded = new Tensor(native.padPacked(sequence.data._h, bs, batchFirst, o.paddingValue ?? 0, o.totalLength ?? null))
  let lengths = Array.from({ length: bs[0] ?? 0 }, (_, b) => bs.filter((n) => n > b).length)
  if (sequence.unsortedIndices) {
    const unsorted = Array.from(sequence.unsortedIndices.data())
    padded = padded.indexSelect(batchFirst ? 0 : 1, sequence.unsortedIndices)
    lengths = unsorted.map((i) => lengths[i] as number)
  }
  return [padded, tensor(lengths, { dtype: 'int64' })]
}

export interface PadSequenceOptions {
  batchFirst?: boolean
  paddingValue?: number
}

/**
 * Stacks sequences of shape [L_i, *] into [maxL, B, *] (or [B, maxL, *]), padding the ends.
 * @example
 * ```ts
 * import { nn, tensor } from 'seqtorch'
 * const padded = nn.utils.rnn.padSequence([tensor([1, 2, 3]), tensor([4])], { batchFirst: true, paddingValue: -1 })
 * console.log(padded.toArray()) // [[1, 2, 3], [4, -1, -1]]
 * ```
 */
export function padSequence(sequences: readonly Tensor[], options?: PadSequenceOptions): Tensor {
  if (!Array.isArray(sequences) || sequences.length === 0) throw new TypeError(`padSequence(): expected a non-empty array of Tensors, got ${v.describe(sequences)}`)
  const o = v.options('padSequence', options, PAD_OPTIONS)
  sequences.forEach((s, i) => {
    if (!(s instanceof Tensor) || s.ndim === 0) throw new TypeError(`padSequence(): sequences[${i}] must be a Tensor with at least one dimension, got ${v.describe(s)}`)
  })
  const maxLen = sequences.reduce((m, s) => Math.max(m, s.shape[0] as number), 0)
  const padded = sequences.map((s) => {
    const missing = maxLen - (s.shape[0] as number)
    return missing === 0 ? s : cat([s, full([missing, ...s.shape.slice(1)], o.paddingValue ?? 0, { dtype: s.dtype })], 0)
  })
  return stack(padded, o.batchFirst ? 0 : 1)
}

/**
 * Packs a list of sequences ([L_i, *]); sorted by decreasing length unless `enforceSorted: false`.
 * @example
 * ```ts
 * import { nn, randn } from 'seqtorch'
 * const packed = nn.utils.rnn.packSequence([randn(2, 3), randn(4, 3)], { enforceSorted: false })
 * const [out, hN] = new nn.RNN(3, 5).forward(packed)
 * ```
 */
export function packSequence(sequences: readonly Tensor[], options?: { enforceSorted?: boolean }): PackedSequence {
  const o = v.options('packSequence', options, { enforceSorted: v.bool })
  const padded = padSequence(sequences)
  const lengths = sequences.map((s) => s.shape[0] as number)
  return packPaddedSequence(padded, lengths, { enforceSorted: o.enforceSorted ?? true })
}

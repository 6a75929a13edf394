// Variable-length batches for recurrent layers: PyTorch's torch.nn.utils.rnn.

import { native } from '../../native.js'
import { cat, full, stack, tensor, Tensor } from '../../tensor.js'

/**
 * A batch of variable-length sequences packed step by step (PyTorch's `PackedSequence`).
 * `data` holds the rows of every step's active sequences; `batchSizes[t]` says how many.
 * Recurrent layers accept it directly and return one.
 */
export class PackedSequence {
  constructor(
    readonly data: Tensor,
    readonly batchSizes: Tensor,
    readonly sortedIndices: Tensor | null = null,
    readonly unsortedIndices: Tensor | null = null,
  ) {}

  /** @internal */
  batchSizesArray(): number[] {
    return Array.from(this.batchSizes.data())
  }
}

function lengthsArray(lengths: Tensor | readonly number[]): number[] {
  const list = lengths instanceof Tensor ? Array.from(lengths.data()) : Array.from(lengths)
  for (const l of list) {
    if (typeof l !== 'number' || !Number.isInteger(l)) throw new TypeError(`lengths must be integers, got ${String(l)}`)
  }
  return list
}

export interface PackOptions {
  batchFirst?: boolean
  /** Require lengths sorted in decreasing order (default true); otherwise the batch is sorted. */
  enforceSorted?: boolean
}

/** Packs a padded batch ([T, B, *], or [B, T, *] with `batchFirst`) given each sequence's length. */
export function packPaddedSequence(input: Tensor, lengths: Tensor | readonly number[], options: PackOptions = {}): PackedSequence {
  if (!(input instanceof Tensor)) throw new TypeError('packPaddedSequence(): input must be a Tensor')
  const batchFirst = Boolean(options.batchFirst)
  const enforceSorted = options.enforceSorted ?? true
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

/** Inverse of `packPaddedSequence`: `[padded, lengths]`, in the original batch order. */
export function padPackedSequence(sequence: PackedSequence, options: PadPackedOptions = {}): [Tensor, Tensor] {
  if (!(sequence instanceof PackedSequence)) throw new TypeError('padPackedSequence(): expected a PackedSequence')
  const batchFirst = Boolean(options.batchFirst)
  const bs = sequence.batchSizesArray()
  let padded = new Tensor(
    native.padPacked(sequence.data._h, bs, batchFirst, options.paddingValue ?? 0, options.totalLength ?? null),
  )
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

/** Stacks sequences of shape [L_i, *] into [maxL, B, *] (or [B, maxL, *]), padding the ends. */
export function padSequence(sequences: readonly Tensor[], options: PadSequenceOptions = {}): Tensor {
  if (!Array.isArray(sequences) || sequences.length === 0) throw new TypeError('padSequence(): expected a non-empty array of Tensors')
  const maxLen = Math.max(...sequences.map((s) => s.shape[0] ?? 0))
  const padded = sequences.map((s) => {
    const missing = maxLen - (s.shape[0] as number)
    return missing === 0 ? s : cat([s, full([missing, ...s.shape.slice(1)], options.paddingValue ?? 0)], 0)
  })
  return stack(padded, options.batchFirst ? 0 : 1)
}

/** Packs a list of sequences ([L_i, *]); sorted by decreasing length unless `enforceSorted: false`. */
export function packSequence(sequences: readonly Tensor[], options: { enforceSorted?: boolean } = {}): PackedSequence {
  const lengths = sequences.map((s) => s.shape[0] as number)
  return packPaddedSequence(padSequence(sequences), lengths, { enforceSorted: options.enforceSorted ?? true })
}

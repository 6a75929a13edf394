// nn.Embedding: a lookup table of vectors indexed by int64 token ids.

import { noGrad } from '../autograd.js'
import { native } from '../native.js'
import { randn, Tensor } from '../tensor.js'
import { Module } from './module.js'
import { Parameter } from './parameter.js'
import * as v from '../validate.js'

export interface EmbeddingOptions {
  /** This row starts at zero and never receives a gradient (padding tokens). Negative counts from the end. */
  paddingIdx?: number | null
}

const OPTIONS = { paddingIdx: v.nullable(v.int()) }
const PRETRAINED_OPTIONS = { ...OPTIONS, freeze: v.bool }

function checkPadding(paddingIdx: number | null | undefined, n: number): number | null {
  if (paddingIdx === null || paddingIdx === undefined) return null
  if (paddingIdx >= n || paddingIdx < -n) throw new RangeError('Padding_idx must be within num_embeddings')
  return paddingIdx < 0 ? paddingIdx + n : paddingIdx
}

/**
 * A lookup table of `numEmbeddings` vectors of size `embeddingDim` (PyTorch's `nn.Embedding`):
 * int64 indices of any shape in, one vector per index out. The row at `paddingIdx` starts at
 * zero and receives no gradient.
 * @example
 * ```ts
 * import { nn, tensor } from 'seqtorch'
 * const embed = new nn.Embedding(1000, 64, { paddingIdx: 0 })
 * const tokens = tensor([[5, 17, 0], [9, 2, 0]], { dtype: 'int64' })
 * console.log(embed.forward(tokens).shape) // [2, 3, 64]
 * ```
 */
export class Embedding extends Module {
  /**
   * The number of vectors (the largest index plus one).
   */
  readonly numEmbeddings: number
  /**
   * The size of each vector.
   */
  readonly embeddingDim: number
  /**
   * The index whose vector stays zero and gets no gradient, or null.
   */
  readonly paddingIdx: number | null
  /**
   * The table, [numEmbeddings, embeddingDim], initialised from N(0, 1) as in PyTorch.
   */
  weight: Parameter

  /** Weight [numEmbeddings, embeddingDim] from N(0, 1), with the padding row zeroed. */
  constructor(numEmbeddings: number, embeddingDim: number, options?: EmbeddingOptions) {
    super()
    this.numEmbeddings = v.arg('Embedding', 'num_embeddings', numEmbeddings, v.int({ min: 1 }))
    this.embeddingDim = v.arg('Embedding', 'embedding_dim', embeddingDim, v.int({ min: 1 }))
    this.paddingIdx = checkPadding(v.options('Embedding', options, OPTIONS).paddingIdx, numEmbeddings)
    this.weight = new Parameter(randn(numEmbeddings, embeddingDim))
    this.zeroPaddingRow()
  }

  private zeroPaddingRow(): void {
    if (this.paddingIdx === null) return
    const w = this.weight.data() as Float32Array
    w.fill(0, this.paddingIdx * this.embeddingDim, (this.paddingIdx + 1) * this.embeddingDim)
    noGrad(() => this.weight.copy_(new Tensor(native.tensorFromFloat32(w, this.weight.shape))))
  }

  /** Builds an embedding from a [num, dim] weight; `freeze` (default true) stops its training. */
  static fromPretrained(embeddings: Tensor, options?: EmbeddingOptions & { freeze?: boolean }): Embedding {
    const o = v.options('Embedding.fromPretrained', options, PRETRAINED_OPTIONS)
    if (!(embeddings instanceof Tensor) || embeddings.ndim !== 2) throw new Error('Embeddings parameter is expected to be 2-dimensional')
    if (embeddings.dtype !== 'float32') throw new TypeError(`Embedding.fromPretrained(): embeddings must be float32, got ${embeddings.dtype}`)
    const [n, d] = embeddings.shape as [number, number]
    const e = new Embedding(n, d, { paddingIdx: o.paddingIdx ?? null })
    e.weight = new Parameter(embeddings.clone().detach(), !(o.freeze ?? true))
    return e
  }

  /** int64 indices of any shape -> float32 [...indices.shape, embeddingDim]. */
  forward(input: Tensor): Tensor {
    if (!(input instanceof Tensor)) throw new TypeError('Embedding.forward(): input must be an int64 Tensor')
    return new Tensor(native.embedding(this.weight._h, input._h, this.paddingIdx))
  }

  override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}${this.paddingIdx !== null ? `, padding_idx=${this.paddingIdx}` : ''}`
  }
}

// nn.Embedding: a lookup table of vectors indexed by int64 token ids.

import { noGrad } from '../autograd.js'
import { native } from '../native.js'
import { randn, Tensor } from '../tensor.js'
import { Module } from './module.js'
import { Parameter } from './parameter.js'

export interface EmbeddingOptions {
  /** This row starts at zero and never receives a gradient (padding tokens). Negative counts from the end. */
  paddingIdx?: number | null
}

function checkPadding(paddingIdx: number | null | undefined, n: number): number | null {
  if (paddingIdx === null || paddingIdx === undefined) return null
  if (!Number.isInteger(paddingIdx)) throw new TypeError('padding_idx must be an integer')
  if (paddingIdx >= n || paddingIdx < -n) throw new RangeError('Padding_idx must be within num_embeddings')
  return paddingIdx < 0 ? paddingIdx + n : paddingIdx
}

export class Embedding extends Module {
  readonly numEmbeddings: number
  readonly embeddingDim: number
  readonly paddingIdx: number | null
  weight: Parameter

  /** Weight [numEmbeddings, embeddingDim] from N(0, 1), with the padding row zeroed. */
  constructor(numEmbeddings: number, embeddingDim: number, options: EmbeddingOptions = {}) {
    super()
    for (const [name, v] of [['num_embeddings', numEmbeddings], ['embedding_dim', embeddingDim]] as const) {
      if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new TypeError(`${name} must be a positive integer, got ${String(v)}`)
    }
    this.numEmbeddings = numEmbeddings
    this.embeddingDim = embeddingDim
    this.paddingIdx = checkPadding(options.paddingIdx, numEmbeddings)
    this.weight = new Parameter(randn(numEmbeddings, embeddingDim))
    this.zeroPaddingRow()
  }

  private zeroPaddingRow(): void {
    if (this.paddingIdx === null) return
    const w = Array.from(this.weight.data())
    w.fill(0, this.paddingIdx * this.embeddingDim, (this.paddingIdx + 1) * this.embeddingDim)
    noGrad(() => this.weight.copy_(new Tensor(native.tensorFromFloat32(Float32Array.from(w), this.weight.shape))))
  }

  /** Builds an embedding from a [num, dim] weight; `freeze` (default true) stops its training. */
  static fromPretrained(embeddings: Tensor, options: EmbeddingOptions & { freeze?: boolean } = {}): Embedding {
    if (!(embeddings instanceof Tensor) || embeddings.ndim !== 2) throw new Error('Embeddings parameter is expected to be 2-dimensional')
    const [n, d] = embeddings.shape as [number, number]
    const e = new Embedding(n, d, { paddingIdx: options.paddingIdx ?? null })
    e.weight = new Parameter(embeddings.clone().detach(), !(options.freeze ?? true))
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

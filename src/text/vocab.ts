// A vocabulary for text models: lower-case whitespace tokens to int64 ids, with padding and
// unknown-token specials (the seed notebook's sentiment example).

import { tensor, Tensor } from '../tensor.js'

export interface VocabBuildOptions {
  /** Tokens seen fewer times are left out (default 1). */
  minFreq?: number
  /** Special tokens placed first, in order (default ['<PAD>', '<UNK>']). */
  specials?: string[]
  /** Keep at most this many tokens, specials included. */
  maxSize?: number
  padToken?: string
  unkToken?: string
}

export interface EncodeOptions {
  /** Pad with the pad id, or truncate, to exactly this many ids. */
  maxLen?: number
}

export class Vocab {
  readonly itos: string[]
  readonly stoi: Map<string, number>
  readonly padToken: string
  readonly unkToken: string

  private constructor(tokens: string[], padToken: string, unkToken: string) {
    this.itos = tokens
    this.stoi = new Map(tokens.map((t, i) => [t, i]))
    if (this.stoi.size !== tokens.length) throw new Error('Vocab: tokens must be unique')
    this.padToken = padToken
    this.unkToken = unkToken
  }

  /** Lower-case whitespace tokenizer. */
  static tokenize(text: string): string[] {
    if (typeof text !== 'string') throw new TypeError('Vocab.tokenize(): text must be a string')
    return text.toLowerCase().split(/\s+/).filter((t) => t.length > 0)
  }

  /** Specials first, then tokens by decreasing frequency (ties: first seen first). */
  static build(texts: Iterable<string>, options: VocabBuildOptions = {}): Vocab {
    const specials = options.specials ?? ['<PAD>', '<UNK>']
    const minFreq = options.minFreq ?? 1
    const counts = new Map<string, number>()
    for (const text of texts) for (const tok of Vocab.tokenize(text)) counts.set(tok, (counts.get(tok) ?? 0) + 1)
    const ordered = [...counts.entries()]
      .filter(([t, c]) => c >= minFreq && !specials.includes(t))
      .map(([t, c], i) => ({ t, c, i }))
      .sort((a, b) => b.c - a.c || a.i - b.i)
      .map((e) => e.t)
    let tokens = [...specials, ...ordered]
    if (options.maxSize !== undefined) tokens = tokens.slice(0, Math.max(options.maxSize, specials.length))
    return new Vocab(tokens, options.padToken ?? specials[0] ?? '<PAD>', options.unkToken ?? specials[1] ?? '<UNK>')
  }

  /** From an explicit token -> id map (ids must be 0..n-1). */
  static fromDict(dict: Record<string, number>, options: { padToken?: string; unkToken?: string } = {}): Vocab {
    const tokens: string[] = []
    for (const [tok, id] of Object.entries(dict)) {
      if (!Number.isInteger(id) || id < 0) throw new RangeError(`Vocab.fromDict(): id of '${tok}' must be a non-negative integer`)
      tokens[id] = tok
    }
    if (tokens.length !== Object.keys(dict).length || tokens.some((t) => t === undefined)) {
      throw new Error('Vocab.fromDict(): ids must be exactly 0..n-1')
    }
    return new Vocab(tokens, options.padToken ?? '<PAD>', options.unkToken ?? '<UNK>')
  }

  get length(): number {
    return this.itos.length
  }

  get padIndex(): number {
    return this.indexOf(this.padToken)
  }

  get unkIndex(): number {
    return this.indexOf(this.unkToken)
  }

  indexOf(token: string): number {
    const i = this.stoi.get(token)
    if (i !== undefined) return i
    const unk = this.stoi.get(this.unkToken)
    if (unk === undefined) throw new Error(`token '${token}' is not in the vocabulary and there is no '${this.unkToken}' token`)
    return unk
  }

  /** Token ids of `text`, padded or truncated to `maxLen` when given. */
  encode(text: string, options: EncodeOptions = {}): number[] {
    const ids = Vocab.tokenize(text).map((t) => this.indexOf(t))
    const { maxLen } = options
    if (maxLen === undefined) return ids
    if (!Number.isInteger(maxLen) || maxLen < 0) throw new RangeError('encode(): maxLen must be a non-negative integer')
    return ids.length >= maxLen ? ids.slice(0, maxLen) : [...ids, ...new Array<number>(maxLen - ids.length).fill(this.padIndex)]
  }

  /** An int64 [N, maxLen] batch (maxLen defaults to the longest text). */
  encodeBatch(texts: readonly string[], options: EncodeOptions = {}): Tensor {
    const maxLen = options.maxLen ?? Math.max(0, ...texts.map((t) => Vocab.tokenize(t).length))
    return tensor(texts.map((t) => this.encode(t, { maxLen })), { dtype: 'int64' })
  }

  decode(ids: Iterable<number>): string[] {
    return [...ids].map((i) => this.itos[i] ?? this.unkToken)
  }

  toJSON(): object {
    return { tokens: this.itos, padToken: this.padToken, unkToken: this.unkToken }
  }

  static fromJSON(json: { tokens: string[]; padToken: string; unkToken: string }): Vocab {
    return new Vocab([...json.tokens], json.padToken, json.unkToken)
  }
}

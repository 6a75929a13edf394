// A vocabulary for text models: lower-case whitespace tokens to int64 ids, with padding and
// unknown-token specials (the seed notebook's sentiment example).

import { checkJsArray } from '../js_heap.js'
import { native } from '../native.js'
import { tensor, Tensor } from '../tensor.js'
import * as v from '../validate.js'

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

const BUILD_OPTIONS = {
  minFreq: v.int({ min: 1 }),
  specials: v.array(v.string({ nonEmpty: true })),
  maxSize: v.int({ min: 0 }),
  padToken: v.string({ nonEmpty: true }),
  unkToken: v.string({ nonEmpty: true }),
}
const TOKEN_OPTIONS = { padToken: v.string({ nonEmpty: true }), unkToken: v.string({ nonEmpty: true }) }
const ENCODE_OPTIONS = { maxLen: v.int({ min: 0 }) }

function textArg(op: string, text: unknown, where = 'text'): string {
  if (typeof text !== 'string') throw new TypeError(`${op}(): ${where} must be a string, got ${v.describe(text)}`)
  return text
}

/**
 * A token vocabulary for text models: `build` counts tokens (lower-cased, split on whitespace)
 * and orders them by frequency after the special tokens; `encode` turns text into ids (unknown
 * tokens become `<UNK>`), `encodeBatch` pads a batch into an int64 tensor for `nn.Embedding`.
 * @example
 * ```ts
 * import { nn, text } from 'seqtorch'
 * const vocab = text.Vocab.build(['the movie was great', 'the plot was thin'])
 * console.log(vocab.encode('The movie was new')) // [2, 4, 3, 1]: 'new' is unknown
 * const batch = vocab.encodeBatch(['great movie', 'thin'], { maxLen: 4 }) // int64 [2, 4], padded with 0
 * const embedded = new nn.Embedding(vocab.length, 16, { paddingIdx: vocab.padIndex }).forward(batch)
 * ```
 */
export class Vocab {
  /**
   * Tokens by id.
   */
  readonly itos: string[]
  /**
   * Ids by token.
   */
  readonly stoi: Map<string, number>
  /**
   * The padding token (default `<PAD>`).
   */
  readonly padToken: string
  /**
   * The token unknown words map to (default `<UNK>`).
   */
  readonly unkToken: string

  private constructor(tokens: string[], padToken: string, unkToken: string) {
    tokens.forEach((t, i) => {
      if (typeof t !== 'string') throw new TypeError(`Vocab: token ${i} must be a string, got ${v.describe(t)}`)
    })
    this.itos = tokens
    this.stoi = new Map(tokens.map((t, i) => [t, i]))
    if (this.stoi.size !== tokens.length) throw new Error('Vocab: tokens must be unique')
    this.padToken = padToken
    this.unkToken = unkToken
  }

  /** Lower-case whitespace tokenizer. */
  static tokenize(text: string): string[] {
    return textArg('Vocab.tokenize', text).toLowerCase().split(/\s+/).filter((t) => t.length > 0)
  }

  /** Specials first, then tokens by decreasing frequency (ties: first seen first). */
  static build(texts: Iterable<string>, options?: VocabBuildOptions): Vocab {
    const o = v.options('Vocab.build', options, BUILD_OPTIONS)
    if (texts === null || typeof (texts as Partial<Iterable<string>>)?.[Symbol.iterator] !== 'function' || typeof texts === 'string') {
      throw new TypeError(`Vocab.build(): texts must be an iterable of strings (an array), got ${v.describe(texts)}`)
    }
    const specials = o.specials ?? ['<PAD>', '<UNK>']
    if (new Set(specials).size !== specials.length) throw new Error('Vocab.build(): specials must be unique')
    const minFreq = o.minFreq ?? 1
    const counts = new Map<string, number>()
    let i = 0
    for (const text of texts) {
      for (const tok of Vocab.tokenize(textArg('Vocab.build', text, `texts[${i}]`))) counts.set(tok, (counts.get(tok) ?? 0) + 1)
      i++
    }
    const ordered = [...counts.entries()]
      .filter(([t, c]) => c >= minFreq && !specials.includes(t))
      .map(([t, c], k) => ({ t, c, k }))
      .sort((a, b) => b.c - a.c || a.k - b.k)
      .map((e) => e.t)
    let tokens = [...specials, ...ordered]
    if (o.maxSize !== undefined) tokens = tokens.slice(0, Math.max(o.maxSize, specials.length))
    return new Vocab(tokens, o.padToken ?? specials[0] ?? '<PAD>', o.unkToken ?? specials[1] ?? '<UNK>')
  }

  /** From an explicit token -> id map (ids must be 0..n-1). */
  static fromDict(dict: Record<string, number>, options?: { padToken?: string; unkToken?: string }): Vocab {
    const o = v.options('Vocab.fromDict', options, TOKEN_OPTIONS)
    if (!v.isPlainObject(dict)) throw new TypeError(`Vocab.fromDict(): dict must be an object of token -> id, got ${v.describe(dict)}`)
    const entries = Object.entries(dict)
    const tokens: string[] = new Array<string>(entries.length)
    for (const [tok, id] of entries) {
      if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= entries.length) {
        throw new RangeError(`Vocab.fromDict(): ids must be exactly 0..n-1; the id of '${tok}' is ${v.describe(id)}, n = ${entries.length}`)
      }
      if (tokens[id] !== undefined) throw new Error(`Vocab.fromDict(): id ${id} is given to both '${tokens[id]}' and '${tok}'`)
      tokens[id] = tok
    }
    return new Vocab(tokens, o.padToken ?? '<PAD>', o.unkToken ?? '<UNK>')
  }

  /**
   * The number of tokens, specials included.
   */
  get length(): number {
    return this.itos.length
  }

  /**
   * The id of the padding token.
   */
  get padIndex(): number {
    return this.indexOf(this.padToken)
  }

  /**
   * The id of the unknown token.
   */
  get unkIndex(): number {
    return this.indexOf(this.unkToken)
  }

  /**
   * The id of `token`, or the unknown token's id.
   */
  indexOf(token: string): number {
    textArg('indexOf', token, 'token')
    const i = this.stoi.get(token)
    if (i !== undefined) return i
    const unk = this.stoi.get(this.unkToken)
    if (unk === undefined) throw new Error(`token '${token}' is not in the vocabulary and there is no '${this.unkToken}' token`)
    return unk
  }

  /** Token ids of `text`, padded or truncated to `maxLen` when given. */
  encode(text: string, options?: EncodeOptions): number[] {
    const { maxLen } = v.options('encode', options, ENCODE_OPTIONS)
    const ids = Vocab.tokenize(textArg('encode', text)).map((t) => this.indexOf(t))
    if (maxLen === undefined) return ids
    if (ids.length >= maxLen) return ids.slice(0, maxLen)
    checkJsArray('encode', 'maxLen: an array', maxLen)
    const pad = this.padIndex
    const out = ids.slice()
    for (let k = ids.length; k < maxLen; k++) out.push(pad)
    return out
  }

  /** An int64 [N, maxLen] batch (maxLen defaults to the longest text). */
  encodeBatch(texts: readonly string[], options?: EncodeOptions): Tensor {
    const o = v.options('encodeBatch', options, ENCODE_OPTIONS)
    if (!Array.isArray(texts)) throw new TypeError(`encodeBatch(): texts must be an array of strings, got ${v.describe(texts)}`)
    const ids = texts.map((t, i) => Vocab.tokenize(textArg('encodeBatch', t, `texts[${i}]`)).map((tok) => this.indexOf(tok)))
    const maxLen = o.maxLen ?? ids.reduce((m, row) => Math.max(m, row.length), 0)
    // The batch goes straight into a typed array (native-sized, checked like any tensor).
    const bytes = texts.length * maxLen * 8
    if (bytes > native.getMemoryLimit()) {
      throw new RangeError(`encodeBatch(): a [${texts.length}, ${maxLen}] batch needs ${bytes} bytes, above the memory limit of ${native.getMemoryLimit()} bytes`)
    }
    const flat = new Float64Array(texts.length * maxLen)
    if (maxLen > 0 && ids.length > 0) flat.fill(this.padIndex)
    ids.forEach((row, i) => {
      const n = Math.min(row.length, maxLen)
      for (let k = 0; k < n; k++) flat[i * maxLen + k] = row[k] as number
    })
    return tensor(flat, { dtype: 'int64', shape: [texts.length, maxLen] })
  }

  /**
   * The tokens of the given ids.
   */
  decode(ids: Iterable<number>): string[] {
    if (ids === null || typeof (ids as Partial<Iterable<number>>)?.[Symbol.iterator] !== 'function') {
      throw new TypeError(`decode(): ids must be an iterable of integers, got ${v.describe(ids)}`)
    }
    return Array.from(ids, (i) => {
      if (typeof i !== 'number' || !Number.isInteger(i)) throw new TypeError(`decode(): ids must be integers, got ${v.describe(i)}`)
      return this.itos[i] ?? this.unkToken
    })
  }

  /**
   * The tokens and special tokens as plain JSON (`fromJSON` restores the vocabulary).
   */
  toJSON(): object {
    return { tokens: this.itos, padToken: this.padToken, unkToken: this.unkToken }
  }

  /**
   * A vocabulary from `toJSON()`'s output, checked completely.
   */
  static fromJSON(json: { tokens: string[]; padToken: string; unkToken: string }): Vocab {
    if (!v.isPlainObject(json)) throw new TypeError(`Vocab.fromJSON(): expected an object, got ${v.describe(json)}`)
    const tokens = v.array(v.string())(json.tokens, 'Vocab.fromJSON(): tokens')
    const padToken = v.string({ nonEmpty: true })(json.padToken, 'Vocab.fromJSON(): padToken')
    const unkToken = v.string({ nonEmpty: true })(json.unkToken, 'Vocab.fromJSON(): unkToken')
    return new Vocab(tokens, padToken, unkToken)
  }
}

// One small checker for arguments and options objects at every public entry point: options
// objects may hold only the keys a function knows (an unknown name throws and lists the
// accepted ones, as PyTorch raises on unexpected keyword arguments), and every value is
// checked for type and range before anything is computed. Wrong types throw TypeError, values
// out of range RangeError. It is a few property reads per call, so hot paths can afford it.

/** Checks one value; `where` names it in messages, e.g. "Adam(): option 'lr'". */
export type Check<T> = (value: unknown, where: string) => T

export type Schema = Record<string, Check<unknown>>

/** The checked options: each key optional, typed by its check. */
export type Parsed<S extends Schema> = { [K in keyof S]?: Exclude<ReturnType<S[K]>, undefined> }

/** A short description of a value for messages: `NaN`, `a string ("x")`, `a function`. */
export function describe(v: unknown): string {
  if (v === null) return 'null'
  if (v === undefined) return 'undefined'
  switch (typeof v) {
    case 'number':
      return String(v)
    case 'string':
      return `a string (${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)})`
    case 'boolean':
      return String(v)
    case 'bigint':
      return `a bigint (${v}n)`
    case 'symbol':
      return 'a symbol'
    case 'function':
      return 'a function'
  }
  if (Array.isArray(v)) return `an array of length ${v.length}`
  const name = (v as object).constructor?.name
  return name && name !== 'Object' ? `a ${name}` : 'an object'
}

function fail(kind: 'type' | 'range', message: string): never {
  throw kind === 'type' ? new TypeError(message) : new RangeError(message)
}

export interface NumberRange {
  min?: number
  max?: number
  /** Strictly greater than. */
  gt?: number
  /** Strictly less than. */
  lt?: number
  /** Allow Infinity / -Infinity (NaN is never accepted). */
  infinite?: boolean
}

function rangeText(r: NumberRange): string {
  const parts: string[] = []
  if (r.min !== undefined) parts.push(`>= ${r.min}`)
  if (r.gt !== undefined) parts.push(`> ${r.gt}`)
  if (r.max !== undefined) parts.push(`<= ${r.max}`)
  if (r.lt !== undefined) parts.push(`< ${r.lt}`)
  return parts.join(' and ')
}

function inRange(n: number, r: NumberRange): boolean {
  return (
    (r.min === undefined || n >= r.min) &&
    (r.max === undefined || n <= r.max) &&
    (r.gt === undefined || n > r.gt) &&
    (r.lt === undefined || n < r.lt)
  )
}

/** A number (never NaN; finite unless `infinite`), optionally within a range. */
export function number(r: NumberRange = {}): Check<number> {
  const range = rangeText(r)
  return (v, where) => {
    if (typeof v !== 'number') fail('type', `${where} must be a number${range ? ` ${range}` : ''}, got ${describe(v)}`)
    if (Number.isNaN(v) || (!r.infinite && !Number.isFinite(v))) {
      fail('range', `${where} must be a finite number${range ? ` ${range}` : ''}, got ${v}`)
    }
    if (!inRange(v, r)) fail('range', `${where} must be ${range}, got ${v}`)
    return v
  }
}

/** A whole number in the safe-integer range, optionally within a range. */
export function int(r: Omit<NumberRange, 'infinite'> = {}): Check<number> {
  const range = rangeText(r)
  return (v, where) => {
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      fail('type', `${where} must be an integer${range ? ` ${range}` : ''}, got ${describe(v)}`)
    }
    if (!Number.isSafeInteger(v)) fail('range', `${where} must be a safe integer (at most 2^53 - 1 in size), got ${v}`)
    if (!inRange(v, r)) fail('range', `${where} must be an integer ${range}, got ${v}`)
    return v
  }
}

export const bool: Check<boolean> = (v, where) => {
  if (typeof v !== 'boolean') fail('type', `${where} must be true or false, got ${describe(v)}`)
  return v
}

export function string(opts: { nonEmpty?: boolean } = {}): Check<string> {
  return (v, where) => {
    if (typeof v !== 'string') fail('type', `${where} must be a string, got ${describe(v)}`)
    if (opts.nonEmpty && v.length === 0) fail('range', `${where} must be a non-empty string`)
    return v
  }
}

/**
 * One of a fixed set of values. A value of the wrong kind is a TypeError; a right-kind value
 * outside the set a RangeError, or `error` decides; `message` gives a library's own wording.
 */
export function oneOf<T extends string | number | boolean>(
  values: readonly T[],
  opts: { error?: 'type' | 'range'; message?: (value: unknown) => string } = {},
): Check<T> {
  const list = values.map((x) => JSON.stringify(x)).join(', ')
  return (v, where) => {
    if (!values.includes(v as T)) {
      const kind = opts.error ?? (typeof v === typeof values[0] ? 'range' : 'type')
      fail(kind, opts.message ? opts.message(v) : `${where} must be one of ${list}, got ${describe(v)}`)
    }
    return v as T
  }
}

/** An instance of `cls` (Tensor, Module...), named `what` in messages. */
export function instance<T>(cls: abstract new (...args: never[]) => T, what: string): Check<T> {
  return (v, where) => {
    if (!(v instanceof cls)) fail('type', `${where} must be ${what}, got ${describe(v)}`)
    return v
  }
}

export const func: Check<(...args: never[]) => unknown> = (v, where) => {
  if (typeof v !== 'function') fail('type', `${where} must be a function, got ${describe(v)}`)
  return v as (...args: never[]) => unknown
}

export function optional<T>(check: Check<T>): Check<T | undefined> {
  return (v, where) => (v === undefined ? undefined : check(v, where))
}

export function nullable<T>(check: Check<T>): Check<T | null> {
  return (v, where) => (v === null ? null : check(v, where))
}

/** Either of two checks (the first one's error wins when both fail). */
export function either<A, B>(a: Check<A>, b: Check<B>): Check<A | B> {
  return (v, where) => {
    try {
      return a(v, where)
    } catch (e) {
      try {
        return b(v, where)
      } catch {
        throw e
      }
    }
  }
}

export function array<T>(item: Check<T>, opts: { length?: number; minLength?: number; maxLength?: number } = {}): Check<T[]> {
  return (v, where) => {
    if (!Array.isArray(v)) fail('type', `${where} must be an array, got ${describe(v)}`)
    if (opts.length !== undefined && v.length !== opts.length) {
      fail('range', `${where} must have ${opts.length} elements, got ${v.length}`)
    }
    if (opts.minLength !== undefined && v.length < opts.minLength) {
      fail('range', `${where} must have at least ${opts.minLength} element(s), got ${v.length}`)
    }
    if (opts.maxLength !== undefined && v.length > opts.maxLength) {
      fail('range', `${where} must have at most ${opts.maxLength} elements, got ${v.length}`)
    }
    return v.map((x, i) => item(x, `${where}[${i}]`))
  }
}

/** A plain object (or one with a null prototype): not an array, class instance or function. */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false
  const proto = Object.getPrototypeOf(v)
  return proto === Object.prototype || proto === null
}

/** An object whose every own value passes `item` (e.g. metadata: strings by name). */
export function record<T>(item: Check<T>): Check<Record<string, T>> {
  return (v, where) => {
    if (!isPlainObject(v)) fail('type', `${where} must be a plain object, got ${describe(v)}`)
    const out: Record<string, T> = Object.create(null) as Record<string, T>
    for (const key of Reflect.ownKeys(v)) {
      if (typeof key === 'symbol') fail('type', `${where} must have string keys, got a symbol key`)
      out[key] = item(v[key], `${where}['${key}']`)
    }
    return out
  }
}

/**
 * Checks an options object against `schema`: `undefined` means no options; anything but a
 * plain object is a TypeError; a key the schema does not list is a TypeError naming the
 * accepted keys; each present value must pass its check (`undefined` counts as absent).
 */
export function options<S extends Schema>(op: string, value: unknown, schema: S): Parsed<S> {
  if (value === undefined) return {}
  if (!isPlainObject(value)) {
    fail('type', `${op}(): options must be an object like { ${Object.keys(schema).slice(0, 2).join(', ')} }, got ${describe(value)}`)
  }
  const known = Object.keys(schema)
  for (const key of Reflect.ownKeys(value)) {
    if (typeof key === 'symbol' || !Object.hasOwn(schema, key)) {
      const name = typeof key === 'symbol' ? String(key) : `'${key}'`
      fail('type', `${op}(): unknown option ${name}; accepted options are: ${known.join(', ') || '(none)'}`)
    }
  }
  const out: Record<string, unknown> = {}
  for (const key of known) {
    const v = (value as Record<string, unknown>)[key]
    if (v !== undefined) out[key] = (schema[key] as Check<unknown>)(v, `${op}(): option '${key}'`)
  }
  return out as Parsed<S>
}

/** Checks one positional argument: `arg('Linear', 'in_features', v, int({ min: 0 }))`. */
export function arg<T>(op: string, name: string, value: unknown, check: Check<T>): T {
  return check(value, `${op}(): ${name}`)
}

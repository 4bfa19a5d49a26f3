import { err, ok, type Result } from '../errors/result.js'
import { badJson } from '../errors/matrix-error.js'
import type { JsonObject, JsonValue } from './json.js'

/**
 * Canonical JSON (appendices §Signing JSON › Canonical JSON): the bytes that every hash and signature
 * in Matrix covers.
 *
 * - Object keys are sorted by Unicode code point. JavaScript compares strings by UTF-16 code unit,
 *   which agrees with code point order except between a surrogate pair (U+10000 and above) and a
 *   character in U+E000-U+FFFF; objects with such keys are sorted with a code point comparator.
 * - No whitespace. Strings escape only `"`, `\` and the controls below U+0020, with the short forms
 *   `\b \t \n \f \r` and `\u00XX` (lowercase hex) for the others: exactly what `JSON.stringify`
 *   writes, so the native encoder is reused for the rare strings that need escaping.
 * - A lone surrogate has no UTF-8 form, so such a string has no canonical encoding. Rather than let the
 *   UTF-8 encoder downstream replace it with U+FFFD (which would give two different strings the same
 *   bytes, and so the same hash), it is written as `\udXXX` like `JSON.stringify` does.
 *   `checkCanonicalJson` and `parseJson` refuse such strings, so they reach here only from code that
 *   skipped both.
 * - Numbers are written as ECMAScript's shortest round-trip form: for the integers of the canonical
 *   range that is plain digits, with `-0` written as `0` and `1e10` as `10000000000`, as in the
 *   spec's examples. Room versions 1-5 may carry numbers outside the canonical grammar
 *   (`checkCanonicalJson(value, false)` lets them through): a fraction is written as `1.5`, a large
 *   magnitude as `1e+30`. The textual form the origin server used is lost once the JSON is parsed, so
 *   no encoder can promise to reproduce its bytes for such numbers; a signature over them may fail to
 *   verify, which the spec accepts for those room versions ("where possible").
 *
 * Object properties whose value is `undefined` are skipped, as `JSON.stringify` does, so optional
 * properties built in code need no cleaning. A non-finite number or a value that is not JSON at all
 * breaks the `JsonValue` contract and throws a `TypeError` (a programmer error: data from the network
 * comes through `parseJson`, which never yields one).
 */
export function canonicalJson(value: JsonValue): string {
  return encodeValue(value)
}

/**
 * The canonical JSON of `object` without the named top-level keys: the bytes that signatures and
 * hashes cover (which leave out `signatures`, `unsigned` and, for content hashes, `hashes`), with no
 * copy of the object made to drop them.
 */
export function canonicalJsonWithout(object: JsonObject, omit: readonly string[]): string {
  return encodeObject(object, omit)
}

// Characters that force the slow path for a string: those that need escaping, and surrogates (lone
// ones are escaped by JSON.stringify; paired ones are kept as they are). The control characters are
// the point of these two patterns.
// eslint-disable-next-line no-control-regex
const STRING_NEEDS_CARE = /["\\\u0000-\u001f\ud800-\udfff]/
// Characters that make a key need escaping or code point sorting (everything from U+D800 up).
// eslint-disable-next-line no-control-regex
const KEY_NEEDS_CARE = /["\\\u0000-\u001f\ud800-\uffff]/

function encodeValue(value: JsonValue): string {
  switch (typeof value) {
    case 'string':
      return STRING_NEEDS_CARE.test(value) ? JSON.stringify(value) : '"' + value + '"'
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: non-finite number ${value}`)
      return String(value)
    case 'boolean':
      return value ? 'true' : 'false'
    case 'object':
      if (value === null) return 'null'
      return Array.isArray(value) ? encodeArray(value) : encodeObject(value as JsonObject)
    case 'undefined':
    case 'bigint':
    case 'function':
    case 'symbol':
      throw new TypeError(`canonicalJson: ${typeof value} is not a JSON value`)
  }
}

function encodeArray(array: readonly JsonValue[]): string {
  const length = array.length
  if (length === 0) return '[]'
  let out = '[' + encodeValue(array[0] as JsonValue)
  for (let i = 1; i < length; i++) out += ',' + encodeValue(array[i] as JsonValue)
  return out + ']'
}

function encodeObject(object: JsonObject, omit?: readonly string[]): string {
  const keys = Object.keys(object)
  const count = keys.length
  let plainKeys = true
  for (let i = 0; i < count; i++) {
    if (KEY_NEEDS_CARE.test(keys[i] as string)) {
      plainKeys = false
      break
    }
  }
  if (plainKeys) keys.sort()
  else keys.sort(compareCodePoints)
  let out = '{'
  for (let i = 0; i < count; i++) {
    const key = keys[i] as string
    const item = object[key]
    if (item === undefined || (omit !== undefined && omit.includes(key))) continue
    if (out.length > 1) out += ','
    out += plainKeys ? '"' + key + '":' : encodeValue(key) + ':'
    out += encodeValue(item)
  }
  return out + '}'
}

/**
 * Orders two strings by Unicode code point. Code units already order code points correctly unless
 * the first difference is between a surrogate (part of a code point above U+FFFF) and a unit in
 * U+E000-U+FFFF, where the surrogate must win; shifting both ranges puts them in code point order.
 */
export function compareCodePoints(a: string, b: string): number {
  const length = a.length < b.length ? a.length : b.length
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x !== y) {
      if (x >= 0xd800 && y >= 0xd800) return codePointRank(x) - codePointRank(y)
      return x - y
    }
  }
  return a.length - b.length
}

function codePointRank(unit: number): number {
  return unit >= 0xe000 ? unit - 0x800 : unit + 0x2000
}

/** The canonical range of integers: [-(2^53)+1, (2^53)-1], which is exactly the safe integers. */
export const CANONICAL_INT_MAX = Number.MAX_SAFE_INTEGER
export const CANONICAL_INT_MIN = Number.MIN_SAFE_INTEGER

// Deeper values than this are refused rather than risk exhausting the stack. parseJson stops at 100
// by default, so only values built in code can come near it.
const CHECK_MAX_DEPTH = 1000

/**
 * Whether `text` is valid UTF-16, i.e. has no lone surrogate, and so has a UTF-8 encoding. Uses the
 * engine's `String.prototype.isWellFormed` (ES2024, in Node 20 and current browsers) where present.
 */
export function isWellFormedText(text: string): boolean {
  return nativeIsWellFormed !== undefined ? nativeIsWellFormed.call(text) : scanWellFormed(text)
}

type IsWellFormed = (this: string) => boolean
const nativeIsWellFormed = (String.prototype as { readonly isWellFormed?: IsWellFormed })
  .isWellFormed

const SURROGATE = /[\ud800-\udfff]/

/**
 * The portable form of {@link isWellFormedText}: a native search finds the first surrogate, if any
 * (most text has none), and pairs are checked by hand from there.
 */
export function scanWellFormed(text: string): boolean {
  const first = text.search(SURROGATE)
  if (first < 0) return true
  const length = text.length
  for (let i = first; i < length; i++) {
    const c = text.charCodeAt(i)
    if (c < 0xd800 || c > 0xdfff) continue
    if (c > 0xdbff) return false
    const next = text.charCodeAt(i + 1)
    if (!(next >= 0xdc00 && next <= 0xdfff)) return false
    i++
  }
  return true
}

/**
 * Checks that a value can be encoded as canonical JSON: every number finite, every string valid
 * UTF-16 (no lone surrogates, which have no UTF-8 form), nothing but JSON types. In strict mode (rooms
 * v6+, `rules.eventFormat.strictCanonicalJson`), every number must also be an integer within
 * [-(2^53)+1, (2^53)-1]; `-0` passes, as it is written `0`. Errors are M_BAD_JSON.
 */
export function checkCanonicalJson(value: JsonValue, strict: boolean): Result<void> {
  const problem = findProblem(value, strict, 0)
  return problem === undefined ? ok(undefined) : err(badJson(problem))
}

function findProblem(value: unknown, strict: boolean, depth: number): string | undefined {
  switch (typeof value) {
    case 'string':
      return isWellFormedText(value) ? undefined : 'string contains a lone surrogate'
    case 'number':
      if (!Number.isFinite(value)) return `number ${value} is not finite`
      if (strict && !Number.isSafeInteger(value)) {
        return Number.isInteger(value)
          ? `integer ${value} is outside the canonical JSON range`
          : `number ${value} is not an integer`
      }
      return undefined
    case 'boolean':
      return undefined
    case 'object': {
      if (value === null) return undefined
      if (depth >= CHECK_MAX_DEPTH) return 'JSON nested too deeply'
      if (Array.isArray(value)) {
        for (const item of value as unknown[]) {
          const problem = findProblem(item, strict, depth + 1)
          if (problem !== undefined) return problem
        }
        return undefined
      }
      const object = value as Record<string, unknown>
      for (const key of Object.keys(object)) {
        if (!isWellFormedText(key)) return 'object key contains a lone surrogate'
        const item = object[key]
        if (item === undefined) continue
        const problem = findProblem(item, strict, depth + 1)
        if (problem !== undefined) return problem
      }
      return undefined
    }
    case 'undefined':
    case 'bigint':
    case 'function':
    case 'symbol':
      return `${typeof value} is not a JSON value`
  }
}

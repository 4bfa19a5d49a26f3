import { err, ok, type Result } from '../errors/result.js'
import { badJson, matrixError, type MatrixError } from '../errors/matrix-error.js'
import { isWellFormedText } from './canonical-json.js'
import type { JsonValue } from './json.js'

export interface ParseJsonOptions {
  /** Containers nested deeper than this are refused (a top-level object is at depth 1). */
  readonly maxDepth?: number
  /**
   * Rooms v6+ (`rules.eventFormat.strictCanonicalJson`): refuse any number written with a fraction
   * or an exponent, even `1.0` or `1e3`, as Synapse does, since the canonical grammar has neither.
   */
  readonly strict?: boolean
}

export const DEFAULT_MAX_JSON_DEPTH = 100

/**
 * Parses JSON from an untrusted source (a client request body, a remote server's transaction) into
 * a value that canonical JSON can encode faithfully.
 *
 * - M_NOT_JSON: the text is not JSON (including a byte-order mark, `NaN` or a trailing comma).
 * - M_BAD_JSON: it is JSON, but not a value we can hash or sign as it was meant: an integer literal
 *   outside [-(2^53)+1, (2^53)-1] (which `JSON.parse` would silently round), a number too large to be
 *   finite, in strict mode any fraction or exponent, a string or key with a lone surrogate (escaped as
 *   `\ud800` or raw in the text), which has no UTF-8 form, a key repeated within one object (which
 *   `JSON.parse` would silently resolve to the last value, so two servers could read the same text
 *   differently), or containers nested deeper than `maxDepth`. Excess depth is detected before the
 *   text is parsed at all, so it is reported as M_BAD_JSON even if the text is also malformed.
 *
 * `-0` is accepted (canonical JSON writes it as `0`). The work is one linear pass over the text for
 * the checks that the parsed value cannot answer, the native `JSON.parse` for the structure, and a walk
 * of the result to count keys; nothing recurses, so hostile input cannot exhaust the stack.
 */
export function parseJson(text: string, options?: ParseJsonOptions): Result<JsonValue> {
  if (typeof text !== 'string') return err(notJson('expected JSON text'))
  const maxDepth = options?.maxDepth ?? DEFAULT_MAX_JSON_DEPTH
  const scan = scanText(text, maxDepth, options?.strict ?? false)
  if (scan.tooDeep) return err(badJson(`JSON nested deeper than ${maxDepth} levels`))
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return err(notJson('the text is not valid JSON'))
  }
  if (scan.problem !== undefined) return err(badJson(scan.problem))
  if (scan.members !== 0 && countObjectMembers(value) !== scan.members) {
    return err(badJson('duplicate key in a JSON object'))
  }
  return ok(value as JsonValue)
}

function notJson(message: string): MatrixError {
  return matrixError('M_NOT_JSON', message)
}

interface Scan {
  readonly tooDeep: boolean
  /** The first problem found, if any. Meaningful only if the text turns out to be JSON. */
  readonly problem: string | undefined
  /** The number of object members in the text (one `:` outside strings per member). */
  readonly members: number
}

const QUOTE = 0x22
const BACKSLASH = 0x5c
const COLON = 0x3a
const MINUS = 0x2d
const DOT = 0x2e
const DIGIT_0 = 0x30
const DIGIT_9 = 0x39
const LOWER_E = 0x65
const UPPER_E = 0x45
const LOWER_U = 0x75
const PLUS = 0x2b
const OPEN_BRACKET = 0x5b
const CLOSE_BRACKET = 0x5d
const OPEN_BRACE = 0x7b
const CLOSE_BRACE = 0x7d
const MAX_SAFE_DIGITS = '9007199254740991'

/**
 * The checks that the parsed value cannot answer. The pass must be correct for valid JSON and merely
 * harmless for anything else (every step advances; reads past the end give NaN), since `JSON.parse`
 * rules on validity. String contents are skipped with `indexOf`: only the structure is walked by
 * hand.
 */
function scanText(text: string, maxDepth: number, strict: boolean): Scan {
  const length = text.length
  let depth = 0
  let members = 0
  let problem: string | undefined
  let i = 0
  while (i < length) {
    const c = text.charCodeAt(i)
    if (c === QUOTE) {
      i = closingQuote(text, i + 1) + 1
    } else if (c === COLON) {
      members++
      i++
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > maxDepth) return { tooDeep: true, problem, members }
      i++
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--
      i++
    } else if (c === MINUS || (c >= DIGIT_0 && c <= DIGIT_9)) {
      const start = i
      const digitsStart = c === MINUS ? i + 1 : i
      i = skipDigits(text, digitsStart)
      const digits = i - digitsStart
      let integer = true
      if (text.charCodeAt(i) === DOT) {
        integer = false
        i = skipDigits(text, i + 1)
      }
      const e = text.charCodeAt(i)
      if (e === LOWER_E || e === UPPER_E) {
        integer = false
        const sign = text.charCodeAt(i + 1)
        i = skipDigits(text, sign === MINUS || sign === PLUS ? i + 2 : i + 1)
      }
      problem ??= checkNumber(text, start, digitsStart, digits, i, integer, strict)
    } else {
      i++
    }
  }
  // Text decoded from UTF-8 holds no lone surrogates, so one in the text itself means it did not
  // come from bytes, and it is refused even where an adjacent escape would pair it.
  if (problem === undefined && !isWellFormedText(text)) problem = 'text contains a lone surrogate'
  if (problem === undefined && SURROGATE_ESCAPE.test(text) && hasLoneSurrogateEscape(text)) {
    problem = 'string contains a lone surrogate escape'
  }
  return { tooDeep: false, problem, members }
}

function checkNumber(
  text: string,
  start: number,
  digitsStart: number,
  digits: number,
  end: number,
  integer: boolean,
  strict: boolean,
): string | undefined {
  if (!integer) {
    if (strict) return 'numbers must be integers, without fraction or exponent'
    return Number.isFinite(Number(text.slice(start, end))) ? undefined : 'number is too large'
  }
  // JSON has no leading zeros, so the digit count orders magnitudes; equal counts compare as text.
  if (
    digits > MAX_SAFE_DIGITS.length ||
    (digits === MAX_SAFE_DIGITS.length && text.slice(digitsStart, end) > MAX_SAFE_DIGITS)
  ) {
    return 'integer is outside the range [-(2^53)+1, (2^53)-1]'
  }
  return undefined
}

/** The index of the quote that closes a string whose contents start at `from` (or the length). */
function closingQuote(text: string, from: number): number {
  let quote = text.indexOf('"', from)
  while (quote >= 0) {
    // A quote preceded by an odd run of backslashes is escaped. Each run lies between two quotes,
    // so the runs counted over the whole text add up to at most its length.
    let before = quote - 1
    while (text.charCodeAt(before) === BACKSLASH) before--
    if ((quote - 1 - before) % 2 === 0) return quote
    quote = text.indexOf('"', quote + 1)
  }
  return text.length
}

/** A `\u` escape of a surrogate, possibly preceded by an escaped backslash: a hint, not proof. */
const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/

/**
 * Whether an escape of a high surrogate lacks an escaped low surrogate right after it, or an escaped
 * low surrogate has no high one before it. Backslashes appear only inside strings in valid JSON, so
 * the escapes can be read from one backslash to the next.
 */
function hasLoneSurrogateEscape(text: string): boolean {
  let i = text.indexOf('\\')
  while (i >= 0) {
    if (text.charCodeAt(i + 1) !== LOWER_U) {
      i = text.indexOf('\\', i + 2)
      continue
    }
    const unit = readHex4(text, i + 2)
    if (unit >= 0xd800 && unit <= 0xdbff) {
      if (text.charCodeAt(i + 6) !== BACKSLASH || text.charCodeAt(i + 7) !== LOWER_U) return true
      const low = readHex4(text, i + 8)
      if (low < 0xdc00 || low > 0xdfff) return true
      i = text.indexOf('\\', i + 12)
    } else if (unit >= 0xdc00 && unit <= 0xdfff) {
      return true
    } else {
      i = text.indexOf('\\', i + 6)
    }
  }
  return false
}

function skipDigits(text: string, from: number): number {
  let i = from
  for (;;) {
    const c = text.charCodeAt(i)
    // Written so that NaN (read past the end) stops the loop.
    if (!(c >= DIGIT_0 && c <= DIGIT_9)) return i
    i++
  }
}

/** The value of four hex digits at `at`, or -1 if they are not all hex digits. */
function readHex4(text: string, at: number): number {
  let value = 0
  for (let k = 0; k < 4; k++) {
    const c = text.charCodeAt(at + k)
    let digit: number
    if (c >= DIGIT_0 && c <= DIGIT_9) digit = c - DIGIT_0
    else if (c >= 0x61 && c <= 0x66) digit = c - 0x57
    else if (c >= 0x41 && c <= 0x46) digit = c - 0x37
    else return -1
    value = value * 16 + digit
  }
  return value
}

/** The total number of keys of all objects in a parsed value, walked without recursion. */
function countObjectMembers(root: unknown): number {
  let total = 0
  const stack: unknown[] = [root]
  while (stack.length > 0) {
    const node = stack.pop()
    if (typeof node !== 'object' || node === null) continue
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        const item: unknown = node[i]
        if (typeof item === 'object' && item !== null) stack.push(item)
      }
      continue
    }
    const object = node as Record<string, unknown>
    const keys = Object.keys(object)
    total += keys.length
    for (let i = 0; i < keys.length; i++) {
      const item = object[keys[i] as string]
      if (typeof item === 'object' && item !== null) stack.push(item)
    }
  }
  return total
}

/**
 * Unpadded base64 (appendices §Unpadded Base64), in the standard and the URL-safe alphabets of
 * RFC 4648. Keys, signatures, hashes and event IDs all pass through here, so both directions work
 * on lookup tables and never go through intermediate strings or arrays.
 */
import { invalidParam } from '../errors/matrix-error.js'
import { err, ok } from '../errors/result.js'
import type { Result } from '../errors/result.js'

export type Base64Alphabet = 'standard' | 'url-safe'

export interface Base64DecodeOptions {
  /**
   * Accept an encoding whose unused low bits in the last character are not zero. RFC 4648 §3.5
   * lets decoders reject such input, and by default we do: each byte string then has exactly one
   * accepted encoding. Code that must agree with servers that decode leniently (Python's decoder
   * ignores these bits) can opt in.
   */
  readonly allowTrailingBits?: boolean
}

const STANDARD_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
const URL_SAFE_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/** Marks a character outside the alphabet in the decoding tables; every valid value is < 64. */
const INVALID = 0xff
const EQUALS = 0x3d

function decodingTable(chars: string): Uint8Array {
  const table = new Uint8Array(128).fill(INVALID)
  for (let i = 0; i < 64; i++) table[chars.charCodeAt(i)] = i
  return table
}

/** All 4096 two-character strings, indexed by the 12 bits they encode: one lookup per 1.5 bytes. */
function pairTable(chars: string): readonly string[] {
  const pairs = new Array<string>(4096)
  for (let i = 0; i < 4096; i++) pairs[i] = chars.charAt(i >> 6) + chars.charAt(i & 63)
  return pairs
}

const STANDARD_DECODE = decodingTable(STANDARD_CHARS)
const URL_SAFE_DECODE = decodingTable(URL_SAFE_CHARS)
const STANDARD_PAIRS = pairTable(STANDARD_CHARS)
const URL_SAFE_PAIRS = pairTable(URL_SAFE_CHARS)

/** Standard unpadded base64 of `bytes`. */
export function encodeBase64(bytes: Uint8Array): string {
  return encode(bytes, STANDARD_PAIRS, STANDARD_CHARS)
}

/** URL-safe unpadded base64 of `bytes` (`-` and `_` in place of `+` and `/`). */
export function encodeBase64Url(bytes: Uint8Array): string {
  return encode(bytes, URL_SAFE_PAIRS, URL_SAFE_CHARS)
}

/**
 * Decodes standard base64, with or without `=` padding (the spec says decoders SHOULD accept
 * both). Characters outside the alphabet, a length that no byte string encodes to (4n+1), surplus
 * padding and non-zero unused bits are errors.
 */
export function decodeBase64(text: string, options?: Base64DecodeOptions): Result<Uint8Array> {
  return decode(text, STANDARD_DECODE, 'base64', options?.allowTrailingBits === true)
}

/** As {@link decodeBase64}, for the URL-safe alphabet. */
export function decodeBase64Url(text: string, options?: Base64DecodeOptions): Result<Uint8Array> {
  return decode(text, URL_SAFE_DECODE, 'URL-safe base64', options?.allowTrailingBits === true)
}

/**
 * Whether `text`, from index `start` on, is the canonical unpadded encoding of exactly
 * `byteLength` bytes in `alphabet`. Checks the shape of hashes and keys without decoding them.
 */
export function isUnpaddedBase64(
  text: string,
  byteLength: number,
  alphabet: Base64Alphabet,
  start = 0,
): boolean {
  const rem = byteLength % 3
  const chars = Math.floor(byteLength / 3) * 4 + (rem === 0 ? 0 : rem + 1)
  if (text.length - start !== chars) return false
  const table = alphabet === 'standard' ? STANDARD_DECODE : URL_SAFE_DECODE
  let last = 0
  for (let i = start; i < text.length; i++) {
    last = lookup(table, text.charCodeAt(i))
    if (last === INVALID) return false
  }
  // One spare byte leaves 4 unused bits in the last character, two spare bytes leave 2.
  return rem === 0 || (last & (rem === 1 ? 0x0f : 0x03)) === 0
}

function lookup(table: Uint8Array, code: number): number {
  return code < 128 ? (table[code] ?? INVALID) : INVALID
}

function encode(bytes: Uint8Array, pairs: readonly string[], chars: string): string {
  const len = bytes.length
  const whole = len - (len % 3)
  let out = ''
  for (let i = 0; i < whole; i += 3) {
    const n = ((bytes[i] ?? 0) << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0)
    out += (pairs[n >> 12] ?? '') + (pairs[n & 0xfff] ?? '')
  }
  if (len - whole === 1) {
    const n = bytes[whole] ?? 0
    out += pairs[n << 4] ?? ''
  } else if (len - whole === 2) {
    const n = ((bytes[whole] ?? 0) << 8) | (bytes[whole + 1] ?? 0)
    out += (pairs[n >> 4] ?? '') + chars.charAt((n & 0x0f) << 2)
  }
  return out
}

function decode(
  text: string,
  table: Uint8Array,
  name: string,
  allowTrailingBits: boolean,
): Result<Uint8Array> {
  let end = text.length
  // At most two '=' are ever needed; stripping a third lets the length check below catch "x===".
  while (end > 0 && text.length - end < 3 && text.charCodeAt(end - 1) === EQUALS) end--
  const padding = text.length - end
  const rem = end % 4
  if (rem === 1) return err(invalidParam(`invalid ${name}: no bytes encode to length ${end}`))
  if (padding > 0 && padding > (4 - rem) % 4) {
    return err(invalidParam(`invalid ${name}: too much '=' padding`))
  }

  const out = new Uint8Array((end >> 2) * 3 + (rem === 0 ? 0 : rem - 1))
  const whole = end - rem
  let o = 0
  for (let i = 0; i < whole; i += 4) {
    const a = lookup(table, text.charCodeAt(i))
    const b = lookup(table, text.charCodeAt(i + 1))
    const c = lookup(table, text.charCodeAt(i + 2))
    const d = lookup(table, text.charCodeAt(i + 3))
    // Valid values are < 64, so one test on the union catches an INVALID in any of the four.
    if ((a | b | c | d) > 63) return invalidCharacter(text, i, table, name)
    const n = (a << 18) | (b << 12) | (c << 6) | d
    out[o++] = n >> 16
    out[o++] = (n >> 8) & 0xff
    out[o++] = n & 0xff
  }
  if (rem === 0) return ok(out)

  const a = lookup(table, text.charCodeAt(whole))
  const b = lookup(table, text.charCodeAt(whole + 1))
  const c = rem === 3 ? lookup(table, text.charCodeAt(whole + 2)) : 0
  if ((a | b | c) > 63) return invalidCharacter(text, whole, table, name)
  const n = (a << 18) | (b << 12) | (c << 6)
  out[o++] = n >> 16
  if (rem === 3) out[o] = (n >> 8) & 0xff
  const unused = rem === 2 ? n & 0xffff : n & 0xff
  if (unused !== 0 && !allowTrailingBits) {
    return err(invalidParam(`invalid ${name}: the unused bits of the last character are not zero`))
  }
  return ok(out)
}

function invalidCharacter(
  text: string,
  from: number,
  table: Uint8Array,
  name: string,
): Result<never> {
  let i = from
  while (lookup(table, text.charCodeAt(i)) !== INVALID) i++
  const code = text.charCodeAt(i)
  const hex = code.toString(16).toUpperCase().padStart(4, '0')
  return err(
    invalidParam(`invalid ${name}: character U+${hex} at index ${i} is not in the alphabet`),
  )
}

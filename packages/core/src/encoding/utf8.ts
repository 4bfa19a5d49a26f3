/**
 * UTF-8 without `TextEncoder`/`TextDecoder`, which the core cannot use (it targets plain ES2023).
 * Identifier limits are in bytes and canonical JSON is hashed as UTF-8, so these run often: the
 * length count allocates nothing and the encoder allocates exactly once.
 */
import { invalidParam } from '../errors/matrix-error.js'
import { err, ok } from '../errors/result.js'
import type { Result } from '../errors/result.js'

/** A lone surrogate in the string, found by code point so that well-formed pairs do not match. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u

/**
 * Decoded text is flushed to a string in chunks of this many code units: small enough for
 * `String.fromCharCode(...chunk)` to stay well inside the engine's argument limits.
 */
const CHUNK = 4096

/** Whether `s` holds a UTF-16 surrogate that is not part of a pair, i.e. is not valid Unicode. */
export function hasLoneSurrogate(s: string): boolean {
  return LONE_SURROGATE.test(s)
}

/**
 * The number of bytes `utf8Encode(s)` produces. A lone surrogate counts as 3 bytes, the size of
 * the U+FFFD that replaces it.
 */
export function utf8ByteLength(s: string): number {
  const len = s.length
  let bytes = len
  for (let i = 0; i < len; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x80) continue
    if (c < 0x800) {
      bytes += 1
    } else if (c >= 0xd800 && c <= 0xdbff && isLowSurrogate(s.charCodeAt(i + 1))) {
      // A pair is two code units and four bytes.
      bytes += 2
      i++
    } else {
      bytes += 2
    }
  }
  return bytes
}

/** The UTF-8 bytes of `s`; lone surrogates become U+FFFD, as `TextEncoder` does. */
export function utf8Encode(s: string): Uint8Array {
  const len = s.length
  const out = new Uint8Array(utf8ByteLength(s))
  let o = 0
  for (let i = 0; i < len; i++) {
    let c = s.charCodeAt(i)
    if (c < 0x80) {
      out[o++] = c
      continue
    }
    if (c < 0x800) {
      out[o++] = 0xc0 | (c >> 6)
      out[o++] = 0x80 | (c & 0x3f)
      continue
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = s.charCodeAt(i + 1)
      if (c <= 0xdbff && isLowSurrogate(next)) {
        const cp = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00)
        out[o++] = 0xf0 | (cp >> 18)
        out[o++] = 0x80 | ((cp >> 12) & 0x3f)
        out[o++] = 0x80 | ((cp >> 6) & 0x3f)
        out[o++] = 0x80 | (cp & 0x3f)
        i++
        continue
      }
      c = 0xfffd
    }
    out[o++] = 0xe0 | (c >> 12)
    out[o++] = 0x80 | ((c >> 6) & 0x3f)
    out[o++] = 0x80 | (c & 0x3f)
  }
  return out
}

/**
 * Decodes UTF-8 strictly (RFC 3629): overlong forms, encoded surrogates, code points above
 * U+10FFFF and truncated sequences are errors, never replaced. A byte order mark is kept as text.
 */
export function utf8Decode(bytes: Uint8Array): Result<string> {
  const len = bytes.length
  let i = 0
  while (i < len && (bytes[i] ?? 0) < 0x80) i++
  // ASCII bytes are their own code units: most input never leaves this fast path.
  let out = asciiToString(bytes, i)
  if (i === len) return ok(out)

  const chunk = new Uint16Array(Math.min(len - i, CHUNK) + 1)
  let n = 0
  while (i < len) {
    // The chunk holds up to CHUNK units plus the second half of a surrogate pair.
    if (n >= CHUNK) {
      out += codesToString(chunk.subarray(0, n))
      n = 0
    }
    const b = bytes[i] ?? 0
    if (b < 0x80) {
      chunk[n++] = b
      i++
      continue
    }
    let cp: number
    let size: number
    if (b >= 0xc2 && b <= 0xdf) {
      const b1 = continuation(bytes, i + 1, 0x80, 0xbf)
      if (b1 < 0) return invalid(i)
      cp = ((b & 0x1f) << 6) | b1
      size = 2
    } else if (b >= 0xe0 && b <= 0xef) {
      // E0 needs A0.. to not be overlong; ED stops at 9F to exclude the surrogates.
      const b1 = continuation(bytes, i + 1, b === 0xe0 ? 0xa0 : 0x80, b === 0xed ? 0x9f : 0xbf)
      const b2 = continuation(bytes, i + 2, 0x80, 0xbf)
      if (b1 < 0 || b2 < 0) return invalid(i)
      cp = ((b & 0x0f) << 12) | (b1 << 6) | b2
      size = 3
    } else if (b >= 0xf0 && b <= 0xf4) {
      // F0 needs 90.. to not be overlong; F4 stops at 8F to stay within U+10FFFF.
      const b1 = continuation(bytes, i + 1, b === 0xf0 ? 0x90 : 0x80, b === 0xf4 ? 0x8f : 0xbf)
      const b2 = continuation(bytes, i + 2, 0x80, 0xbf)
      const b3 = continuation(bytes, i + 3, 0x80, 0xbf)
      if (b1 < 0 || b2 < 0 || b3 < 0) return invalid(i)
      cp = ((b & 0x07) << 18) | (b1 << 12) | (b2 << 6) | b3
      size = 4
    } else {
      return invalid(i)
    }
    if (cp < 0x10000) {
      chunk[n++] = cp
    } else {
      const v = cp - 0x10000
      chunk[n++] = 0xd800 | (v >> 10)
      chunk[n++] = 0xdc00 | (v & 0x3ff)
    }
    i += size
  }
  return ok(out + codesToString(chunk.subarray(0, n)))
}

/** The first `end` bytes, all below 0x80, as a string. */
function asciiToString(bytes: Uint8Array, end: number): string {
  if (end === bytes.length && end <= CHUNK) return codesToString(bytes)
  let out = ''
  for (let i = 0; i < end; i += CHUNK)
    out += codesToString(bytes.subarray(i, Math.min(end, i + CHUNK)))
  return out
}

/**
 * `String.fromCharCode` over a typed array. `apply` takes any array-like (ECMA-262
 * CreateListFromArrayLike) and is several times faster than spreading; only the lib typing wants
 * a `number[]`.
 */
function codesToString(codes: Uint8Array | Uint16Array): string {
  return String.fromCharCode.apply(null, codes as unknown as number[])
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff
}

/** The 6 payload bits of the byte at `index` if it lies in [min, max], else -1 (also past the end). */
function continuation(bytes: Uint8Array, index: number, min: number, max: number): number {
  const b = bytes[index]
  return b !== undefined && b >= min && b <= max ? b & 0x3f : -1
}

function invalid(offset: number): Result<never> {
  return err(invalidParam(`invalid UTF-8 at byte offset ${offset}`))
}

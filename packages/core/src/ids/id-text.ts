/**
 * Text checks shared by the identifier parsers. Identifiers arrive from clients and other servers,
 * so these run on every request and event: they scan in place and allocate nothing.
 */
import { utf8ByteLength } from '../encoding/utf8.js'

/** The limit on user IDs, room IDs, room aliases and event IDs, sigil and server name included. */
export const MAX_ID_BYTES = 255

/** Inputs are quoted in error messages up to this many code units, so a huge one stays out of logs. */
const QUOTE_LIMIT = 64

/** `raw` as a JSON string for an error message: escaped, and cut short if it is long. */
export function quoteForError(raw: string): string {
  return raw.length > QUOTE_LIMIT
    ? `${JSON.stringify(raw.slice(0, QUOTE_LIMIT))}…`
    : JSON.stringify(raw)
}

/** Whether `s` takes more than `limit` bytes in UTF-8, counting only when the length leaves doubt. */
export function exceedsUtf8Bytes(s: string, limit: number): boolean {
  // A UTF-16 code unit takes 1 to 3 bytes, so the count is needed only between these bounds.
  if (s.length > limit) return true
  if (s.length * 3 <= limit) return false
  return utf8ByteLength(s) > limit
}

/**
 * Whether `s[start, end)` holds NUL or a lone surrogate: the localpart rule of the common identifier
 * format is "any valid non-surrogate code point except `:` and NUL" (the caller has split at `:`).
 */
export function hasNulOrLoneSurrogate(s: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i)
    if (c === 0) return true
    if (c < 0xd800 || c > 0xdfff) continue
    if (c > 0xdbff) return true
    const next = i + 1 < end ? s.charCodeAt(i + 1) : 0
    if (next < 0xdc00 || next > 0xdfff) return true
    i++
  }
  return false
}

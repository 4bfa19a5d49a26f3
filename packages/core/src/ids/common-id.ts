/**
 * The common identifier format `&localpart:domain` (appendices §Common Identifier Format), shared
 * by user IDs, room aliases, room IDs with a domain and event IDs of room versions 1 and 2.
 */
import { invalidParam } from '../errors/matrix-error.js'
import { err, ok } from '../errors/result.js'
import type { Result } from '../errors/result.js'
import { exceedsUtf8Bytes, hasNulOrLoneSurrogate, MAX_ID_BYTES, quoteForError } from './id-text.js'
import { serverNameProblem } from './server-name.js'

/**
 * Checks `raw` as `sigil localpart ":" server_name` within 255 bytes, where the localpart may be
 * empty and hold any code point but `:` and NUL, and returns the index of the `:`. `what` names the
 * identifier in error messages ("user ID"). Narrower localpart rules are the caller's.
 */
export function checkCommonId(raw: unknown, sigil: string, what: string): Result<number> {
  if (typeof raw !== 'string') return err(invalidParam(`${what} must be a string`))
  if (!raw.startsWith(sigil)) {
    return err(invalidParam(`${what} must start with '${sigil}': ${quoteForError(raw)}`))
  }
  if (exceedsUtf8Bytes(raw, MAX_ID_BYTES)) {
    return err(invalidParam(`${what} is longer than ${MAX_ID_BYTES} bytes: ${quoteForError(raw)}`))
  }
  const colon = raw.indexOf(':')
  if (colon < 0) {
    return err(invalidParam(`${what} has no ':' before a server name: ${quoteForError(raw)}`))
  }
  if (hasNulOrLoneSurrogate(raw, 1, colon)) {
    return err(
      invalidParam(`${what} localpart contains NUL or a lone surrogate: ${quoteForError(raw)}`),
    )
  }
  const problem = serverNameProblem(raw.slice(colon + 1))
  if (problem !== undefined) {
    return err(invalidParam(`${what} server name ${problem}: ${quoteForError(raw)}`))
  }
  return ok(colon)
}

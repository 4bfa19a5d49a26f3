/**
 * User IDs (appendices §User Identifiers): `@localpart:server_name`, at most 255 bytes.
 *
 * Parsing accepts the historical grammar, which servers MUST accept because rooms hold events
 * from such users: the localpart may be empty and hold any code point but `:` and NUL. The current
 * grammar (`a-z 0-9 . _ = - / +`, not empty) is {@link isStrictLocalpart}, for new local users.
 */
import { ok } from '../errors/result.js'
import type { Result } from '../errors/result.js'
import { checkCommonId } from './common-id.js'
import type { ServerName, UserId } from './types.js'

const STRICT_LOCALPART = /^[a-z0-9._=\-/+]+$/
/** U+0021 to U+007E without `:`, which cannot occur in a localpart. */
const COMPLIANT_LOCALPART = /^[\x21-\x39\x3b-\x7e]+$/

export function parseUserId(raw: string): Result<UserId> {
  const colon = checkCommonId(raw, '@', 'user ID')
  if (!colon.ok) return colon
  return ok(raw as UserId)
}

/** The current localpart grammar, which a server enforces when it registers a new user. */
export function isStrictLocalpart(localpart: string): boolean {
  return STRICT_LOCALPART.test(localpart)
}

/**
 * Whether a localpart is compliant: not empty and within U+0021 to U+007E. Servers still accept
 * events from non-compliant users but SHOULD NOT pass such IDs to clients outside an event (for
 * example in device list updates).
 */
export function isCompliantLocalpart(localpart: string): boolean {
  return COMPLIANT_LOCALPART.test(localpart)
}

export function userIdLocalpart(id: UserId): string {
  return id.slice(1, id.indexOf(':'))
}

export function userIdServerName(id: UserId): ServerName {
  // parseUserId checked everything after the first ':' as a server name.
  return id.slice(id.indexOf(':') + 1) as ServerName
}

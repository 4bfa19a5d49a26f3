/**
 * The profile fields this server stores and their rules (client-server-api §Profiles, PUT
 * .../{keyName}): `displayname` is a string, `avatar_url` an `mxc://` URI. An empty string clears
 * the field, as clients (Element's "remove avatar") and other servers treat it.
 */
import { err, ok, parseServerName, type Result } from '@rhizome/core'
import { serverError, type ServerError } from '../http/errors.js'
import type { ProfileField } from '../storage/profile-store.js'

export type { ProfileField } from '../storage/profile-store.js'

export const PROFILE_FIELDS: readonly ProfileField[] = ['displayname', 'avatar_url']

/** Synapse's limits, which clients have come to expect. */
export const MAX_DISPLAYNAME_LENGTH = 256
export const MAX_AVATAR_URL_LENGTH = 1000

/** What a PUT stores: a value, or undefined to clear the field. */
export function checkProfileValue(
  field: ProfileField,
  value: string,
): Result<string | undefined, ServerError> {
  if (value === '') return ok(undefined)
  if (field === 'displayname') {
    if (codePoints(value) > MAX_DISPLAYNAME_LENGTH) {
      return invalid(`displayname is longer than ${MAX_DISPLAYNAME_LENGTH} characters`)
    }
    return ok(value)
  }
  if (value.length > MAX_AVATAR_URL_LENGTH) {
    return invalid(`avatar_url is longer than ${MAX_AVATAR_URL_LENGTH} characters`)
  }
  return isMxcUri(value) ? ok(value) : invalid('avatar_url must be an mxc:// URI')
}

/** `mxc://<server-name>/<media-id>` (client-server-api §Matrix Content (mxc://) URIs). */
export function isMxcUri(value: string): boolean {
  const match = /^mxc:\/\/([^/]+)\/([A-Za-z0-9_-]+)$/.exec(value)
  return match?.[1] !== undefined && parseServerName(match[1]).ok
}

/** Characters as Synapse counts them (code points, not UTF-16 units or graphemes). */
function codePoints(text: string): number {
  let count = 0
  for (let i = 0; i < text.length; i++) {
    count++
    const unit = text.charCodeAt(i)
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) i++
  }
  return count
}

function invalid(message: string): Result<never, ServerError> {
  return err(serverError('M_INVALID_PARAM', message))
}

import {
  err,
  isStrictLocalpart,
  parseUserId,
  utf8ByteLength,
  type Result,
  type ServerName,
  type UserId,
} from '@rhizome/core'
import { randomInt } from 'node:crypto'
import { serverError, type ServerError } from '../http/errors.js'

/** appendices §User Identifiers: a user ID, sigil and server name included, fits in 255 bytes. */
const MAX_USER_ID_BYTES = 255

/**
 * Only A-Z: the grammar is ASCII, and a Unicode-aware lowercasing could turn a lookalike into a
 * real letter (KELVIN SIGN becomes `k`), which would map two usernames onto one account.
 */
export function asciiLowercase(text: string): string {
  return text.replace(/[A-Z]+/g, (upper) => upper.toLowerCase())
}

/**
 * The user ID that a new account named `localpart` gets, if the name is acceptable: not empty,
 * only `a-z 0-9 . _ = - / +` (the current grammar, which new users must follow) and short enough
 * for the whole ID to fit in 255 bytes. M_INVALID_USERNAME otherwise.
 */
export function newUserId(localpart: string, serverName: ServerName): Result<UserId, ServerError> {
  if (localpart === '') return err(invalidUsername('The username must not be empty'))
  if (!isStrictLocalpart(localpart)) {
    return err(invalidUsername('A username may only contain a-z, 0-9, and the characters ._=-/+'))
  }
  const raw = `@${localpart}:${serverName}`
  if (utf8ByteLength(raw) > MAX_USER_ID_BYTES) {
    return err(invalidUsername(`The user ID ${raw.slice(0, 40)}… would exceed 255 bytes`))
  }
  const parsed = parseUserId(raw)
  return parsed.ok ? parsed : err(invalidUsername(parsed.error.error))
}

/**
 * The user ID that `POST /register` creates for a requested username. The spec asks servers to
 * downcase usernames when creating user IDs (appendices §User Identifiers, rationale), as Synapse
 * does, so `Alice` registers `@alice`. `GET /register/available` does not downcase: it answers
 * whether the name, as given, is a valid and free localpart.
 */
export function userIdForRegistration(
  username: string,
  serverName: ServerName,
): Result<UserId, ServerError> {
  return newUserId(asciiLowercase(username), serverName)
}

/** A localpart for a registration that names none: 12 random lowercase letters and digits. */
export function generateLocalpart(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789'
  let localpart = ''
  for (let i = 0; i < 12; i++) localpart += alphabet.charAt(randomInt(alphabet.length))
  return localpart
}

function invalidUsername(error: string): ServerError {
  return serverError('M_INVALID_USERNAME', error)
}

import { createHash, randomBytes, randomInt } from 'node:crypto'

/**
 * Fresh credentials and the forms they are stored in. Access tokens are bearer secrets: the
 * database keeps only their SHA-256, so a leaked database or backup logs nobody in.
 */

/** Marks our tokens, so that one pasted somewhere it should not be is easy to recognise. */
export const ACCESS_TOKEN_PREFIX = 'rhz_'
const ACCESS_TOKEN_BYTES = 32

/** `rhz_` and 32 random bytes in unpadded base64url (256 bits of entropy). */
export function generateAccessToken(): string {
  return ACCESS_TOKEN_PREFIX + randomBytes(ACCESS_TOKEN_BYTES).toString('base64url')
}

/**
 * What the database holds for a token: its SHA-256 in unpadded base64url. A fast hash is right
 * here (unlike for passwords): the token is random and long, so there is nothing to guess.
 */
export function hashAccessToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('base64url')
}

const DEVICE_ID_LENGTH = 10
const UPPERCASE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'

/** Ten uppercase letters, as other homeservers make them (26^10: about 47 bits). */
export function generateDeviceId(): string {
  let id = ''
  for (let i = 0; i < DEVICE_ID_LENGTH; i++) id += UPPERCASE.charAt(randomInt(UPPERCASE.length))
  return id
}

/** An opaque random identifier for UIA sessions and admin nonces (unpadded base64url). */
export function generateSessionId(bytes = 24): string {
  return randomBytes(bytes).toString('base64url')
}

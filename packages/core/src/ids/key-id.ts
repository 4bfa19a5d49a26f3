/**
 * Signing key IDs: `algorithm:version`, like `ed25519:abc_1` (server-server-api §Retrieving server
 * keys: "The version must have characters matching the regular expression `[a-zA-Z0-9_]`"). The
 * spec gives algorithm names no grammar: any non-empty name without `:` is returned, and
 * algorithms the caller does not know are its to ignore.
 */
import { invalidParam } from '../errors/matrix-error.js'
import { err, ok } from '../errors/result.js'
import type { Result } from '../errors/result.js'
import { quoteForError } from './id-text.js'

export interface SigningKeyId {
  readonly algorithm: string
  readonly version: string
}

/**
 * `strict` holds the version to `[a-zA-Z0-9_]+`, for keys we publish or receive from key
 * endpoints. `lenient` takes any non-empty version: servers have signed events with keys such as
 * `ed25519:a+bc` (dendrite#1424), and those signatures must still be checked.
 */
export type KeyIdMode = 'strict' | 'lenient'

const STRICT_VERSION = /^[a-zA-Z0-9_]+$/

export function parseKeyId(raw: string, mode: KeyIdMode = 'strict'): Result<SigningKeyId> {
  if (typeof raw !== 'string') return err(invalidParam('key ID must be a string'))
  const colon = raw.indexOf(':')
  if (colon < 0) return err(invalidParam(`key ID has no ':': ${quoteForError(raw)}`))
  if (colon === 0) return err(invalidParam(`key ID has an empty algorithm: ${quoteForError(raw)}`))
  const version = raw.slice(colon + 1)
  if (version.length === 0)
    return err(invalidParam(`key ID has an empty version: ${quoteForError(raw)}`))
  if (mode === 'strict' && !STRICT_VERSION.test(version)) {
    return err(
      invalidParam(`key ID version has characters other than [a-zA-Z0-9_]: ${quoteForError(raw)}`),
    )
  }
  return ok({ algorithm: raw.slice(0, colon), version })
}

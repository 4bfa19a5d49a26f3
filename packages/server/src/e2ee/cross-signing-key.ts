/**
 * Cross-signing keys as uploaded (client-server-api §Cross-signing): their shape, and the
 * signatures that tie a self-signing or user-signing key to its master key.
 */
import {
  canonicalJsonWithout,
  decodeBase64,
  err,
  isJsonObject,
  ok,
  UNSIGNED_KEYS,
  verifyJsonSignature,
  type CryptoProvider,
  type JsonObject,
  type JsonValue,
  type Result,
  type UserId,
} from '@rhizome/core'
import { badJson, serverError, type ServerError } from '../http/errors.js'
import type { CrossSigningKeyRecord, CrossSigningUsage } from '../storage/e2e-key-store.js'

export const CROSS_SIGNING_FIELDS: Readonly<Record<CrossSigningUsage, string>> = {
  master: 'master_key',
  self_signing: 'self_signing_key',
  user_signing: 'user_signing_key',
}

/** An ed25519 public key is 32 bytes. */
const ED25519_PUBLIC_KEY_BYTES = 32

/**
 * Checks one uploaded key: it is the user's, has the usage of the field it came in, and names
 * exactly one ed25519 public key, as `ed25519:<key>` mapped to the key itself.
 */
export function parseCrossSigningKey(
  value: JsonValue,
  usage: CrossSigningUsage,
  userId: UserId,
): Result<CrossSigningKeyRecord, ServerError> {
  const field = CROSS_SIGNING_FIELDS[usage]
  if (!isJsonObject(value)) return err(badJson(`${field} must be an object`))
  if (value['user_id'] !== userId) {
    return err(serverError('M_INVALID_PARAM', `${field}.user_id must be ${userId}`))
  }
  const usages = value['usage']
  if (!Array.isArray(usages) || !usages.includes(usage)) {
    return err(serverError('M_INVALID_PARAM', `${field}.usage must include ${usage}`))
  }
  const keys = value['keys']
  const entries = isJsonObject(keys) ? Object.entries(keys) : []
  const [entry] = entries
  if (entries.length !== 1 || entry === undefined) {
    return err(serverError('M_INVALID_PARAM', `${field}.keys must hold exactly one key`))
  }
  const [keyId, publicKey] = entry
  if (typeof publicKey !== 'string' || keyId !== `ed25519:${publicKey}`) {
    return err(serverError('M_INVALID_PARAM', `${field}.keys must map ed25519:<key> to <key>`))
  }
  const bytes = decodeBase64(publicKey)
  if (!bytes.ok || bytes.value.length !== ED25519_PUBLIC_KEY_BYTES) {
    return err(serverError('M_INVALID_PARAM', `${field} is not an ed25519 public key`))
  }
  const signatures = value['signatures']
  if (signatures !== undefined && !isJsonObject(signatures)) {
    return err(badJson(`${field}.signatures must be an object`))
  }
  return ok({ userId, usage, publicKey, key: value })
}

/** Whether `signer`'s ed25519 key (unpadded base64) signed `value` for `userId`. */
export function signedBy(
  value: JsonObject,
  userId: UserId,
  signerPublicKey: string,
  signerKeyId: string,
  crypto: CryptoProvider,
): boolean {
  const key = decodeBase64(signerPublicKey)
  if (!key.ok) return false
  return verifyJsonSignature(value, userId, signerKeyId, key.value, crypto).ok
}

/** Whether two keys are the same once their signatures and unsigned data are set aside. */
export function sameSignedContent(a: JsonObject, b: JsonObject): boolean {
  return canonicalJsonWithout(a, UNSIGNED_KEYS) === canonicalJsonWithout(b, UNSIGNED_KEYS)
}

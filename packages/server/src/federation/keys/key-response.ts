/**
 * Reading and checking a server's key response (server-server-api §Publishing Keys), whether it
 * came from the server itself or through a notary.
 */
import {
  decodeBase64,
  ED25519,
  err,
  isJsonObject,
  ok,
  parseKeyId,
  verifyJsonSignature,
  type CryptoProvider,
  type JsonObject,
  type JsonValue,
  type Result,
  type ServerName,
} from '@rhizome/core'
import type { RemoteKeyResponse, RemoteVerifyKey } from './remote-key-store.js'

/**
 * The spec's ceiling on how far ahead a published key may be trusted: "the lesser of
 * valid_until_ts and 7 days into the future".
 */
export const MAX_KEY_VALIDITY_MS = 7 * 24 * 60 * 60 * 1000

export interface PublishedKey {
  /** Unpadded base64, as published. */
  readonly key: string
  readonly publicKey: Uint8Array
}

export interface VerifiedKeyResponse {
  readonly serverName: ServerName
  readonly validUntilTs: number
  readonly verifyKeys: ReadonlyMap<string, PublishedKey>
  readonly oldVerifyKeys: ReadonlyMap<string, PublishedKey & { readonly expiredTs: number }>
  /** The response with the origin's signatures only (a notary's are dropped). */
  readonly body: JsonObject
}

/**
 * Checks that `body` is `expected`'s key response and that the server signed it: `server_name`
 * must be `expected`; every signature of `expected` made with a key listed in `verify_keys` must
 * verify, and there must be at least one. Signatures with keys it does not list are ignored, as
 * are keys of algorithms other than ed25519. The error is a message for logs.
 */
export function verifyKeyResponse(
  body: JsonValue,
  expected: ServerName,
  crypto: CryptoProvider,
): Result<VerifiedKeyResponse, string> {
  if (!isJsonObject(body)) return err('the key response is not a JSON object')
  const serverName = body['server_name']
  if (serverName !== expected) {
    return err(`the key response is for ${describe(serverName)}, not ${expected}`)
  }
  const validUntilTs = body['valid_until_ts']
  if (!isTimestamp(validUntilTs)) return err('the key response has no valid valid_until_ts')
  const verifyKeys = new Map<string, PublishedKey>()
  const listed = body['verify_keys']
  if (!isJsonObject(listed)) return err('the key response has no verify_keys object')
  for (const [keyId, entry] of Object.entries(listed)) {
    const parsed = publishedKey(keyId, entry)
    if (!parsed.ok) return parsed
    if (parsed.value !== undefined) verifyKeys.set(keyId, parsed.value)
  }
  const oldVerifyKeys = new Map<string, PublishedKey & { readonly expiredTs: number }>()
  const old = body['old_verify_keys']
  if (old !== undefined) {
    if (!isJsonObject(old)) return err('old_verify_keys is not an object')
    for (const [keyId, entry] of Object.entries(old)) {
      const parsed = publishedKey(keyId, entry)
      if (!parsed.ok) return parsed
      if (parsed.value === undefined || !isJsonObject(entry)) continue
      const expiredTs = entry['expired_ts']
      if (!isTimestamp(expiredTs)) return err(`old key ${keyId} has no valid expired_ts`)
      oldVerifyKeys.set(keyId, { ...parsed.value, expiredTs })
    }
  }
  const signatures = body['signatures']
  const own = isJsonObject(signatures) ? signatures[expected] : undefined
  if (!isJsonObject(own)) return err(`the key response carries no signature of ${expected}`)
  let verified = 0
  for (const keyId of Object.keys(own)) {
    const key = verifyKeys.get(keyId)
    if (key === undefined) continue
    const checked = verifyJsonSignature(body, expected, keyId, key.publicKey, crypto)
    if (!checked.ok) return err(`the key response's signature with ${keyId} does not verify`)
    verified++
  }
  if (verified === 0) return err(`the key response is not signed with one of its verify_keys`)
  return ok({
    serverName: expected,
    validUntilTs,
    verifyKeys,
    oldVerifyKeys,
    body: { ...body, signatures: { [expected]: own } },
  })
}

/**
 * The keys of a verified response as the store keeps them, with current keys trusted for at most
 * seven days after `fetchedTs`.
 */
export function keysToStore(
  response: VerifiedKeyResponse,
  fetchedTs: number,
): { readonly response: RemoteKeyResponse; readonly keys: readonly RemoteVerifyKey[] } {
  const capped = Math.min(response.validUntilTs, fetchedTs + MAX_KEY_VALIDITY_MS)
  const keys: RemoteVerifyKey[] = []
  for (const [keyId, key] of response.verifyKeys) {
    keys.push({
      serverName: response.serverName,
      keyId,
      key: key.key,
      validUntilTs: capped,
      expiredTs: undefined,
      fetchedTs,
    })
  }
  for (const [keyId, key] of response.oldVerifyKeys) {
    // A key listed both ways is still in use: the current listing is kept.
    if (response.verifyKeys.has(keyId)) continue
    keys.push({
      serverName: response.serverName,
      keyId,
      key: key.key,
      validUntilTs: key.expiredTs,
      expiredTs: key.expiredTs,
      fetchedTs,
    })
  }
  return {
    response: {
      serverName: response.serverName,
      response: response.body,
      validUntilTs: response.validUntilTs,
      fetchedTs,
    },
    keys,
  }
}

/** A key entry; undefined for an algorithm this server cannot verify with (it is skipped). */
function publishedKey(keyId: string, entry: JsonValue): Result<PublishedKey | undefined, string> {
  const parsed = parseKeyId(keyId, 'strict')
  if (!parsed.ok) return err(`bad key ID in the key response: ${parsed.error.error}`)
  if (parsed.value.algorithm !== ED25519) return ok(undefined)
  const encoded = isJsonObject(entry) ? entry['key'] : undefined
  if (typeof encoded !== 'string') return err(`key ${keyId} has no key string`)
  const publicKey = decodeBase64(encoded, { allowTrailingBits: true })
  if (!publicKey.ok || publicKey.value.length !== 32) {
    return err(`key ${keyId} is not a base64 ed25519 public key`)
  }
  return ok({ key: encoded, publicKey: publicKey.value })
}

function isTimestamp(value: JsonValue | undefined): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
}

function describe(value: JsonValue | undefined): string {
  return typeof value === 'string' ? value.slice(0, 300) : 'no server'
}

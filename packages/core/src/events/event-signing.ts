import type { CryptoProvider } from '../crypto/provider.js'
import type { SigningKey } from '../crypto/signing-key.js'
import { jsonSignature, verifyJsonSignature, withSignature } from '../crypto/signing.js'
import type { Result } from '../errors/result.js'
import { isJsonObject, type JsonObject } from '../json/json.js'
import type { RoomVersionRules } from '../room-versions/rules.js'
import { computeContentHash } from './hashes.js'
import { redactEvent } from './redaction.js'

/**
 * Adds the content hash and this server's signature to an outgoing event (server-server-api §Adding
 * hashes and signatures to outgoing events): `hashes.sha256` is set to the content hash (other hash
 * algorithms already in `hashes` are kept), then the *redacted* event is signed, so that the
 * signature still checks after a redaction, and the signatures are copied back onto the full event.
 * Signatures already on the event are kept. Returns a new object; `event` is not changed.
 */
export function hashAndSignEvent(
  event: JsonObject,
  rules: RoomVersionRules,
  signingName: string,
  key: SigningKey,
  crypto: CryptoProvider,
): JsonObject {
  const hashes = event['hashes']
  const hashed: JsonObject = {
    ...event,
    hashes: { ...(isJsonObject(hashes) ? hashes : {}), sha256: computeContentHash(event, crypto) },
  }
  // Redaction keeps `signatures`, so signing the redacted copy and copying its signatures back, as
  // the spec's example code does, comes to adding one signature to the full event.
  const signature = jsonSignature(redactEvent(hashed, rules), key, crypto)
  return withSignature(hashed, signingName, key.keyId, signature)
}

/**
 * Checks `serverName`'s signature with `keyId` on an event, over its redacted form (server-server-api
 * §Validating hashes and signatures on received events), so it succeeds for the full event and for a
 * redacted copy alike. Which servers must have signed, and with which keys, is the caller's to
 * decide. Failures are M_INVALID_SIGNATURE.
 */
export function verifyEventSignature(
  event: JsonObject,
  rules: RoomVersionRules,
  serverName: string,
  keyId: string,
  publicKey: Uint8Array,
  crypto: CryptoProvider,
): Result<void> {
  return verifyJsonSignature(redactEvent(event, rules), serverName, keyId, publicKey, crypto)
}

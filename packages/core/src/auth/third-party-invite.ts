/**
 * The signature check of a third-party invite (auth rule "If any signature in `signed` matches any
 * public key in the `m.room.third_party_invite` event, allow"). The identity server signs the
 * `signed` object (`mxid`, `token`, ...) with the JSON signing algorithm; its ed25519 public keys
 * are in the invite event's `public_key` and `public_keys[].public_key`, in unpadded base64 of
 * either alphabet.
 */
import type { CryptoProvider } from '../crypto/provider.js'
import { verifyJsonSignature } from '../crypto/signing.js'
import { decodeBase64, decodeBase64Url } from '../encoding/base64.js'
import { isJsonObject } from '../json/json.js'
import type { JsonObject } from '../json/json.js'

/**
 * An honest identity server signs once, with a key the invite lists once or twice. The spec asks
 * for any signature against any key, so an invite event with many keys and a member event with
 * many signatures would cost their product in ed25519 checks, which state resolution repeats:
 * the attempts are capped, far above what honest events need.
 */
export const MAX_THIRD_PARTY_SIGNATURE_ATTEMPTS = 64

export function thirdPartyInviteSignatureMatches(
  signed: JsonObject,
  inviteContent: JsonObject,
  crypto: CryptoProvider,
): boolean {
  const signatures = signed['signatures']
  if (!isJsonObject(signatures)) return false
  const keys = publicKeys(inviteContent)
  if (keys.length === 0) return false
  let attempts = 0
  for (const signingName of Object.keys(signatures)) {
    const byKeyId = signatures[signingName]
    if (!isJsonObject(byKeyId)) continue
    for (const keyId of Object.keys(byKeyId)) {
      // An ed25519 public key can only have made an ed25519 signature.
      if (!keyId.startsWith('ed25519:')) continue
      for (const key of keys) {
        if (++attempts > MAX_THIRD_PARTY_SIGNATURE_ATTEMPTS) return false
        if (verifyJsonSignature(signed, signingName, keyId, key, crypto).ok) return true
      }
    }
  }
  return false
}

/** The invite's public keys, decoded; keys that are not base64 can match nothing and are dropped. */
function publicKeys(content: JsonObject): Uint8Array[] {
  const encoded: string[] = []
  const single = content['public_key']
  if (typeof single === 'string') encoded.push(single)
  const list = content['public_keys']
  if (Array.isArray(list)) {
    for (const entry of list as readonly unknown[]) {
      // Keys past the attempt cap could never be tried.
      if (encoded.length >= MAX_THIRD_PARTY_SIGNATURE_ATTEMPTS) break
      if (!isJsonObject(entry)) continue
      const key = entry['public_key']
      if (typeof key === 'string' && !encoded.includes(key)) encoded.push(key)
    }
  }
  const keys: Uint8Array[] = []
  for (const text of encoded) {
    // The alphabets differ only in `+/` versus `-_`; Python's lenient decoder (Synapse) ignores
    // unused trailing bits, so they are allowed here too.
    const urlSafe = text.includes('-') || text.includes('_')
    const decoded = urlSafe
      ? decodeBase64Url(text, { allowTrailingBits: true })
      : decodeBase64(text, { allowTrailingBits: true })
    if (decoded.ok) keys.push(decoded.value)
  }
  return keys
}

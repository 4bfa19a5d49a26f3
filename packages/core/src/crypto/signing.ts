import { decodeBase64, encodeBase64 } from '../encoding/base64.js'
import { matrixError, type MatrixError } from '../errors/matrix-error.js'
import { err, ok, type Result } from '../errors/result.js'
import { canonicalJsonWithout } from '../json/canonical-json.js'
import { isJsonObject, type JsonObject } from '../json/json.js'
import type { CryptoProvider } from './provider.js'
import { ED25519, type SigningKey } from './signing-key.js'

/** What a JSON signature does not cover (appendices §Signing Details). */
export const UNSIGNED_KEYS: readonly string[] = ['signatures', 'unsigned']

/**
 * Signs `value` as appendices §Signing JSON describes: the canonical JSON of the object without
 * `signatures` and `unsigned` is signed with ed25519, and a copy of `value` is returned with the
 * unpadded base64 signature at `signatures[signingName][key.keyId]`. Signatures already present are
 * kept (other servers', and this server's under other keys); `unsigned` is carried over untouched.
 * A `signatures` member that is not an object, or a non-object entry for `signingName`, holds no
 * signature and is replaced.
 */
export function signJson(
  value: JsonObject,
  signingName: string,
  key: SigningKey,
  crypto: CryptoProvider,
): JsonObject {
  return withSignature(value, signingName, key.keyId, jsonSignature(value, key, crypto))
}

/** The unpadded base64 signature of `value` without its `signatures` and `unsigned`. */
export function jsonSignature(value: JsonObject, key: SigningKey, crypto: CryptoProvider): string {
  return encodeBase64(crypto.ed25519Sign(key.seed, canonicalJsonWithout(value, UNSIGNED_KEYS)))
}

/**
 * A copy of `value` with `signature` at `signatures[signingName][keyId]`, keeping the other
 * signatures (see {@link signJson}).
 */
export function withSignature(
  value: JsonObject,
  signingName: string,
  keyId: string,
  signature: string,
): JsonObject {
  const signatures = value['signatures']
  const all = isJsonObject(signatures) ? signatures : {}
  const mine = all[signingName]
  const entry = isJsonObject(mine) ? mine : {}
  return {
    ...value,
    signatures: { ...all, [signingName]: { ...entry, [keyId]: signature } },
  }
}

/**
 * Checks that `signingName` signed `value` with the key `keyId`, whose public key the caller has
 * looked up (appendices §Checking for a Signature, steps 1 and 4-7; choosing the key IDs to check
 * and finding their keys are the caller's steps 2-3). Any failure is M_INVALID_SIGNATURE: no
 * signature from that entity or key, an algorithm other than ed25519, a signature that is not
 * base64, or one that does not verify.
 */
export function verifyJsonSignature(
  value: JsonObject,
  signingName: string,
  keyId: string,
  publicKey: Uint8Array,
  crypto: CryptoProvider,
): Result<void> {
  const signatures = value['signatures']
  if (!isJsonObject(signatures)) return err(invalid('the object has no signatures'))
  const entry = signatures[signingName]
  if (!isJsonObject(entry)) return err(invalid(`no signatures from ${signingName}`))
  const encoded = entry[keyId]
  if (typeof encoded !== 'string') {
    return err(invalid(`no signature from ${signingName} with key ${keyId}`))
  }
  if (!keyId.startsWith(ED25519 + ':')) {
    return err(invalid(`unsupported signing algorithm in key ID ${keyId}`))
  }
  // Python's decoder, which Synapse uses, ignores the unused bits of the last character; a
  // signature that Synapse accepts must not be refused here over them.
  const signature = decodeBase64(encoded, { allowTrailingBits: true })
  if (!signature.ok) return err(invalid(`signature from ${signingName} is not valid base64`))
  const message = canonicalJsonWithout(value, UNSIGNED_KEYS)
  if (!crypto.ed25519Verify(publicKey, message, signature.value)) {
    return err(invalid(`signature from ${signingName} with key ${keyId} does not verify`))
  }
  return ok(undefined)
}

function invalid(message: string): MatrixError {
  return matrixError('M_INVALID_SIGNATURE', message)
}

/**
 * `/keys/signatures/upload` (client-server-api §Cross-signing): which of the uploaded signatures
 * are valid, and why the others are not. The signed object must be the key as stored, apart from
 * its signatures; a user signs their own devices with their self-signing key, their own master
 * key with a device, and other users' master keys with their user-signing key.
 */
import { isJsonObject, type CryptoProvider, type JsonObject, type UserId } from '@rhizome/core'
import type { ServerError } from '../http/errors.js'
import { serverError } from '../http/errors.js'
import type { CrossSigningKeyRecord, KeySignature } from '../storage/e2e-key-store.js'
import { sameSignedContent, signedBy } from './cross-signing-key.js'

/** What the check needs to know about the signer and the signed users. */
export interface SignatureContext {
  readonly signer: UserId
  readonly crypto: CryptoProvider
  /** Cross-signing keys of the signer and of every target user. */
  readonly crossSigning: readonly CrossSigningKeyRecord[]
  /** The signer's own devices' keys, by device ID. */
  readonly ownDevices: ReadonlyMap<string, JsonObject>
}

export interface SignatureCheck {
  readonly accepted: readonly KeySignature[]
  readonly failures: Record<UserId, Record<string, ServerError>>
}

export function checkUploadedSignatures(
  uploads: ReadonlyMap<UserId, ReadonlyMap<string, JsonObject>>,
  context: SignatureContext,
): SignatureCheck {
  const accepted: KeySignature[] = []
  const failures: Record<UserId, Record<string, ServerError>> = {}
  for (const [target, keys] of uploads) {
    for (const [keyId, signed] of keys) {
      const outcome = checkOne(target, keyId, signed, context)
      if (Array.isArray(outcome)) accepted.push(...outcome)
      else failures[target] = { ...failures[target], [keyId]: outcome }
    }
  }
  return { accepted, failures }
}

function checkOne(
  target: UserId,
  keyId: string,
  signed: JsonObject,
  context: SignatureContext,
): KeySignature[] | ServerError {
  const { signer } = context
  const keyOf = (user: UserId, usage: CrossSigningKeyRecord['usage']) =>
    context.crossSigning.find((k) => k.userId === user && k.usage === usage)
  const targetMaster = keyOf(target, 'master')
  if (target === signer) {
    if (targetMaster !== undefined && keyId === targetMaster.publicKey) {
      // The user's own master key, signed by their devices.
      if (!sameSignedContent(signed, targetMaster.key)) return mismatch(keyId)
      return validSignatures(signed, target, keyId, context, (signerKeyId) => {
        const deviceId = signerKeyId.slice('ed25519:'.length)
        const device = context.ownDevices.get(deviceId)
        const keys = device?.['keys']
        const publicKey = isJsonObject(keys) ? keys[`ed25519:${deviceId}`] : undefined
        return typeof publicKey === 'string' ? publicKey : undefined
      })
    }
    // One of the user's own devices, signed by their self-signing key.
    const device = context.ownDevices.get(keyId)
    if (device === undefined) return notFound(keyId)
    if (!sameSignedContent(signed, device)) return mismatch(keyId)
    const selfSigning = keyOf(signer, 'self_signing')
    if (selfSigning === undefined) return invalid('You have no self-signing key')
    return validSignatures(signed, target, keyId, context, (signerKeyId) =>
      signerKeyId === `ed25519:${selfSigning.publicKey}` ? selfSigning.publicKey : undefined,
    )
  }
  // Another user's master key, signed by the signer's user-signing key.
  if (targetMaster === undefined || keyId !== targetMaster.publicKey) return notFound(keyId)
  if (!sameSignedContent(signed, targetMaster.key)) return mismatch(keyId)
  const userSigning = keyOf(signer, 'user_signing')
  if (userSigning === undefined) return invalid('You have no user-signing key')
  return validSignatures(signed, target, keyId, context, (signerKeyId) =>
    signerKeyId === `ed25519:${userSigning.publicKey}` ? userSigning.publicKey : undefined,
  )
}

/**
 * The signer's signatures on the object by keys that `publicKeyOf` accepts; an error when there
 * is none, or when one of them does not verify.
 */
function validSignatures(
  signed: JsonObject,
  target: UserId,
  targetKeyId: string,
  context: SignatureContext,
  publicKeyOf: (signerKeyId: string) => string | undefined,
): KeySignature[] | ServerError {
  const signatures = signed['signatures']
  const mine = isJsonObject(signatures) ? signatures[context.signer] : undefined
  const out: KeySignature[] = []
  if (isJsonObject(mine)) {
    for (const [signerKeyId, signature] of Object.entries(mine)) {
      const publicKey = publicKeyOf(signerKeyId)
      if (publicKey === undefined || typeof signature !== 'string') continue
      if (!signedBy(signed, context.signer, publicKey, signerKeyId, context.crypto)) {
        return invalid(`The signature by ${signerKeyId} does not verify`)
      }
      out.push({
        targetUserId: target,
        targetKeyId,
        signerUserId: context.signer,
        signerKeyId,
        signature,
      })
    }
  }
  return out.length > 0 ? out : invalid('No signature by a key that may sign this key')
}

function invalid(error: string): ServerError {
  return serverError('M_INVALID_SIGNATURE', error)
}

function notFound(keyId: string): ServerError {
  return serverError('M_NOT_FOUND', `No key ${keyId} is known`)
}

function mismatch(keyId: string): ServerError {
  return serverError('M_INVALID_PARAM', `The signed object is not the key ${keyId} as stored`)
}

/**
 * `/keys/query` answers for this server's users (client-server-api §Key management API): device
 * keys with their display names and the signatures the viewer may see, and cross-signing keys.
 */
import type { JsonObject, UserId } from '@rhizome/core'
import type { CrossSigningKeyRecord, DeviceKeys, KeySignature } from '../storage/e2e-key-store.js'

export interface KeyQueryAnswer {
  readonly device_keys: Record<UserId, Record<string, JsonObject>>
  readonly master_keys: Record<UserId, JsonObject>
  readonly self_signing_keys: Record<UserId, JsonObject>
  readonly user_signing_keys: Record<UserId, JsonObject>
}

/**
 * Which uploaded signatures a viewer sees (§Key and signature security): on a device, its
 * owner's (self-signing key); on a master key, its owner's (their devices) and the viewer's own
 * (their user-signing key). Signatures by other users' user-signing keys stay hidden.
 */
function visible(
  signature: KeySignature,
  viewer: UserId | undefined,
  onMasterKey: boolean,
): boolean {
  if (signature.signerUserId === signature.targetUserId) return true
  return onMasterKey && signature.signerUserId === viewer
}

/** The key with extra signatures merged into its `signatures`. */
function withSignatures(key: JsonObject, extra: readonly KeySignature[]): JsonObject {
  if (extra.length === 0) return key
  const existing = key['signatures']
  const merged: Record<string, Record<string, string>> = {}
  if (existing !== null && typeof existing === 'object' && !Array.isArray(existing)) {
    for (const [user, sigs] of Object.entries(existing)) {
      if (sigs !== null && typeof sigs === 'object' && !Array.isArray(sigs)) {
        merged[user] = Object.fromEntries(
          Object.entries(sigs).filter((e): e is [string, string] => typeof e[1] === 'string'),
        )
      }
    }
  }
  for (const s of extra) {
    merged[s.signerUserId] = { ...merged[s.signerUserId], [s.signerKeyId]: s.signature }
  }
  return { ...key, signatures: merged }
}

/** `viewer` is the asking user; undefined when another server asks for its users. */
export function keyQueryAnswer(
  viewer: UserId | undefined,
  users: readonly UserId[],
  devices: readonly DeviceKeys[],
  crossSigning: readonly CrossSigningKeyRecord[],
  signatures: readonly KeySignature[],
): KeyQueryAnswer {
  const answer: KeyQueryAnswer = {
    device_keys: {},
    master_keys: {},
    self_signing_keys: {},
    user_signing_keys: {},
  }
  for (const user of users) answer.device_keys[user] = {}
  const signaturesOf = (user: UserId, keyId: string, onMaster: boolean): KeySignature[] =>
    signatures.filter(
      (s) => s.targetUserId === user && s.targetKeyId === keyId && visible(s, viewer, onMaster),
    )
  for (const device of devices) {
    const unsigned =
      device.displayName === undefined ? {} : { device_display_name: device.displayName }
    const keys = withSignatures(device.keys, signaturesOf(device.userId, device.deviceId, false))
    const forUser = answer.device_keys[device.userId] ?? {}
    forUser[device.deviceId] = { ...keys, unsigned }
    answer.device_keys[device.userId] = forUser
  }
  for (const key of crossSigning) {
    if (key.usage === 'master') {
      answer.master_keys[key.userId] = withSignatures(
        key.key,
        signaturesOf(key.userId, key.publicKey, true),
      )
    } else if (key.usage === 'self_signing') {
      answer.self_signing_keys[key.userId] = key.key
    } else if (viewer !== undefined && key.userId === viewer) {
      answer.user_signing_keys[key.userId] = key.key
    }
  }
  return answer
}

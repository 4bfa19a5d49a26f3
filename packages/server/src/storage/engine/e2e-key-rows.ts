import { canonicalJson, isJsonObject, type JsonObject, type UserId } from '@rhizome/core'
import type {
  CrossSigningKeyRecord,
  CrossSigningUsage,
  DeviceKeys,
  DeviceSyncState,
  KeySignature,
  ToDeviceMessage,
  ToDeviceRecipient,
} from '../e2e-key-store.js'
import { parseStoredObject } from './json-text.js'

/** A one-time or fallback key as stored: canonical JSON of a string or of a signed object. */
export function keyJson(key: string | JsonObject): string {
  return canonicalJson(key)
}

export function keyFromJson(text: string): string | JsonObject {
  const value: unknown = JSON.parse(text)
  if (typeof value === 'string' || isJsonObject(value)) return value
  throw new Error('a stored key is neither a string nor an object')
}

export interface CountRow {
  readonly algorithm: string
  readonly n: number | string
}

export function countsFromRows(rows: readonly CountRow[]): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const row of rows) counts[row.algorithm] = Number(row.n)
  return counts
}

export interface DeviceKeysRow {
  readonly user_id: string
  readonly device_id: string
  readonly key_json: string
  readonly display_name: string | null
}

export function deviceKeysFromRow(row: DeviceKeysRow): DeviceKeys {
  return {
    userId: row.user_id as UserId,
    deviceId: row.device_id,
    keys: parseStoredObject(row.key_json, 'device keys'),
    displayName: row.display_name ?? undefined,
  }
}

export interface CrossSigningRow {
  readonly user_id: string
  readonly usage: string
  readonly public_key: string
  readonly key_json: string
}

export function crossSigningFromRow(row: CrossSigningRow): CrossSigningKeyRecord {
  return {
    userId: row.user_id as UserId,
    usage: row.usage as CrossSigningUsage,
    publicKey: row.public_key,
    key: parseStoredObject(row.key_json, 'cross-signing key'),
  }
}

export interface SignatureRow {
  readonly target_user_id: string
  readonly target_key_id: string
  readonly signer_user_id: string
  readonly signer_key_id: string
  readonly signature: string
}

export function signatureFromRow(row: SignatureRow): KeySignature {
  return {
    targetUserId: row.target_user_id as UserId,
    targetKeyId: row.target_key_id,
    signerUserId: row.signer_user_id as UserId,
    signerKeyId: row.signer_key_id,
    signature: row.signature,
  }
}

export interface ToDeviceRow {
  readonly stream_position: number | string
  readonly sender: string
  readonly type: string
  readonly content: string
}

export function toDeviceFromRow(row: ToDeviceRow): ToDeviceMessage {
  return {
    streamPosition: Number(row.stream_position),
    sender: row.sender as UserId,
    type: row.type,
    content: parseStoredObject(row.content, 'to-device message'),
  }
}

/**
 * Each recipient device's message: `*` is every device the user has, an explicit device ID wins
 * over `*` for the same user (one message per device per request), and devices that do not exist
 * get nothing.
 */
export function expandRecipients(
  recipients: readonly ToDeviceRecipient[],
  devices: ReadonlyMap<UserId, readonly string[]>,
): readonly ToDeviceDelivery[] {
  const out = new Map<string, ToDeviceDelivery>()
  const add = (userId: UserId, deviceId: string, content: JsonObject): void => {
    out.set(`${userId}\u0000${deviceId}`, { userId, deviceId, content })
  }
  for (const r of recipients) {
    if (r.deviceId === '*')
      for (const id of devices.get(r.userId) ?? []) add(r.userId, id, r.content)
  }
  for (const r of recipients) {
    if (r.deviceId !== '*' && devices.get(r.userId)?.includes(r.deviceId) === true) {
      add(r.userId, r.deviceId, r.content)
    }
  }
  return [...out.values()]
}

export interface ToDeviceDelivery {
  readonly userId: UserId
  readonly deviceId: string
  readonly content: JsonObject
}

/** The distinct users of a batch's recipients. */
export function recipientUsers(recipients: readonly ToDeviceRecipient[]): UserId[] {
  return [...new Set(recipients.map((r) => r.userId))]
}

/** Whether the query asked for this device: all of a user's devices when its list is empty. */
export function wanted(
  query: ReadonlyMap<UserId, readonly string[]>,
  row: { readonly user_id: string; readonly device_id: string },
): boolean {
  const devices = query.get(row.user_id as UserId)
  return devices !== undefined && (devices.length === 0 || devices.includes(row.device_id))
}

/**
 * One read for a syncing device, the same in both dialects: its one-time key counts (kind 'o'),
 * unused fallback key algorithms ('f') and its oldest queued to-device message ('t').
 */
export const DEVICE_SYNC_STATE = `SELECT 'o' AS kind, algorithm, count(*) AS n FROM one_time_keys
    WHERE user_id = $1 AND device_id = $2 GROUP BY algorithm
  UNION ALL
  SELECT 'f', algorithm, 0 FROM fallback_keys
    WHERE user_id = $1 AND device_id = $2 AND used = $3
  UNION ALL
  SELECT 't', '', min(stream_position) FROM to_device_messages
    WHERE user_id = $1 AND device_id = $2`

export interface DeviceSyncRow {
  readonly kind: string
  readonly algorithm: string
  readonly n: number | string | null
}

export function deviceSyncStateFromRows(rows: readonly DeviceSyncRow[]): DeviceSyncState {
  const counts: Record<string, number> = {}
  const fallback: string[] = []
  let oldest: number | undefined
  for (const row of rows) {
    if (row.kind === 'o') counts[row.algorithm] = Number(row.n)
    else if (row.kind === 'f') fallback.push(row.algorithm)
    else if (row.n !== null) oldest = Number(row.n)
  }
  return {
    oneTimeKeyCounts: counts,
    unusedFallbackKeyTypes: fallback.sort(),
    oldestToDevice: oldest,
  }
}

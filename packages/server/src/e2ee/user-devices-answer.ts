/**
 * Reads another server's `/user/devices/{userId}` answer (server-server-api §Device Management)
 * into the list this server keeps. A server speaks for its own user only: the answer must be about
 * the user asked for, each device's keys must name that user and device, and each cross-signing
 * key that user. A device or key that does not is left out; an answer without a user or a
 * `stream_id` is refused whole.
 */
import {
  err,
  isJsonObject,
  ok,
  type JsonObject,
  type JsonValue,
  type Result,
  type UserId,
} from '@rhizome/core'
import type { RemoteDevice, RemoteDeviceList } from '../storage/e2e-key-store.js'

export function readUserDevices(userId: UserId, body: JsonValue): Result<RemoteDeviceList, string> {
  if (!isJsonObject(body) || body['user_id'] !== userId) {
    return err(`the answer is not about ${userId}`)
  }
  const streamId = body['stream_id']
  if (typeof streamId !== 'number' || !Number.isSafeInteger(streamId) || streamId < 0) {
    return err('the answer has no valid stream_id')
  }
  const listed = body['devices']
  const devices: RemoteDevice[] = []
  const seen = new Set<string>()
  for (const entry of Array.isArray(listed) ? (listed as readonly JsonValue[]) : []) {
    const device = readDevice(userId, entry)
    if (device === undefined || seen.has(device.deviceId)) continue
    seen.add(device.deviceId)
    devices.push(device)
  }
  return ok({
    userId,
    streamId,
    devices,
    masterKey: ownKey(userId, body['master_key']),
    selfSigningKey: ownKey(userId, body['self_signing_key']),
  })
}

function readDevice(userId: UserId, entry: JsonValue): RemoteDevice | undefined {
  if (!isJsonObject(entry)) return undefined
  const deviceId = entry['device_id']
  if (typeof deviceId !== 'string' || deviceId === '') return undefined
  const keys = entry['keys']
  if (keys !== undefined && !(isJsonObject(keys) && ownsKeys(keys, userId, deviceId))) {
    return undefined
  }
  const name = entry['device_display_name']
  return { deviceId, keys, displayName: typeof name === 'string' ? name : undefined }
}

/** Whether device keys name the user and the device they are listed under. */
export function ownsKeys(keys: JsonObject, userId: UserId, deviceId: string): boolean {
  return keys['user_id'] === userId && keys['device_id'] === deviceId
}

/** The cross-signing key when it is the user's; undefined otherwise. */
export function ownKey(userId: UserId, value: JsonValue | undefined): JsonObject | undefined {
  return isJsonObject(value) && value['user_id'] === userId ? value : undefined
}

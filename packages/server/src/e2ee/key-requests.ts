/**
 * The bodies of the key management endpoints (client-server-api §Key management API), parsed
 * into typed requests. Wrong types are M_BAD_JSON, missing required fields M_MISSING_PARAM,
 * malformed identifiers M_INVALID_PARAM.
 */
import {
  err,
  isJsonObject,
  ok,
  parseUserId,
  type JsonObject,
  type JsonValue,
  type Result,
  type UserId,
} from '@rhizome/core'
import { badJson, serverError, type ServerError } from '../http/errors.js'
import type { UploadedKey } from '../storage/e2e-key-store.js'

/** More keys than any client uploads at once; a bound on the work of one request. */
export const MAX_KEYS_PER_UPLOAD = 1000
/** Users or devices one query or claim may name. */
export const MAX_QUERY_ENTRIES = 10_000
/** The longest algorithm name or key ID kept (identifiers, as the spec's grammar has them). */
const MAX_KEY_NAME_BYTES = 255

export interface KeyUploadRequest {
  readonly deviceKeys: JsonObject | undefined
  readonly oneTimeKeys: readonly UploadedKey[]
  readonly fallbackKeys: readonly UploadedKey[]
}

export function parseKeyUpload(body: JsonObject): Result<KeyUploadRequest, ServerError> {
  const deviceKeys = body['device_keys']
  if (deviceKeys !== undefined) {
    const checked = checkDeviceKeys(deviceKeys)
    if (!checked.ok) return checked
  }
  const oneTime = parseKeyMap(body['one_time_keys'], 'one_time_keys')
  if (!oneTime.ok) return oneTime
  // Clients from before fallback keys were in the spec (v1.2) use the unstable name.
  const fallbackField =
    body['fallback_keys'] === undefined ? 'org.matrix.msc2732.fallback_keys' : 'fallback_keys'
  const fallback = parseKeyMap(body[fallbackField], fallbackField)
  if (!fallback.ok) return fallback
  const algorithms = new Set(fallback.value.map((k) => k.algorithm))
  if (algorithms.size !== fallback.value.length) {
    return err(serverError('M_INVALID_PARAM', 'At most one fallback key per algorithm'))
  }
  if (oneTime.value.length + fallback.value.length > MAX_KEYS_PER_UPLOAD) {
    return err(serverError('M_INVALID_PARAM', `At most ${MAX_KEYS_PER_UPLOAD} keys in one upload`))
  }
  return ok({
    deviceKeys: isJsonObject(deviceKeys) ? deviceKeys : undefined,
    oneTimeKeys: oneTime.value,
    fallbackKeys: fallback.value,
  })
}

function checkDeviceKeys(value: JsonValue): Result<void, ServerError> {
  if (!isJsonObject(value)) return err(badJson('device_keys must be an object'))
  for (const field of ['user_id', 'device_id', 'algorithms', 'keys', 'signatures']) {
    if (value[field] === undefined) {
      return err(serverError('M_MISSING_PARAM', `device_keys.${field} is required`))
    }
  }
  if (typeof value['user_id'] !== 'string' || typeof value['device_id'] !== 'string') {
    return err(badJson('device_keys.user_id and device_id must be strings'))
  }
  const algorithms = value['algorithms']
  if (!Array.isArray(algorithms) || !algorithms.every((a) => typeof a === 'string')) {
    return err(badJson('device_keys.algorithms must be a list of strings'))
  }
  if (!isStringMap(value['keys'])) {
    return err(badJson('device_keys.keys must map key IDs to strings'))
  }
  const signatures = value['signatures']
  if (!isJsonObject(signatures) || !Object.values(signatures).every(isStringMap)) {
    return err(badJson('device_keys.signatures must map users to key IDs to strings'))
  }
  return ok(undefined)
}

function isStringMap(value: JsonValue | undefined): boolean {
  return isJsonObject(value) && Object.values(value).every((v) => typeof v === 'string')
}

/** `{"<algorithm>:<key ID>": key}`, where a key is a string or a (signed) object. */
function parseKeyMap(
  value: JsonValue | undefined,
  field: string,
): Result<UploadedKey[], ServerError> {
  if (value === undefined) return ok([])
  if (!isJsonObject(value)) return err(badJson(`${field} must be an object`))
  const keys: UploadedKey[] = []
  for (const [name, key] of Object.entries(value)) {
    const colon = name.indexOf(':')
    const algorithm = name.slice(0, colon)
    const keyId = name.slice(colon + 1)
    if (colon <= 0 || keyId === '' || Buffer.byteLength(name) > 2 * MAX_KEY_NAME_BYTES) {
      return err(serverError('M_INVALID_PARAM', `${field}: ${name} is not <algorithm>:<key ID>`))
    }
    if (typeof key !== 'string' && !isJsonObject(key)) {
      return err(badJson(`${field}.${name} must be a string or an object`))
    }
    keys.push({ algorithm, keyId, key })
  }
  return ok(keys)
}

/** `/keys/query`: user ID to the devices wanted, all of them for an empty list. */
export function parseKeyQuery(
  body: JsonObject,
): Result<ReadonlyMap<UserId, readonly string[]>, ServerError> {
  const deviceKeys = body['device_keys']
  if (deviceKeys === undefined)
    return err(serverError('M_MISSING_PARAM', 'device_keys is required'))
  if (!isJsonObject(deviceKeys)) return err(badJson('device_keys must be an object'))
  const timeout = checkTimeout(body)
  if (!timeout.ok) return timeout
  const query = new Map<UserId, readonly string[]>()
  let entries = 0
  for (const [user, devices] of Object.entries(deviceKeys)) {
    const userId = parseUserId(user)
    if (!userId.ok) return err(serverError('M_INVALID_PARAM', `${user} is not a user ID`))
    if (!Array.isArray(devices) || !devices.every((d) => typeof d === 'string')) {
      return err(badJson(`device_keys.${user} must be a list of device IDs`))
    }
    entries += Math.max(1, devices.length)
    query.set(userId.value, devices)
  }
  if (entries > MAX_QUERY_ENTRIES) return err(tooMany())
  return ok(query)
}

export interface KeyClaimEntry {
  readonly userId: UserId
  readonly deviceId: string
  readonly algorithm: string
}

/** `/keys/claim`: user ID to device ID to the algorithm of the key wanted. */
export function parseKeyClaim(body: JsonObject): Result<readonly KeyClaimEntry[], ServerError> {
  const oneTimeKeys = body['one_time_keys']
  if (oneTimeKeys === undefined) {
    return err(serverError('M_MISSING_PARAM', 'one_time_keys is required'))
  }
  if (!isJsonObject(oneTimeKeys)) return err(badJson('one_time_keys must be an object'))
  const timeout = checkTimeout(body)
  if (!timeout.ok) return timeout
  const claims: KeyClaimEntry[] = []
  for (const [user, devices] of Object.entries(oneTimeKeys)) {
    const userId = parseUserId(user)
    if (!userId.ok) return err(serverError('M_INVALID_PARAM', `${user} is not a user ID`))
    if (!isJsonObject(devices)) return err(badJson(`one_time_keys.${user} must be an object`))
    for (const [deviceId, algorithm] of Object.entries(devices)) {
      if (typeof algorithm !== 'string') {
        return err(badJson(`one_time_keys.${user}.${deviceId} must be an algorithm name`))
      }
      claims.push({ userId: userId.value, deviceId, algorithm })
    }
  }
  if (claims.length > MAX_QUERY_ENTRIES) return err(tooMany())
  return ok(claims)
}

/** The longest a client may have this server wait for other servers' keys. */
export const MAX_KEY_TIMEOUT_MS = 60_000

/**
 * The `timeout` of `/keys/query` and `/keys/claim` in milliseconds, within
 * [0, MAX_KEY_TIMEOUT_MS]; undefined when the body has none. Call after the body's parser.
 */
export function keyRequestTimeout(body: JsonObject): number | undefined {
  const timeout = body['timeout']
  if (typeof timeout !== 'number') return undefined
  return Math.min(Math.max(0, timeout), MAX_KEY_TIMEOUT_MS)
}

function checkTimeout(body: JsonObject): Result<void, ServerError> {
  const timeout = body['timeout']
  if (timeout !== undefined && (typeof timeout !== 'number' || !Number.isInteger(timeout))) {
    return err(badJson('timeout must be an integer'))
  }
  return ok(undefined)
}

function tooMany(): ServerError {
  return serverError('M_INVALID_PARAM', `At most ${MAX_QUERY_ENTRIES} entries per request`)
}

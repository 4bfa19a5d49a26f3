/**
 * Reading the request bodies of the key backup endpoints. The rule throughout: a required member
 * that is absent is M_MISSING_PARAM, a member of the wrong JSON type is M_BAD_JSON, and a value
 * of the right type that is refused (an unknown algorithm, a malformed room ID, a negative
 * index, too many keys) is M_INVALID_PARAM. Nothing is stored unless the whole body is good.
 */
import {
  err,
  isJsonObject,
  ok,
  parseRoomId,
  utf8ByteLength,
  type JsonObject,
  type Result,
  type RoomId,
} from '@rhizome/core'
import { badJson, serverError, type ServerError } from '../http/errors.js'
import type { BackedUpKey, RoomKeyRecord } from '../storage/key-backup-store.js'

/** The only backup algorithm of the spec (client-server-api §Server-side key backups). */
export const MEGOLM_BACKUP_V1 = 'm.megolm_backup.v1.curve25519-aes-sha2'

/**
 * Keys in one upload. Clients upload in batches of a few hundred; the request body limit bounds
 * the bytes, and this bounds the work of one transaction whatever that limit is set to.
 */
export const MAX_KEYS_PER_UPLOAD = 10_000

/** Megolm session IDs are 43 characters; this leaves room for other algorithms' IDs. */
const MAX_SESSION_ID_BYTES = 255

export interface BackupVersionRequest {
  readonly algorithm: string
  readonly authData: JsonObject
}

export interface BackupVersionUpdate extends BackupVersionRequest {
  /** The `version` of the body, which must equal the path's when present. */
  readonly version: string | undefined
}

/** `POST /room_keys/version`: the algorithm and its auth_data. */
export function parseBackupVersionBody(
  json: JsonObject,
): Result<BackupVersionRequest, ServerError> {
  const algorithm = json['algorithm']
  if (algorithm === undefined) return missing('algorithm')
  if (typeof algorithm !== 'string') return err(badJson('algorithm must be a string'))
  if (algorithm !== MEGOLM_BACKUP_V1) {
    return invalid(`Unsupported backup algorithm; the one supported is ${MEGOLM_BACKUP_V1}`)
  }
  const authData = json['auth_data']
  if (authData === undefined) return missing('auth_data')
  if (!isJsonObject(authData)) return err(badJson('auth_data must be an object'))
  const publicKey = authData['public_key']
  if (publicKey === undefined) return missing('auth_data.public_key')
  if (typeof publicKey !== 'string') return err(badJson('auth_data.public_key must be a string'))
  if (publicKey === '') return invalid('auth_data.public_key must not be empty')
  const signatures = authData['signatures']
  if (signatures !== undefined && !isJsonObject(signatures)) {
    return err(badJson('auth_data.signatures must be an object'))
  }
  return ok({ algorithm, authData })
}

/** `PUT /room_keys/version/{version}`: as a new version's body, with an optional `version`. */
export function parseBackupVersionUpdateBody(
  json: JsonObject,
): Result<BackupVersionUpdate, ServerError> {
  const version = json['version']
  if (version !== undefined && typeof version !== 'string') {
    return err(badJson('version must be a string'))
  }
  const request = parseBackupVersionBody(json)
  return request.ok ? ok({ ...request.value, version }) : request
}

/** `PUT /room_keys/keys/{roomId}/{sessionId}`: the body is the key itself. */
export function parseSessionKeyBody(
  roomId: RoomId,
  sessionId: string,
  json: JsonObject,
): Result<readonly RoomKeyRecord[], ServerError> {
  const key = parseBackedUpKey(json, '')
  return key.ok ? ok([{ ...key.value, roomId, sessionId }]) : key
}

/** `PUT /room_keys/keys/{roomId}`: `{ "sessions": { sessionId: key } }`. */
export function parseRoomKeysBody(
  roomId: RoomId,
  json: JsonObject,
): Result<readonly RoomKeyRecord[], ServerError> {
  const keys: RoomKeyRecord[] = []
  const added = addRoomKeys(roomId, json, '', keys)
  return added.ok ? ok(keys) : added
}

/** `PUT /room_keys/keys`: `{ "rooms": { roomId: { "sessions": { sessionId: key } } } }`. */
export function parseAllKeysBody(json: JsonObject): Result<readonly RoomKeyRecord[], ServerError> {
  const rooms = json['rooms']
  if (rooms === undefined) return missing('rooms')
  if (!isJsonObject(rooms)) return err(badJson('rooms must be an object'))
  const keys: RoomKeyRecord[] = []
  for (const [rawRoomId, room] of Object.entries(rooms)) {
    const roomId = parseRoomId(rawRoomId)
    if (!roomId.ok) return invalid(`rooms: ${roomId.error.error}`)
    const where = `rooms.${rawRoomId}.`
    if (!isJsonObject(room)) return err(badJson(`${where.slice(0, -1)} must be an object`))
    const added = addRoomKeys(roomId.value, room, where, keys)
    if (!added.ok) return added
  }
  return ok(keys)
}

/** The path's session ID: not empty, and bounded like every other stored identifier. */
export function parseSessionId(raw: string): Result<string, ServerError> {
  return sessionIdProblem(raw) ?? ok(raw)
}

function addRoomKeys(
  roomId: RoomId,
  room: JsonObject,
  where: string,
  keys: RoomKeyRecord[],
): Result<undefined, ServerError> {
  const sessions = room['sessions']
  if (sessions === undefined) return missing(`${where}sessions`)
  if (!isJsonObject(sessions)) return err(badJson(`${where}sessions must be an object`))
  for (const [sessionId, data] of Object.entries(sessions)) {
    const problem = sessionIdProblem(sessionId)
    if (problem !== undefined) return problem
    const at = `${where}sessions.${sessionId}`
    if (!isJsonObject(data)) return err(badJson(`${at} must be an object`))
    const key = parseBackedUpKey(data, `${at}.`)
    if (!key.ok) return key
    if (keys.length >= MAX_KEYS_PER_UPLOAD) {
      return invalid(`At most ${String(MAX_KEYS_PER_UPLOAD)} keys may be uploaded at once`)
    }
    keys.push({ ...key.value, roomId, sessionId })
  }
  return ok(undefined)
}

function parseBackedUpKey(json: JsonObject, where: string): Result<BackedUpKey, ServerError> {
  const firstMessageIndex = count(json, 'first_message_index', where)
  if (!firstMessageIndex.ok) return firstMessageIndex
  const forwardedCount = count(json, 'forwarded_count', where)
  if (!forwardedCount.ok) return forwardedCount
  const isVerified = json['is_verified']
  if (isVerified === undefined) return missing(`${where}is_verified`)
  if (typeof isVerified !== 'boolean') return err(badJson(`${where}is_verified must be a boolean`))
  const sessionData = json['session_data']
  if (sessionData === undefined) return missing(`${where}session_data`)
  if (!isJsonObject(sessionData)) return err(badJson(`${where}session_data must be an object`))
  return ok({
    firstMessageIndex: firstMessageIndex.value,
    forwardedCount: forwardedCount.value,
    isVerified,
    sessionData,
  })
}

/** A non-negative integer member. */
function count(json: JsonObject, name: string, where: string): Result<number, ServerError> {
  const value = json[name]
  if (value === undefined) return missing(`${where}${name}`)
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    return err(badJson(`${where}${name} must be an integer`))
  }
  if (value < 0) return invalid(`${where}${name} must not be negative`)
  return ok(value)
}

function sessionIdProblem(sessionId: string): Result<never, ServerError> | undefined {
  if (sessionId === '') return invalid('A session ID must not be empty')
  // Session IDs are base64 in practice; control characters have no place in one, and PostgreSQL
  // text cannot hold NUL at all.
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(sessionId)) {
    return invalid('A session ID must not contain control characters')
  }
  if (utf8ByteLength(sessionId) > MAX_SESSION_ID_BYTES) {
    return invalid(`A session ID must be at most ${String(MAX_SESSION_ID_BYTES)} bytes`)
  }
  return undefined
}

function missing(name: string): Result<never, ServerError> {
  return err(serverError('M_MISSING_PARAM', `${name} is required`))
}

function invalid(message: string): Result<never, ServerError> {
  return err(serverError('M_INVALID_PARAM', message))
}

/**
 * Server-side key backups (client-server-api §Server-side key backups): a user's backup
 * versions and the encrypted room keys in them. Every operation acts on the requester's own
 * backups only; the server never reads the keys, it only chooses between two keys for one
 * session by their metadata (key-replacement.ts).
 */
import { err, ok, type JsonObject, type Result, type RoomId } from '@rhizome/core'
import type { Requester } from '../http/authenticate.js'
import { notFound, serverError, type ServerError } from '../http/errors.js'
import type {
  KeyBackupStore,
  KeyBackupVersion,
  KeyScope,
  KeysState,
  RoomKeyRecord,
} from '../storage/key-backup-store.js'
import type { BackupVersionRequest, BackupVersionUpdate } from './backup-requests.js'
import { shouldReplaceKey } from './key-replacement.js'

export interface KeyBackupDeps {
  readonly storage: { readonly keyBackups: KeyBackupStore }
}

/** The `etag` and `count` that every change to keys answers with. */
export interface KeysStateJson {
  readonly etag: string
  readonly count: number
}

export interface BackupVersionJson extends KeysStateJson {
  readonly version: string
  readonly algorithm: string
  readonly auth_data: JsonObject
}

export interface KeyBackupDataJson {
  readonly first_message_index: number
  readonly forwarded_count: number
  readonly is_verified: boolean
  readonly session_data: JsonObject
}

export interface RoomKeyBackupJson {
  readonly sessions: Readonly<Record<string, KeyBackupDataJson>>
}

export interface AllKeysJson {
  readonly rooms: Readonly<Record<string, RoomKeyBackupJson>>
}

const unknownVersion = (): ServerError => notFound('Unknown backup version')

/**
 * Guests may not keep backups: the spec's guest access does not include them, and a guest
 * account has no way back to its keys once its token is gone.
 */
function refuseGuests(requester: Requester): Result<undefined, ServerError> {
  if (!requester.isGuest) return ok(undefined)
  return err(serverError('M_GUEST_ACCESS_FORBIDDEN', 'Guests may not use key backups'))
}

export async function createBackupVersion(
  deps: KeyBackupDeps,
  requester: Requester,
  request: BackupVersionRequest,
): Promise<Result<{ readonly version: string }, ServerError>> {
  const allowed = refuseGuests(requester)
  if (!allowed.ok) return allowed
  const version = await deps.storage.keyBackups.createVersion(
    requester.userId,
    request.algorithm,
    request.authData,
  )
  return ok({ version })
}

/** The version's information; the current version's when `version` is undefined. */
export async function getBackupVersion(
  deps: KeyBackupDeps,
  requester: Requester,
  version: string | undefined,
): Promise<Result<BackupVersionJson, ServerError>> {
  const allowed = refuseGuests(requester)
  if (!allowed.ok) return allowed
  const found = await deps.storage.keyBackups.getVersion(requester.userId, version)
  if (found === undefined) {
    return err(version === undefined ? notFound('No current backup version') : unknownVersion())
  }
  return ok(versionJson(found))
}

/** Only auth_data changes; the algorithm, and a `version` in the body, must match. */
export async function updateBackupVersion(
  deps: KeyBackupDeps,
  requester: Requester,
  version: string,
  update: BackupVersionUpdate,
): Promise<Result<Record<string, never>, ServerError>> {
  const allowed = refuseGuests(requester)
  if (!allowed.ok) return allowed
  if (update.version !== undefined && update.version !== version) {
    return err(serverError('M_INVALID_PARAM', 'The version in the body does not match the path'))
  }
  const store = deps.storage.keyBackups
  const existing = await store.getVersion(requester.userId, version)
  if (existing === undefined) return err(unknownVersion())
  if (existing.algorithm !== update.algorithm) {
    return err(serverError('M_INVALID_PARAM', 'The algorithm does not match the backup'))
  }
  // The algorithm never changes, so the check above still holds if the version is deleted
  // meanwhile; then nothing is updated and the answer is the same 404 as before.
  const updated = await store.updateAuthData(requester.userId, version, update.authData)
  return updated ? ok({}) : err(unknownVersion())
}

/** Deletes the version and its keys; a version deleted before is deleted again without fuss. */
export async function deleteBackupVersion(
  deps: KeyBackupDeps,
  requester: Requester,
  version: string,
): Promise<Result<Record<string, never>, ServerError>> {
  const allowed = refuseGuests(requester)
  if (!allowed.ok) return allowed
  const outcome = await deps.storage.keyBackups.deleteVersion(requester.userId, version)
  return outcome === 'unknown' ? err(unknownVersion()) : ok({})
}

/** Stores keys in the current version, all of them or none. */
export async function putBackupKeys(
  deps: KeyBackupDeps,
  requester: Requester,
  version: string,
  keys: readonly RoomKeyRecord[],
): Promise<Result<KeysStateJson, ServerError>> {
  const allowed = refuseGuests(requester)
  if (!allowed.ok) return allowed
  const outcome = await deps.storage.keyBackups.putKeys(
    requester.userId,
    version,
    keys,
    shouldReplaceKey,
  )
  switch (outcome.kind) {
    case 'stored':
      return ok(stateJson(outcome))
    case 'no-backup':
      return err(unknownVersion())
    case 'not-current':
      return err(
        serverError('M_WRONG_ROOM_KEYS_VERSION', 'Keys may only be stored in the current backup', {
          extra: { current_version: outcome.currentVersion },
        }),
      )
  }
}

/** Every key of the version, by room. */
export async function getAllBackupKeys(
  deps: KeyBackupDeps,
  requester: Requester,
  version: string,
): Promise<Result<AllKeysJson, ServerError>> {
  const keys = await readKeys(deps, requester, version, {})
  if (!keys.ok) return keys
  const byRoom = new Map<RoomId, RoomKeyRecord[]>()
  for (const key of keys.value) {
    const room = byRoom.get(key.roomId)
    if (room === undefined) byRoom.set(key.roomId, [key])
    else room.push(key)
  }
  return ok({
    rooms: Object.fromEntries([...byRoom].map(([roomId, room]) => [roomId, sessionsJson(room)])),
  })
}

/** The version's keys for one room; none is an empty `sessions`, as the spec says. */
export async function getRoomBackupKeys(
  deps: KeyBackupDeps,
  requester: Requester,
  version: string,
  roomId: RoomId,
): Promise<Result<RoomKeyBackupJson, ServerError>> {
  const keys = await readKeys(deps, requester, version, { roomId })
  if (!keys.ok) return keys
  return ok(sessionsJson(keys.value))
}

/** The version's key for one session: 404 when the backup has none. */
export async function getSessionBackupKey(
  deps: KeyBackupDeps,
  requester: Requester,
  version: string,
  roomId: RoomId,
  sessionId: string,
): Promise<Result<KeyBackupDataJson, ServerError>> {
  const keys = await readKeys(deps, requester, version, { roomId, sessionId })
  if (!keys.ok) return keys
  const key = keys.value[0]
  return key === undefined ? err(notFound('No key found for this session')) : ok(keyJson(key))
}

/** Deletes the version's keys in the scope; the version need not be the current one. */
export async function deleteBackupKeys(
  deps: KeyBackupDeps,
  requester: Requester,
  version: string,
  scope: KeyScope,
): Promise<Result<KeysStateJson, ServerError>> {
  const allowed = refuseGuests(requester)
  if (!allowed.ok) return allowed
  const state = await deps.storage.keyBackups.deleteKeys(requester.userId, version, scope)
  return state === undefined ? err(unknownVersion()) : ok(stateJson(state))
}

async function readKeys(
  deps: KeyBackupDeps,
  requester: Requester,
  version: string,
  scope: KeyScope,
): Promise<Result<readonly RoomKeyRecord[], ServerError>> {
  const allowed = refuseGuests(requester)
  if (!allowed.ok) return allowed
  const keys = await deps.storage.keyBackups.getKeys(requester.userId, version, scope)
  return keys === undefined ? err(unknownVersion()) : ok(keys)
}

function versionJson(version: KeyBackupVersion): BackupVersionJson {
  return {
    version: version.version,
    algorithm: version.algorithm,
    auth_data: version.authData,
    ...stateJson(version),
  }
}

function stateJson(state: KeysState): KeysStateJson {
  return { etag: state.etag, count: state.count }
}

/**
 * Built with fromEntries, which makes every session ID an own member: a session ID is the
 * client's string, and assigning one such as `__proto__` would not add a member at all.
 */
function sessionsJson(keys: readonly RoomKeyRecord[]): RoomKeyBackupJson {
  return { sessions: Object.fromEntries(keys.map((key) => [key.sessionId, keyJson(key)])) }
}

function keyJson(key: RoomKeyRecord): KeyBackupDataJson {
  return {
    first_message_index: key.firstMessageIndex,
    forwarded_count: key.forwardedCount,
    is_verified: key.isVerified,
    session_data: key.sessionData,
  }
}

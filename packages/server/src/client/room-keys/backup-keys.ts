/**
 * `GET`, `PUT` and `DELETE /_matrix/client/v3/room_keys/keys`, `.../keys/{roomId}` and
 * `.../keys/{roomId}/{sessionId}` (and r0): the room keys in a backup version
 * (client-server-api §Server-side key backups). Each takes the version in the `version` query
 * parameter; keys are only ever stored in the current version.
 */
import { err, ok, type JsonObject, type Result } from '@rhizome/core'
import { clientV3Paths, defineEndpoint, handle } from '../../http/endpoint.js'
import { serverError, type ServerError } from '../../http/errors.js'
import {
  parseAllKeysBody,
  parseRoomKeysBody,
  parseSessionId,
  parseSessionKeyBody,
} from '../../key-backup/backup-requests.js'
import {
  deleteBackupKeys,
  getAllBackupKeys,
  getRoomBackupKeys,
  getSessionBackupKey,
  putBackupKeys,
} from '../../key-backup/key-backup.js'
import { roomIdParam } from '../rooms/params.js'
import type { KeyBackupRouteServices } from './backup-versions.js'

/** The required `version` query parameter. */
export function backupVersionQuery(query: URLSearchParams): Result<string, ServerError> {
  const version = query.get('version')
  if (version === null) {
    return err(serverError('M_MISSING_PARAM', 'The version query parameter is required'))
  }
  return ok(version)
}

const ALL = '/room_keys/keys'
const ROOM = '/room_keys/keys/:roomId'
const SESSION = '/room_keys/keys/:roomId/:sessionId'
const roomParams = { roomId: roomIdParam }
const sessionParams = { roomId: roomIdParam, sessionId: parseSessionId }
/** The key bodies are read once the path is parsed, since the room and session come from it. */
const jsonObject = (json: JsonObject): Result<JsonObject, ServerError> => ok(json)

export const putAllKeysEndpoint = defineEndpoint({
  method: 'PUT',
  paths: clientV3Paths(ALL),
  auth: 'required',
  rateLimit: 'key_backup',
  query: backupVersionQuery,
  body: jsonObject,
})

export const putAllKeysRoute = handle(
  putAllKeysEndpoint,
  async ({ query, body, requester }, services: KeyBackupRouteServices) => {
    const keys = parseAllKeysBody(body)
    return keys.ok ? putBackupKeys(services, requester, query, keys.value) : keys
  },
)

export const putRoomKeysEndpoint = defineEndpoint({
  method: 'PUT',
  paths: clientV3Paths(ROOM),
  auth: 'required',
  rateLimit: 'key_backup',
  params: roomParams,
  query: backupVersionQuery,
  body: jsonObject,
})

export const putRoomKeysRoute = handle(
  putRoomKeysEndpoint,
  async ({ params, query, body, requester }, services: KeyBackupRouteServices) => {
    const keys = parseRoomKeysBody(params.roomId, body)
    return keys.ok ? putBackupKeys(services, requester, query, keys.value) : keys
  },
)

export const putSessionKeyEndpoint = defineEndpoint({
  method: 'PUT',
  paths: clientV3Paths(SESSION),
  auth: 'required',
  rateLimit: 'key_backup',
  params: sessionParams,
  query: backupVersionQuery,
  body: jsonObject,
})

export const putSessionKeyRoute = handle(
  putSessionKeyEndpoint,
  async ({ params, query, body, requester }, services: KeyBackupRouteServices) => {
    const keys = parseSessionKeyBody(params.roomId, params.sessionId, body)
    return keys.ok ? putBackupKeys(services, requester, query, keys.value) : keys
  },
)

export const getAllKeysEndpoint = defineEndpoint({
  method: 'GET',
  paths: clientV3Paths(ALL),
  auth: 'required',
  rateLimit: 'key_backup',
  query: backupVersionQuery,
})

export const getAllKeysRoute = handle(
  getAllKeysEndpoint,
  ({ query, requester }, services: KeyBackupRouteServices) =>
    getAllBackupKeys(services, requester, query),
)

export const getRoomKeysEndpoint = defineEndpoint({
  method: 'GET',
  paths: clientV3Paths(ROOM),
  auth: 'required',
  rateLimit: 'key_backup',
  params: roomParams,
  query: backupVersionQuery,
})

export const getRoomKeysRoute = handle(
  getRoomKeysEndpoint,
  ({ params, query, requester }, services: KeyBackupRouteServices) =>
    getRoomBackupKeys(services, requester, query, params.roomId),
)

export const getSessionKeyEndpoint = defineEndpoint({
  method: 'GET',
  paths: clientV3Paths(SESSION),
  auth: 'required',
  rateLimit: 'key_backup',
  params: sessionParams,
  query: backupVersionQuery,
})

export const getSessionKeyRoute = handle(
  getSessionKeyEndpoint,
  ({ params, query, requester }, services: KeyBackupRouteServices) =>
    getSessionBackupKey(services, requester, query, params.roomId, params.sessionId),
)

export const deleteAllKeysEndpoint = defineEndpoint({
  method: 'DELETE',
  paths: clientV3Paths(ALL),
  auth: 'required',
  rateLimit: 'key_backup',
  query: backupVersionQuery,
})

export const deleteAllKeysRoute = handle(
  deleteAllKeysEndpoint,
  ({ query, requester }, services: KeyBackupRouteServices) =>
    deleteBackupKeys(services, requester, query, {}),
)

export const deleteRoomKeysEndpoint = defineEndpoint({
  method: 'DELETE',
  paths: clientV3Paths(ROOM),
  auth: 'required',
  rateLimit: 'key_backup',
  params: roomParams,
  query: backupVersionQuery,
})

export const deleteRoomKeysRoute = handle(
  deleteRoomKeysEndpoint,
  ({ params, query, requester }, services: KeyBackupRouteServices) =>
    deleteBackupKeys(services, requester, query, { roomId: params.roomId }),
)

export const deleteSessionKeyEndpoint = defineEndpoint({
  method: 'DELETE',
  paths: clientV3Paths(SESSION),
  auth: 'required',
  rateLimit: 'key_backup',
  params: sessionParams,
  query: backupVersionQuery,
})

export const deleteSessionKeyRoute = handle(
  deleteSessionKeyEndpoint,
  ({ params, query, requester }, services: KeyBackupRouteServices) =>
    deleteBackupKeys(services, requester, query, {
      roomId: params.roomId,
      sessionId: params.sessionId,
    }),
)

export const backupKeyRoutes = [
  putAllKeysRoute,
  putRoomKeysRoute,
  putSessionKeyRoute,
  getAllKeysRoute,
  getRoomKeysRoute,
  getSessionKeyRoute,
  deleteAllKeysRoute,
  deleteRoomKeysRoute,
  deleteSessionKeyRoute,
] as const

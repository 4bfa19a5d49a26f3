/**
 * `GET`/`PUT /_matrix/client/v3/user/{userId}/account_data/{type}` and
 * `GET`/`PUT /_matrix/client/v3/user/{userId}/rooms/{roomId}/account_data/{type}` (and r0):
 * the user's private configuration, global or for one room (client-server-api §Client Config).
 */
import {
  err,
  ok,
  utf8ByteLength,
  type JsonObject,
  type Result,
  type RoomId,
  type UserId,
} from '@rhizome/core'
import type { Requester } from '../../http/authenticate.js'
import { clientV3Paths, defineEndpoint, handle } from '../../http/endpoint.js'
import { forbidden, notFound, serverError, type ServerError } from '../../http/errors.js'
import { checkIgnoredUserList, IGNORED_USER_LIST } from '../../moderation/ignored-users.js'
import type { AccountDataStore } from '../../storage/interface.js'
import { userIdParam, roomIdInvalidParam as roomIdParam } from '../id-params.js'

/** What the account data endpoints use of the services. */
export interface AccountDataRouteServices {
  readonly storage: { readonly accountData: AccountDataStore }
}

/**
 * Types the server manages, which clients read but may not set (405 M_BAD_JSON, §Server
 * Behaviour): the read marker has its own endpoint, push rules theirs.
 */
export const SERVER_MANAGED_TYPES: readonly string[] = ['m.fully_read', 'm.push_rules']

/** Account data types name events; event types are at most 255 bytes. */
const MAX_TYPE_BYTES = 255

export function accountDataTypeParam(raw: string): Result<string, ServerError> {
  if (raw === '') return err(serverError('M_INVALID_PARAM', 'The type must not be empty'))
  if (utf8ByteLength(raw) > MAX_TYPE_BYTES) {
    return err(serverError('M_INVALID_PARAM', 'The type is over 255 bytes'))
  }
  return ok(raw)
}

function anyObject(json: JsonObject): Result<JsonObject, ServerError> {
  return ok(json)
}

function ownData(requester: Requester, userId: UserId): ServerError | undefined {
  return requester.userId === userId
    ? undefined
    : forbidden("Cannot access another user's account data")
}

function managed(type: string): ServerError | undefined {
  return SERVER_MANAGED_TYPES.includes(type)
    ? serverError('M_BAD_JSON', `Cannot set ${type} through the account data API`, { status: 405 })
    : undefined
}

async function read(
  store: AccountDataStore,
  requester: Requester,
  userId: UserId,
  roomId: RoomId | undefined,
  type: string,
): Promise<Result<JsonObject, ServerError>> {
  const refused = ownData(requester, userId)
  if (refused !== undefined) return err(refused)
  const content = await store.get(userId, roomId, type)
  return content === undefined ? err(notFound('Account data not found')) : ok(content)
}

async function write(
  store: AccountDataStore,
  requester: Requester,
  userId: UserId,
  roomId: RoomId | undefined,
  type: string,
  content: JsonObject,
): Promise<Result<JsonObject, ServerError>> {
  const refused = ownData(requester, userId) ?? managed(type)
  if (refused !== undefined) return err(refused)
  // Sync and the timeline read this list to hide events: it must have the spec's shape.
  if (roomId === undefined && type === IGNORED_USER_LIST) {
    const checked = checkIgnoredUserList(content)
    if (!checked.ok) return checked
  }
  await store.set(userId, roomId, type, content)
  return ok({})
}

export const getGlobalAccountData = defineEndpoint({
  method: 'GET',
  paths: clientV3Paths('/user/:userId/account_data/:type'),
  auth: 'required',
  params: { userId: userIdParam, type: accountDataTypeParam },
})

export const getGlobalAccountDataRoute = handle(
  getGlobalAccountData,
  ({ params, requester }, { storage }: AccountDataRouteServices) =>
    read(storage.accountData, requester, params.userId, undefined, params.type),
)

export const putGlobalAccountData = defineEndpoint({
  method: 'PUT',
  paths: clientV3Paths('/user/:userId/account_data/:type'),
  auth: 'required',
  params: { userId: userIdParam, type: accountDataTypeParam },
  body: anyObject,
})

export const putGlobalAccountDataRoute = handle(
  putGlobalAccountData,
  ({ params, body, requester }, { storage }: AccountDataRouteServices) =>
    write(storage.accountData, requester, params.userId, undefined, params.type, body),
)

export const getRoomAccountData = defineEndpoint({
  method: 'GET',
  paths: clientV3Paths('/user/:userId/rooms/:roomId/account_data/:type'),
  auth: 'required',
  params: { userId: userIdParam, roomId: roomIdParam, type: accountDataTypeParam },
})

export const getRoomAccountDataRoute = handle(
  getRoomAccountData,
  ({ params, requester }, { storage }: AccountDataRouteServices) =>
    read(storage.accountData, requester, params.userId, params.roomId, params.type),
)

export const putRoomAccountData = defineEndpoint({
  method: 'PUT',
  paths: clientV3Paths('/user/:userId/rooms/:roomId/account_data/:type'),
  auth: 'required',
  params: { userId: userIdParam, roomId: roomIdParam, type: accountDataTypeParam },
  body: anyObject,
})

export const putRoomAccountDataRoute = handle(
  putRoomAccountData,
  ({ params, body, requester }, { storage }: AccountDataRouteServices) =>
    write(storage.accountData, requester, params.userId, params.roomId, params.type, body),
)

export const accountDataRoutes = [
  getGlobalAccountDataRoute,
  putGlobalAccountDataRoute,
  getRoomAccountDataRoute,
  putRoomAccountDataRoute,
]

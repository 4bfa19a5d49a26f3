/**
 * The room alias directory (client-server-api §Room aliases):
 *
 * - `PUT`, `GET` and `DELETE /_matrix/client/v3/directory/room/{roomAlias}`
 * - `GET /_matrix/client/v3/rooms/{roomId}/aliases`
 */
import {
  err,
  ok,
  parseRoomAlias,
  parseRoomId,
  roomAliasLocalpart,
  type JsonObject,
  type Result,
  type RoomAlias,
  type RoomId,
} from '@rhizome/core'
import { clientV3Paths, defineEndpoint, handle, type Route } from '../../http/endpoint.js'
import { badJson, serverError, type ServerError } from '../../http/errors.js'
import type { DirectoryService } from '../../directory/directory-service.js'
import { roomIdParam } from '../rooms/params.js'

export interface DirectoryRouteServices {
  readonly directory: DirectoryService
}

/** The alias grammar, and for new aliases also a localpart that is not empty or blank-spaced. */
function roomAliasParam(raw: string): Result<RoomAlias, ServerError> {
  const alias = parseRoomAlias(raw)
  if (!alias.ok) return err(serverError('M_INVALID_PARAM', alias.error.error))
  return ok(alias.value)
}

function newRoomAliasParam(raw: string): Result<RoomAlias, ServerError> {
  const alias = roomAliasParam(raw)
  if (!alias.ok) return alias
  const localpart = roomAliasLocalpart(alias.value)
  if (localpart === '' || /\s/u.test(localpart)) {
    return err(serverError('M_INVALID_PARAM', 'A room alias needs a localpart without white space'))
  }
  return alias
}

function roomIdBody(body: JsonObject): Result<RoomId, ServerError> {
  const value = body['room_id']
  if (value === undefined) return err(serverError('M_MISSING_PARAM', 'room_id is required'))
  if (typeof value !== 'string') return err(badJson('room_id must be a string'))
  return parseRoomId(value)
}

const aliasPaths = clientV3Paths('/directory/room/:roomAlias')

export const putRoomAliasEndpoint = defineEndpoint({
  method: 'PUT',
  paths: aliasPaths,
  auth: 'required',
  params: { roomAlias: newRoomAliasParam },
  body: roomIdBody,
})

export const putRoomAliasRoute = handle(
  putRoomAliasEndpoint,
  async ({ params, body, requester }, { directory }: DirectoryRouteServices) => {
    const created = await directory.createAlias(requester, params.roomAlias, body)
    return created.ok ? ok({}) : created
  },
)

export const getRoomAliasEndpoint = defineEndpoint({
  method: 'GET',
  paths: aliasPaths,
  auth: 'none',
  params: { roomAlias: roomAliasParam },
})

export const getRoomAliasRoute = handle(
  getRoomAliasEndpoint,
  ({ params }, { directory }: DirectoryRouteServices) => directory.resolveAlias(params.roomAlias),
)

export const deleteRoomAliasEndpoint = defineEndpoint({
  method: 'DELETE',
  paths: aliasPaths,
  auth: 'required',
  params: { roomAlias: roomAliasParam },
})

export const deleteRoomAliasRoute = handle(
  deleteRoomAliasEndpoint,
  async ({ params, requester, request }, { directory }: DirectoryRouteServices) => {
    const deleted = await directory.deleteAlias(requester, params.roomAlias, request.log)
    return deleted.ok ? ok({}) : deleted
  },
)

export const getLocalAliasesEndpoint = defineEndpoint({
  method: 'GET',
  paths: clientV3Paths('/rooms/:roomId/aliases'),
  auth: 'required',
  rateLimit: 'room_query',
  params: { roomId: roomIdParam },
})

export const getLocalAliasesRoute = handle(
  getLocalAliasesEndpoint,
  async ({ params, requester }, { directory }: DirectoryRouteServices) => {
    const aliases = await directory.localAliases(requester, params.roomId)
    return aliases.ok ? ok({ aliases: aliases.value }) : aliases
  },
)

export const roomAliasRoutes: readonly Route<DirectoryRouteServices>[] = [
  putRoomAliasRoute,
  getRoomAliasRoute,
  deleteRoomAliasRoute,
  getLocalAliasesRoute,
]

/**
 * `POST /_matrix/client/v3/join/{roomIdOrAlias}` and `POST /_matrix/client/v3/rooms/{roomId}/join`
 * (client-server-api §Joining rooms).
 */
import { err, ok, parseServerName, type Result, type ServerName } from '@rhizome/core'
import { clientV3Paths, defineEndpoint, handle } from '../../http/endpoint.js'
import { serverError, type ServerError } from '../../http/errors.js'
import { reasonBody, roomIdOrAliasParam, roomIdParam } from './params.js'
import type { RoomServices } from './room-services.js'

/** More than any client names; a bound on the servers one join may try. */
const MAX_VIA_SERVERS = 20

/**
 * `via` (and `server_name`, its name before spec v1.12): servers to join through when the room
 * is on other servers.
 */
export function viaQuery(query: URLSearchParams): Result<readonly ServerName[], ServerError> {
  const names = [...query.getAll('via'), ...query.getAll('server_name')]
  const servers: ServerName[] = []
  for (const name of names.slice(0, MAX_VIA_SERVERS)) {
    const parsed = parseServerName(name)
    if (!parsed.ok) return err(serverError('M_INVALID_PARAM', `${name} is not a server name`))
    servers.push(parsed.value)
  }
  return ok(servers)
}

export const joinByIdOrAlias = defineEndpoint({
  method: 'POST',
  paths: clientV3Paths('/join/:roomIdOrAlias'),
  auth: 'required',
  rateLimit: 'join',
  params: { roomIdOrAlias: roomIdOrAliasParam },
  query: viaQuery,
  body: reasonBody,
  emptyBody: 'empty-object',
})

export const joinByIdOrAliasRoute = handle(
  joinByIdOrAlias,
  async ({ params, query, body, requester }, { rooms }: RoomServices) => {
    const joined = await rooms.join(requester, params.roomIdOrAlias, { ...body, servers: query })
    return joined.ok ? ok({ room_id: joined.value.roomId }) : joined
  },
)

export const joinRoomById = defineEndpoint({
  method: 'POST',
  paths: clientV3Paths('/rooms/:roomId/join'),
  auth: 'required',
  rateLimit: 'join',
  params: { roomId: roomIdParam },
  body: reasonBody,
  emptyBody: 'empty-object',
})

export const joinRoomByIdRoute = handle(
  joinRoomById,
  async ({ params, body, requester }, { rooms }: RoomServices) => {
    const joined = await rooms.join(requester, { kind: 'id', roomId: params.roomId }, body)
    return joined.ok ? ok({ room_id: joined.value.roomId }) : joined
  },
)

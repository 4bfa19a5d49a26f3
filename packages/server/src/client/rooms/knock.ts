/**
 * `POST /_matrix/client/v3/knock/{roomIdOrAlias}` (client-server-api §Knocking on rooms). The
 * `via` (and older `server_name`) query parameters name servers to knock through when the room
 * is on other servers (make_knock / send_knock).
 */
import { ok } from '@rhizome/core'
import { clientV3Paths, defineEndpoint, handle } from '../../http/endpoint.js'
import { viaQuery } from './join.js'
import { reasonBody, roomIdOrAliasParam } from './params.js'
import type { RoomServices } from './room-services.js'

export const knock = defineEndpoint({
  method: 'POST',
  paths: clientV3Paths('/knock/:roomIdOrAlias'),
  auth: 'required',
  // The spec rate-limits knocks; like a join, a knock may need another server's help.
  rateLimit: 'join',
  params: { roomIdOrAlias: roomIdOrAliasParam },
  query: viaQuery,
  body: reasonBody,
  emptyBody: 'empty-object',
})

export const knockRoute = handle(
  knock,
  async ({ params, query, body, requester }, { rooms }: RoomServices) => {
    const knocked = await rooms.knock(requester, params.roomIdOrAlias, { ...body, servers: query })
    return knocked.ok ? ok({ room_id: knocked.value }) : knocked
  },
)

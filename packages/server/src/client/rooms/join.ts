/**
 * `POST /_matrix/client/v3/join/{roomIdOrAlias}` and `POST /_matrix/client/v3/rooms/{roomId}/join`
 * (client-server-api §Joining rooms).
 */
import { ok } from '@rhizome/core'
import { clientV3Paths, defineEndpoint, handle } from '../../http/endpoint.js'
import { reasonBody, roomIdOrAliasParam, roomIdParam } from './params.js'
import type { RoomServices } from './room-services.js'

export const joinByIdOrAlias = defineEndpoint({
  method: 'POST',
  paths: clientV3Paths('/join/:roomIdOrAlias'),
  auth: 'required',
  params: { roomIdOrAlias: roomIdOrAliasParam },
  body: reasonBody,
  emptyBody: 'empty-object',
})

export const joinByIdOrAliasRoute = handle(
  joinByIdOrAlias,
  async ({ params, body, requester }, { rooms }: RoomServices) => {
    const joined = await rooms.join(requester, params.roomIdOrAlias, body)
    return joined.ok ? ok({ room_id: joined.value.roomId }) : joined
  },
)

export const joinRoomById = defineEndpoint({
  method: 'POST',
  paths: clientV3Paths('/rooms/:roomId/join'),
  auth: 'required',
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

/**
 * `GET /_matrix/client/v3/rooms/{roomId}/joined_members` (client-server-api §Getting events for a
 * room).
 */
import { ok } from '@rhizome/core'
import { clientV3Paths, defineEndpoint, handle } from '../../http/endpoint.js'
import { roomIdParam } from './params.js'
import type { RoomServices } from './room-services.js'

export const joinedMembersEndpoint = defineEndpoint({
  method: 'GET',
  paths: clientV3Paths('/rooms/:roomId/joined_members'),
  auth: 'required',
  params: { roomId: roomIdParam },
})

export const joinedMembersRoute = handle(
  joinedMembersEndpoint,
  async ({ params, requester }, { rooms }: RoomServices) => {
    const joined = await rooms.getJoinedMembers(requester, params.roomId)
    return joined.ok ? ok({ joined: joined.value }) : joined
  },
)

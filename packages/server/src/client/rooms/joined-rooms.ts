/** `GET /_matrix/client/v3/joined_rooms` (client-server-api §Room membership). */
import { ok } from '@rhizome/core'
import { clientV3Paths, defineEndpoint, handle } from '../../http/endpoint.js'
import type { RoomServices } from './room-services.js'

export const joinedRoomsEndpoint = defineEndpoint({
  method: 'GET',
  paths: clientV3Paths('/joined_rooms'),
  auth: 'required',
})

export const joinedRoomsRoute = handle(
  joinedRoomsEndpoint,
  async ({ requester }, { rooms }: RoomServices) =>
    ok({ joined_rooms: await rooms.getJoinedRooms(requester) }),
)

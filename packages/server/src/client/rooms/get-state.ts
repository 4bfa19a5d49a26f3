/** `GET /_matrix/client/v3/rooms/{roomId}/state` (client-server-api §Getting events for a room). */
import { clientV3Paths, defineEndpoint, handle } from '../../http/endpoint.js'
import { roomIdParam } from './params.js'
import type { RoomServices } from './room-services.js'

export const getStateEndpoint = defineEndpoint({
  method: 'GET',
  paths: clientV3Paths('/rooms/:roomId/state'),
  auth: 'required',
  params: { roomId: roomIdParam },
})

export const getStateRoute = handle(
  getStateEndpoint,
  ({ params, requester }, { rooms }: RoomServices) => rooms.getState(requester, params.roomId),
)

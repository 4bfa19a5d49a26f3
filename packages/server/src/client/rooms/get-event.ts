/** `GET /_matrix/client/v3/rooms/{roomId}/event/{eventId}` (client-server-api §Getting events for a room). */
import { clientV3Paths, defineEndpoint, handle } from '../../http/endpoint.js'
import { eventIdParam, roomIdParam } from './params.js'
import type { RoomServices } from './room-services.js'

export const getEventEndpoint = defineEndpoint({
  method: 'GET',
  paths: clientV3Paths('/rooms/:roomId/event/:eventId'),
  auth: 'required',
  params: { roomId: roomIdParam, eventId: eventIdParam },
})

export const getEventRoute = handle(
  getEventEndpoint,
  ({ params, requester }, { rooms }: RoomServices) =>
    rooms.getEvent(requester, params.roomId, params.eventId),
)

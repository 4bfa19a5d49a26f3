/** `POST /_matrix/client/v3/rooms/{roomId}/leave` (client-server-api §Leaving rooms). */
import { ok } from '@rhizome/core'
import { clientV3Paths, defineEndpoint, handle } from '../../http/endpoint.js'
import { reasonBody, roomIdParam } from './params.js'
import type { RoomServices } from './room-services.js'

export const leaveEndpoint = defineEndpoint({
  method: 'POST',
  paths: clientV3Paths('/rooms/:roomId/leave'),
  auth: 'required',
  rateLimit: 'leave',
  params: { roomId: roomIdParam },
  body: reasonBody,
  emptyBody: 'empty-object',
})

export const leaveRoute = handle(
  leaveEndpoint,
  async ({ params, body, requester }, { rooms }: RoomServices) => {
    const left = await rooms.leave(requester, params.roomId, body)
    return left.ok ? ok({}) : left
  },
)

/** `POST /_matrix/client/v3/rooms/{roomId}/forget` (client-server-api §Leaving rooms). */
import { ok } from '@rhizome/core'
import { clientV3Paths, defineEndpoint, handle } from '../../http/endpoint.js'
import { roomIdParam } from './params.js'
import type { RoomServices } from './room-services.js'

export const forgetEndpoint = defineEndpoint({
  method: 'POST',
  paths: clientV3Paths('/rooms/:roomId/forget'),
  auth: 'required',
  rateLimit: 'leave',
  params: { roomId: roomIdParam },
})

export const forgetRoute = handle(
  forgetEndpoint,
  async ({ params, requester }, { rooms }: RoomServices) => {
    const forgotten = await rooms.forget(requester, params.roomId)
    return forgotten.ok ? ok({}) : forgotten
  },
)

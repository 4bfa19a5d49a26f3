/** `POST /_matrix/client/v3/rooms/{roomId}/kick` (client-server-api §Leaving rooms). */
import { ok } from '@rhizome/core'
import { clientV3Paths, defineEndpoint, handle } from '../../http/endpoint.js'
import { roomIdParam, targetBody } from './params.js'
import type { RoomServices } from './room-services.js'

export const kickEndpoint = defineEndpoint({
  method: 'POST',
  paths: clientV3Paths('/rooms/:roomId/kick'),
  auth: 'required',
  params: { roomId: roomIdParam },
  body: targetBody,
})

export const kickRoute = handle(
  kickEndpoint,
  async ({ params, body, requester }, { rooms }: RoomServices) => {
    const { userId, ...change } = body
    const kicked = await rooms.kick(requester, params.roomId, userId, change)
    return kicked.ok ? ok({}) : kicked
  },
)

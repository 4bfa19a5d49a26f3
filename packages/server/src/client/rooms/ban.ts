/** `POST /_matrix/client/v3/rooms/{roomId}/ban` (client-server-api §Banning users in a room). */
import { ok } from '@rhizome/core'
import { clientV3Paths, defineEndpoint, handle } from '../../http/endpoint.js'
import { roomIdParam, targetBody } from './params.js'
import type { RoomServices } from './room-services.js'

export const banEndpoint = defineEndpoint({
  method: 'POST',
  paths: clientV3Paths('/rooms/:roomId/ban'),
  auth: 'required',
  params: { roomId: roomIdParam },
  body: targetBody,
})

export const banRoute = handle(
  banEndpoint,
  async ({ params, body, requester }, { rooms }: RoomServices) => {
    const { userId, ...change } = body
    const banned = await rooms.ban(requester, params.roomId, userId, change)
    return banned.ok ? ok({}) : banned
  },
)

/** `POST /_matrix/client/v3/rooms/{roomId}/unban` (client-server-api §Banning users in a room). */
import { ok } from '@rhizome/core'
import { clientV3Paths, defineEndpoint, handle } from '../../http/endpoint.js'
import { roomIdParam, targetBody } from './params.js'
import type { RoomServices } from './room-services.js'

export const unbanEndpoint = defineEndpoint({
  method: 'POST',
  paths: clientV3Paths('/rooms/:roomId/unban'),
  auth: 'required',
  params: { roomId: roomIdParam },
  body: targetBody,
})

export const unbanRoute = handle(
  unbanEndpoint,
  async ({ params, body, requester }, { rooms }: RoomServices) => {
    const { userId, ...change } = body
    const unbanned = await rooms.unban(requester, params.roomId, userId, change)
    return unbanned.ok ? ok({}) : unbanned
  },
)

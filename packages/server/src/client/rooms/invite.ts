/** `POST /_matrix/client/v3/rooms/{roomId}/invite` (client-server-api §Joining rooms). */
import { ok } from '@rhizome/core'
import { clientV3Paths, defineEndpoint, handle } from '../../http/endpoint.js'
import { roomIdParam, targetBody } from './params.js'
import type { RoomServices } from './room-services.js'

export const inviteEndpoint = defineEndpoint({
  method: 'POST',
  paths: clientV3Paths('/rooms/:roomId/invite'),
  auth: 'required',
  rateLimit: 'join',
  params: { roomId: roomIdParam },
  body: targetBody,
})

export const inviteRoute = handle(
  inviteEndpoint,
  async ({ params, body, requester }, { rooms }: RoomServices) => {
    const { userId, ...change } = body
    const invited = await rooms.invite(requester, params.roomId, userId, change)
    return invited.ok ? ok({}) : invited
  },
)

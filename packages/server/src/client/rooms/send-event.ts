/**
 * `PUT /_matrix/client/v3/rooms/{roomId}/send/{eventType}/{txnId}` (client-server-api §Sending
 * events to a room). Rate limited with the `message` limit.
 */
import { ok } from '@rhizome/core'
import { clientV3Paths, defineEndpoint, handle } from '../../http/endpoint.js'
import { contentBody, eventTypeParam, roomIdParam, txnIdParam } from './params.js'
import type { RoomServices } from './room-services.js'

export const sendEventEndpoint = defineEndpoint({
  method: 'PUT',
  paths: clientV3Paths('/rooms/:roomId/send/:eventType/:txnId'),
  auth: 'required',
  rateLimit: 'message',
  params: { roomId: roomIdParam, eventType: eventTypeParam, txnId: txnIdParam },
  body: contentBody,
})

export const sendEventRoute = handle(
  sendEventEndpoint,
  async ({ params, body, requester }, { rooms, presence }: RoomServices) => {
    const { roomId, eventType, txnId } = params
    const sent = await rooms.sendMessage(requester, roomId, eventType, txnId, body)
    // Sending is the spec's example of activity (§Presence, Last active ago).
    if (sent.ok) presence?.userActive(requester.userId)
    return sent.ok ? ok({ event_id: sent.value }) : sent
  },
)

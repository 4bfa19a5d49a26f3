/**
 * `PUT /_matrix/client/v3/rooms/{roomId}/redact/{eventId}/{txnId}` (client-server-api
 * §Redactions). Rate limited with the `message` limit, like sending.
 */
import { ok } from '@rhizome/core'
import { clientV3Paths, defineEndpoint, handle } from '../../http/endpoint.js'
import { eventIdParam, reasonBody, roomIdParam, txnIdParam } from './params.js'
import type { RoomServices } from './room-services.js'

export const redactEndpoint = defineEndpoint({
  method: 'PUT',
  paths: clientV3Paths('/rooms/:roomId/redact/:eventId/:txnId'),
  auth: 'required',
  rateLimit: 'message',
  params: { roomId: roomIdParam, eventId: eventIdParam, txnId: txnIdParam },
  body: reasonBody,
  emptyBody: 'empty-object',
})

export const redactRoute = handle(
  redactEndpoint,
  async ({ params, body, requester }, { rooms }: RoomServices) => {
    const { roomId, eventId, txnId } = params
    const redacted = await rooms.redact(requester, roomId, eventId, txnId, body.reason)
    return redacted.ok ? ok({ event_id: redacted.value }) : redacted
  },
)

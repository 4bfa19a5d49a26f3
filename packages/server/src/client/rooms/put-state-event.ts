/**
 * `PUT /_matrix/client/v3/rooms/{roomId}/state/{eventType}/{stateKey}`, also without the state key
 * for the empty one (client-server-api §Sending events to a room).
 */
import { ok } from '@rhizome/core'
import { clientV3Paths, defineEndpoint, handle } from '../../http/endpoint.js'
import { contentBody, eventTypeParam, roomIdParam, stateKeyParam } from './params.js'
import type { RoomServices } from './room-services.js'

export const putStateEventEndpoint = defineEndpoint({
  method: 'PUT',
  paths: clientV3Paths('/rooms/:roomId/state/:eventType/:stateKey'),
  auth: 'required',
  params: { roomId: roomIdParam, eventType: eventTypeParam, stateKey: stateKeyParam },
  body: contentBody,
})

export const putStateEventRoute = handle(
  putStateEventEndpoint,
  async ({ params, body, requester }, { rooms }: RoomServices) => {
    const { roomId, eventType, stateKey } = params
    const sent = await rooms.sendState(requester, roomId, eventType, stateKey, body)
    return sent.ok ? ok({ event_id: sent.value }) : sent
  },
)

export const putEmptyKeyStateEventEndpoint = defineEndpoint({
  method: 'PUT',
  paths: [
    ...clientV3Paths('/rooms/:roomId/state/:eventType'),
    ...clientV3Paths('/rooms/:roomId/state/:eventType/'),
  ],
  auth: 'required',
  params: { roomId: roomIdParam, eventType: eventTypeParam },
  body: contentBody,
})

export const putEmptyKeyStateEventRoute = handle(
  putEmptyKeyStateEventEndpoint,
  async ({ params, body, requester }, { rooms }: RoomServices) => {
    const sent = await rooms.sendState(requester, params.roomId, params.eventType, '', body)
    return sent.ok ? ok({ event_id: sent.value }) : sent
  },
)

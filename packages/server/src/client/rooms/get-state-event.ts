/**
 * `GET /_matrix/client/v3/rooms/{roomId}/state/{eventType}/{stateKey}`, also without the state key
 * for the empty one (client-server-api §Getting events for a room).
 */
import { ok, type Result } from '@rhizome/core'
import { clientV3Paths, defineEndpoint, handle } from '../../http/endpoint.js'
import type { ServerError } from '../../http/errors.js'
import { eventTypeParam, invalidParam, roomIdParam, stateKeyParam } from './params.js'
import type { RoomServices } from './room-services.js'

type StateFormat = 'content' | 'event'

function parseFormat(query: URLSearchParams): Result<StateFormat, ServerError> {
  const format = query.get('format') ?? 'content'
  if (format !== 'content' && format !== 'event')
    return invalidParam('format must be content or event')
  return ok(format)
}

export const getStateEventEndpoint = defineEndpoint({
  method: 'GET',
  paths: clientV3Paths('/rooms/:roomId/state/:eventType/:stateKey'),
  auth: 'required',
  params: { roomId: roomIdParam, eventType: eventTypeParam, stateKey: stateKeyParam },
  query: parseFormat,
})

export const getStateEventRoute = handle(
  getStateEventEndpoint,
  ({ params, query, requester }, { rooms }: RoomServices) =>
    rooms.getStateEvent(requester, params.roomId, params.eventType, params.stateKey, query),
)

export const getEmptyKeyStateEventEndpoint = defineEndpoint({
  method: 'GET',
  paths: [
    ...clientV3Paths('/rooms/:roomId/state/:eventType'),
    ...clientV3Paths('/rooms/:roomId/state/:eventType/'),
  ],
  auth: 'required',
  params: { roomId: roomIdParam, eventType: eventTypeParam },
  query: parseFormat,
})

export const getEmptyKeyStateEventRoute = handle(
  getEmptyKeyStateEventEndpoint,
  ({ params, query, requester }, { rooms }: RoomServices) =>
    rooms.getStateEvent(requester, params.roomId, params.eventType, '', query),
)

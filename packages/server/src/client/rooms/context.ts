/**
 * `GET /_matrix/client/v3/rooms/{roomId}/context/{eventId}` (client-server-api §Event Context).
 */
import { ok, type Result } from '@rhizome/core'
import { clientV3Paths, defineEndpoint, handle } from '../../http/endpoint.js'
import type { ServerError } from '../../http/errors.js'
import { parseRoomEventFilterParam } from '../../sync/filter/sync-filter.js'
import type { ContextQuery } from '../../rooms/timeline.js'
import { parseLimit } from './messages.js'
import { eventIdParam, roomIdParam } from './params.js'
import type { RoomServices } from './room-services.js'

export function parseContextQuery(query: URLSearchParams): Result<ContextQuery, ServerError> {
  const filter = parseRoomEventFilterParam(query.get('filter'))
  if (!filter.ok) return filter
  const limit = parseLimit(query.get('limit'))
  if (!limit.ok) return limit
  return ok({ filter: filter.value, ...(limit.value === undefined ? {} : { limit: limit.value }) })
}

export const contextEndpoint = defineEndpoint({
  method: 'GET',
  paths: clientV3Paths('/rooms/:roomId/context/:eventId'),
  auth: 'required',
  params: { roomId: roomIdParam, eventId: eventIdParam },
  query: parseContextQuery,
})

export const contextRoute = handle(
  contextEndpoint,
  ({ params, query, requester }, { rooms }: RoomServices) =>
    rooms.getContext(requester, params.roomId, params.eventId, query),
)

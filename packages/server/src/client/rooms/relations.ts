/**
 * `GET /_matrix/client/v1/rooms/{roomId}/relations/{eventId}[/{relType}[/{eventType}]]`
 * (client-server-api §Relationships API) and `GET /_matrix/client/v1/rooms/{roomId}/threads`
 * (§Querying threads in a room).
 */
import { err, ok, utf8ByteLength, type Result } from '@rhizome/core'
import { defineEndpoint, handle } from '../../http/endpoint.js'
import { serverError, type ServerError } from '../../http/errors.js'
import { parseTimelineToken } from '../../rooms/pagination-token.js'
import type { RelationsQuery, ThreadsQuery } from '../../rooms/relations.js'
import { parseLimit } from './messages.js'
import { eventIdParam, eventTypeParam, invalidParam, roomIdParam } from './params.js'
import type { RoomServices } from './room-services.js'

const V1 = '/_matrix/client/v1'
const MAX_REL_TYPE_BYTES = 255

export function relTypeParam(raw: string): Result<string, ServerError> {
  if (raw === '') return invalidParam('The relation type must not be empty')
  if (utf8ByteLength(raw) > MAX_REL_TYPE_BYTES) {
    return invalidParam('The relation type is over 255 bytes')
  }
  return ok(raw)
}

export function parseRelationsQuery(
  query: URLSearchParams,
): Result<Omit<RelationsQuery, 'relType' | 'eventType'>, ServerError> {
  const dir = query.get('dir') ?? 'b'
  if (dir !== 'b' && dir !== 'f') return invalidParam('dir must be b or f')
  const out: { from?: number; to?: number; limit?: number; dir: 'b' | 'f'; recurse?: boolean } = {
    dir,
  }
  for (const name of ['from', 'to'] as const) {
    const raw = query.get(name)
    if (raw === null) continue
    const position = parseTimelineToken(raw, name)
    if (!position.ok) return position
    out[name] = position.value
  }
  const limit = parseLimit(query.get('limit'))
  if (!limit.ok) return limit
  if (limit.value !== undefined) out.limit = limit.value
  const recurse = query.get('recurse')
  if (recurse !== null) {
    if (recurse !== 'true' && recurse !== 'false')
      return invalidParam('recurse must be true or false')
    out.recurse = recurse === 'true'
  }
  return ok(out)
}

const relationsEndpoint = defineEndpoint({
  method: 'GET',
  paths: [`${V1}/rooms/:roomId/relations/:eventId`],
  auth: 'required',
  params: { roomId: roomIdParam, eventId: eventIdParam },
  query: parseRelationsQuery,
})

const relationsByTypeEndpoint = defineEndpoint({
  method: 'GET',
  paths: [`${V1}/rooms/:roomId/relations/:eventId/:relType`],
  auth: 'required',
  params: { roomId: roomIdParam, eventId: eventIdParam, relType: relTypeParam },
  query: parseRelationsQuery,
})

const relationsByTypeAndEventTypeEndpoint = defineEndpoint({
  method: 'GET',
  paths: [`${V1}/rooms/:roomId/relations/:eventId/:relType/:eventType`],
  auth: 'required',
  params: {
    roomId: roomIdParam,
    eventId: eventIdParam,
    relType: relTypeParam,
    eventType: eventTypeParam,
  },
  query: parseRelationsQuery,
})

export const relationsRoutes = [
  handle(relationsEndpoint, ({ params, query, requester }, { rooms }: RoomServices) =>
    rooms.getRelations(requester, params.roomId, params.eventId, query),
  ),
  handle(relationsByTypeEndpoint, ({ params, query, requester }, { rooms }: RoomServices) =>
    rooms.getRelations(requester, params.roomId, params.eventId, {
      ...query,
      relType: params.relType,
    }),
  ),
  handle(
    relationsByTypeAndEventTypeEndpoint,
    ({ params, query, requester }, { rooms }: RoomServices) =>
      rooms.getRelations(requester, params.roomId, params.eventId, {
        ...query,
        relType: params.relType,
        eventType: params.eventType,
      }),
  ),
]

export function parseThreadsQuery(query: URLSearchParams): Result<ThreadsQuery, ServerError> {
  const include = query.get('include') ?? 'all'
  if (include !== 'all' && include !== 'participated') {
    return invalidParam('include must be all or participated')
  }
  const out: { include: 'all' | 'participated'; from?: number; limit?: number } = { include }
  const from = query.get('from')
  if (from !== null) {
    const position = parseTimelineToken(from, 'from')
    if (!position.ok) return position
    out.from = position.value
  }
  const limit = parseLimit(query.get('limit'))
  if (!limit.ok) return limit
  if (limit.value !== undefined) {
    if (limit.value < 1) return err(serverError('M_INVALID_PARAM', 'limit must be above zero'))
    out.limit = limit.value
  }
  return ok(out)
}

const threadsEndpoint = defineEndpoint({
  method: 'GET',
  paths: [`${V1}/rooms/:roomId/threads`],
  auth: 'required',
  rateLimit: 'room_query',
  params: { roomId: roomIdParam },
  query: parseThreadsQuery,
})

export const threadsRoute = handle(
  threadsEndpoint,
  ({ params, query, requester }, { rooms }: RoomServices) =>
    rooms.getThreads(requester, params.roomId, query),
)

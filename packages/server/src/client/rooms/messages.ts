/** `GET /_matrix/client/v3/rooms/{roomId}/messages` (client-server-api §Getting events for a room). */
import { ok, type Result } from '@rhizome/core'
import { clientV3Paths, defineEndpoint, handle } from '../../http/endpoint.js'
import type { ServerError } from '../../http/errors.js'
import { parseTimelineToken } from '../../rooms/pagination-token.js'
import { parseRoomEventFilterParam } from '../../sync/filter/sync-filter.js'
import type { MessagesQuery } from '../../rooms/timeline.js'
import { invalidParam, roomIdParam } from './params.js'
import type { RoomServices } from './room-services.js'

export function parseMessagesQuery(query: URLSearchParams): Result<MessagesQuery, ServerError> {
  // The spec requires `dir`; like other servers, a request without one reads forwards.
  const dir = query.get('dir') ?? 'f'
  if (dir !== 'b' && dir !== 'f') return invalidParam('dir must be b or f')
  const filter = parseRoomEventFilterParam(query.get('filter'))
  if (!filter.ok) return filter
  const out: {
    from?: number
    to?: number
    dir: 'b' | 'f'
    limit?: number
    filter: MessagesQuery['filter']
  } = {
    dir,
    filter: filter.value,
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
  return ok(out)
}

/** A non-negative integer `limit`, or none. */
export function parseLimit(raw: string | null): Result<number | undefined, ServerError> {
  if (raw === null) return ok(undefined)
  if (!/^[0-9]{1,9}$/.test(raw)) return invalidParam('limit must be a non-negative integer')
  return ok(Number(raw))
}

export const messagesEndpoint = defineEndpoint({
  method: 'GET',
  paths: clientV3Paths('/rooms/:roomId/messages'),
  auth: 'required',
  params: { roomId: roomIdParam },
  query: parseMessagesQuery,
})

export const messagesRoute = handle(
  messagesEndpoint,
  ({ params, query, requester }, { rooms }: RoomServices) =>
    rooms.getMessages(requester, params.roomId, query),
)

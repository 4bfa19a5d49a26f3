/**
 * `GET /_matrix/client/v1/rooms/{roomId}/hierarchy` (client-server-api §Discovering rooms within
 * spaces).
 */
import { ok, type Result } from '@rhizome/core'
import { defineEndpoint, handle } from '../../http/endpoint.js'
import type { ServerError } from '../../http/errors.js'
import type { HierarchyQuery } from '../../rooms/space-hierarchy.js'
import { invalidParam, roomIdParam } from './params.js'
import type { RoomServices } from './room-services.js'

const V1 = '/_matrix/client/v1'
const INTEGER = /^(0|[1-9][0-9]{0,8})$/

export function parseHierarchyQuery(query: URLSearchParams): Result<HierarchyQuery, ServerError> {
  const suggested = query.get('suggested_only')
  if (suggested !== null && suggested !== 'true' && suggested !== 'false') {
    return invalidParam('suggested_only must be true or false')
  }
  const out: { suggestedOnly: boolean; limit?: number; maxDepth?: number; from?: string } = {
    suggestedOnly: suggested === 'true',
  }
  const limit = query.get('limit')
  if (limit !== null) {
    if (!INTEGER.test(limit) || Number(limit) === 0) {
      return invalidParam('limit must be an integer greater than zero')
    }
    out.limit = Number(limit)
  }
  const maxDepth = query.get('max_depth')
  if (maxDepth !== null) {
    if (!INTEGER.test(maxDepth)) return invalidParam('max_depth must be a non-negative integer')
    out.maxDepth = Number(maxDepth)
  }
  const from = query.get('from')
  if (from !== null) out.from = from
  return ok(out)
}

export const hierarchy = defineEndpoint({
  method: 'GET',
  paths: [`${V1}/rooms/:roomId/hierarchy`],
  auth: 'required',
  rateLimit: 'room_query',
  params: { roomId: roomIdParam },
  query: parseHierarchyQuery,
})

export const hierarchyRoute = handle(
  hierarchy,
  async ({ params, query, requester }, { rooms }: RoomServices) => {
    const page = await rooms.getHierarchy(requester, params.roomId, query)
    return page.ok ? ok(page.value) : page
  },
)

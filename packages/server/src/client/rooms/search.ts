/** `POST /_matrix/client/v3/search` (client-server-api §Server Side Search). */
import { ok, type Result } from '@rhizome/core'
import { clientV3Paths, defineEndpoint, handle } from '../../http/endpoint.js'
import type { ServerError } from '../../http/errors.js'
import { parseSearchRequest } from '../../search/search-request.js'
import type { RoomServices } from './room-services.js'

function parseSearchQuery(query: URLSearchParams): Result<{ nextBatch?: string }, ServerError> {
  const nextBatch = query.get('next_batch')
  return ok(nextBatch === null ? {} : { nextBatch })
}

export const searchEndpoint = defineEndpoint({
  method: 'POST',
  paths: clientV3Paths('/search'),
  auth: 'required',
  rateLimit: 'room_query',
  query: parseSearchQuery,
  body: parseSearchRequest,
})

export const searchRoute = handle(
  searchEndpoint,
  ({ query, body, requester }, { rooms }: RoomServices) =>
    rooms.search(requester, body, query.nextBatch),
)

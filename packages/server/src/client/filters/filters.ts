/**
 * `POST /_matrix/client/v3/user/{userId}/filter` and
 * `GET /_matrix/client/v3/user/{userId}/filter/{filterId}` (and r0): uploading and downloading
 * filters (client-server-api §Filtering).
 */
import { err, ok, type JsonObject, type Result, type UserId } from '@rhizome/core'
import type { Requester } from '../../http/authenticate.js'
import { clientV3Paths, defineEndpoint, handle } from '../../http/endpoint.js'
import { forbidden, notFound, serverError, type ServerError } from '../../http/errors.js'
import type { FilterStore } from '../../storage/interface.js'
import { parseSyncFilter } from '../../sync/filter/sync-filter.js'
import { userIdParam } from '../id-params.js'

/** What the filter endpoints use of the services. */
export interface FilterRouteServices {
  readonly storage: { readonly filters: FilterStore }
}

/** Filter IDs are short opaque strings; longer ones name nothing this server handed out. */
export function filterIdParam(raw: string): Result<string, ServerError> {
  if (raw === '' || raw.length > 64) return err(serverError('M_INVALID_PARAM', 'Invalid filter ID'))
  return ok(raw)
}

/** The filter, checked against the spec's shape; it is stored as the client sent it. */
export function parseFilterBody(json: JsonObject): Result<JsonObject, ServerError> {
  const parsed = parseSyncFilter(json)
  return parsed.ok ? ok(json) : parsed
}

function ownFilters(requester: Requester, userId: UserId, verb: string): ServerError | undefined {
  return requester.userId === userId
    ? undefined
    : forbidden(`Cannot ${verb} filters for other users`)
}

export const postFilter = defineEndpoint({
  method: 'POST',
  paths: clientV3Paths('/user/:userId/filter'),
  auth: 'required',
  params: { userId: userIdParam },
  body: parseFilterBody,
})

export const postFilterRoute = handle(
  postFilter,
  async ({ params, body, requester }, { storage }: FilterRouteServices) => {
    const refused = ownFilters(requester, params.userId, 'create')
    if (refused !== undefined) return err(refused)
    return ok({ filter_id: await storage.filters.create(params.userId, body) })
  },
)

export const getFilter = defineEndpoint({
  method: 'GET',
  paths: clientV3Paths('/user/:userId/filter/:filterId'),
  auth: 'required',
  params: { userId: userIdParam, filterId: filterIdParam },
})

export const getFilterRoute = handle(
  getFilter,
  async ({ params, requester }, { storage }: FilterRouteServices) => {
    const refused = ownFilters(requester, params.userId, 'get')
    if (refused !== undefined) return err(refused)
    const filter = await storage.filters.get(params.userId, params.filterId)
    return filter === undefined ? err(notFound('No such filter')) : ok(filter)
  },
)

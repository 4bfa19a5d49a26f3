/** `POST /_matrix/client/v3/user_directory/search` (client-server-api §User Directory). */
import { err, ok, type JsonObject, type Result } from '@rhizome/core'
import { clientV3Paths, defineEndpoint, handle } from '../../http/endpoint.js'
import { badJson, serverError, type ServerError } from '../../http/errors.js'
import type { DirectoryRouteServices } from './room-aliases.js'

export interface UserSearchBody {
  readonly searchTerm: string
  readonly limit?: number
}

export function parseUserSearchBody(body: JsonObject): Result<UserSearchBody, ServerError> {
  const term = body['search_term']
  if (term === undefined) return err(serverError('M_MISSING_PARAM', 'search_term is required'))
  if (typeof term !== 'string') return err(badJson('search_term must be a string'))
  const limit = body['limit']
  if (limit === undefined || limit === null) return ok({ searchTerm: term })
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit)) {
    return err(badJson('limit must be an integer'))
  }
  if (limit < 0) return err(serverError('M_INVALID_PARAM', 'limit must not be negative'))
  return ok({ searchTerm: term, limit })
}

export const userDirectorySearchEndpoint = defineEndpoint({
  method: 'POST',
  paths: clientV3Paths('/user_directory/search'),
  auth: 'required',
  rateLimit: 'user_directory',
  body: parseUserSearchBody,
})

export const userDirectorySearchRoute = handle(
  userDirectorySearchEndpoint,
  ({ body, requester }, { directory }: DirectoryRouteServices) =>
    directory.searchUsers(requester, body.searchTerm, body.limit),
)

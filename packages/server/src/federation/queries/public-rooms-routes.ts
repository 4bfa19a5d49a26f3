/**
 * This server's published room directory, for other servers (server-server-api §Public Room
 * Directory): `GET` and `POST /_matrix/federation/v1/publicRooms`. The listing is the one
 * clients see (directory/published-rooms.ts); the query and body read as the client API's do.
 */
import { err, ok, type Result } from '@rhizome/core'
import { parsePublicRoomsBody } from '../../client/directory/public-rooms.js'
import type { DirectoryService } from '../../directory/directory-service.js'
import type { PublicRoomsRequest } from '../../directory/published-rooms.js'
import { defineEndpoint, handle, type Route } from '../../http/endpoint.js'
import { serverError, type ServerError } from '../../http/errors.js'

export interface PublicRoomsRouteServices {
  readonly directory: Pick<DirectoryService, 'publicRooms'>
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

/** `?limit=&since=&include_all_networks=&third_party_instance_id=` of the GET. */
export function readFederationPublicRoomsQuery(
  query: URLSearchParams,
): Result<PublicRoomsRequest, ServerError> {
  const out: Mutable<PublicRoomsRequest> = {}
  const limit = query.get('limit')
  if (limit !== null) {
    if (!/^[0-9]{1,15}$/.test(limit)) return invalid('limit must be a non-negative integer')
    // The federation API's default of 0 means "no limit", which the listing's undefined is.
    if (limit !== '0') out.limit = Number(limit)
  }
  const since = query.get('since')
  if (since !== null && since !== '') out.since = since
  const all = query.get('include_all_networks')
  if (all !== null) {
    if (all !== 'true' && all !== 'false') {
      return invalid('include_all_networks must be true or false')
    }
    out.includeAllNetworks = all === 'true'
  }
  const instance = query.get('third_party_instance_id')
  if (instance !== null) out.thirdPartyInstanceId = instance
  return ok(out)
}

function invalid(message: string): Result<never, ServerError> {
  return err(serverError('M_INVALID_PARAM', message))
}

export const getFederationPublicRoomsEndpoint = defineEndpoint({
  method: 'GET',
  paths: ['/_matrix/federation/v1/publicRooms'],
  auth: 'federation',
  query: readFederationPublicRoomsQuery,
})

export const postFederationPublicRoomsEndpoint = defineEndpoint({
  method: 'POST',
  paths: ['/_matrix/federation/v1/publicRooms'],
  auth: 'federation',
  // The body names no server: another server asks for this server's directory only.
  body: parsePublicRoomsBody,
  emptyBody: 'empty-object',
})

export const federationPublicRoomsRoutes: readonly Route<PublicRoomsRouteServices>[] = [
  handle(getFederationPublicRoomsEndpoint, ({ query }, { directory }: PublicRoomsRouteServices) =>
    directory.publicRooms(query),
  ),
  handle(postFederationPublicRoomsEndpoint, ({ body }, { directory }: PublicRoomsRouteServices) =>
    directory.publicRooms(body),
  ),
]

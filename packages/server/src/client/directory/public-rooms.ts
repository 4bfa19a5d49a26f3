/**
 * The published room directory (client-server-api §Published room directory):
 *
 * - `GET` and `POST /_matrix/client/v3/publicRooms`
 * - `GET` and `PUT /_matrix/client/v3/directory/list/room/{roomId}`
 */
import {
  err,
  isJsonObject,
  ok,
  parseServerName,
  type JsonObject,
  type JsonValue,
  type Result,
  type ServerName,
} from '@rhizome/core'
import type { DirectoryVisibility, PublicRoomsRequest } from '../../directory/published-rooms.js'
import { clientV3Paths, defineEndpoint, handle, type Route } from '../../http/endpoint.js'
import { badJson, serverError, type ServerError } from '../../http/errors.js'
import { roomIdParam } from '../rooms/params.js'
import type { DirectoryRouteServices } from './room-aliases.js'

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

function invalid(message: string): Result<never, ServerError> {
  return err(serverError('M_INVALID_PARAM', message))
}

function limitOf(value: number): Result<number, ServerError> {
  return Number.isSafeInteger(value) && value >= 0
    ? ok(value)
    : invalid('limit must be a non-negative integer')
}

function serverOf(raw: string | null): Result<ServerName | undefined, ServerError> {
  if (raw === null) return ok(undefined)
  const server = parseServerName(raw)
  return server.ok ? server : invalid(`server is not a server name: ${server.error.error}`)
}

/** `?limit=&since=&server=` of the GET. */
export function parsePublicRoomsQuery(
  query: URLSearchParams,
): Result<PublicRoomsRequest, ServerError> {
  const out: Mutable<PublicRoomsRequest> = {}
  const server = serverOf(query.get('server'))
  if (!server.ok) return server
  if (server.value !== undefined) out.server = server.value
  const limit = query.get('limit')
  if (limit !== null) {
    if (!/^[0-9]{1,15}$/.test(limit)) return invalid('limit must be a non-negative integer')
    out.limit = Number(limit)
  }
  const since = query.get('since')
  if (since !== null && since !== '') out.since = since
  return ok(out)
}

/** The POST body: `limit`, `since`, `filter`, `include_all_networks`, `third_party_instance_id`. */
export function parsePublicRoomsBody(body: JsonObject): Result<PublicRoomsRequest, ServerError> {
  const out: Mutable<PublicRoomsRequest> = {}
  const { limit, since, filter } = body
  if (limit !== undefined && limit !== null) {
    if (typeof limit !== 'number') return err(badJson('limit must be an integer'))
    const checked = limitOf(limit)
    if (!checked.ok) return checked
    out.limit = checked.value
  }
  if (since !== undefined && since !== null) {
    if (typeof since !== 'string') return err(badJson('since must be a string'))
    if (since !== '') out.since = since
  }
  if (filter !== undefined && filter !== null) {
    if (!isJsonObject(filter)) return err(badJson('filter must be an object'))
    const term = filter['generic_search_term']
    if (term !== undefined && term !== null) {
      if (typeof term !== 'string') return err(badJson('generic_search_term must be a string'))
      if (term.trim() !== '') out.searchTerm = term.trim()
    }
    const types = filter['room_types']
    if (types !== undefined && types !== null) {
      const parsed = roomTypes(types)
      if (!parsed.ok) return parsed
      out.roomTypes = parsed.value
    }
  }
  const all = body['include_all_networks']
  if (all !== undefined && all !== null) {
    if (typeof all !== 'boolean') return err(badJson('include_all_networks must be a boolean'))
    out.includeAllNetworks = all
  }
  const instance = body['third_party_instance_id']
  if (instance !== undefined && instance !== null) {
    if (typeof instance !== 'string') {
      return err(badJson('third_party_instance_id must be a string'))
    }
    out.thirdPartyInstanceId = instance
  }
  return ok(out)
}

function roomTypes(value: JsonValue): Result<(string | null)[], ServerError> {
  if (!Array.isArray(value)) return err(badJson('room_types must be a list'))
  const out: (string | null)[] = []
  for (const entry of value as readonly JsonValue[]) {
    if (entry !== null && typeof entry !== 'string') {
      return err(badJson('room_types must hold strings and null'))
    }
    out.push(entry)
  }
  return ok(out)
}

export const getPublicRoomsEndpoint = defineEndpoint({
  method: 'GET',
  paths: clientV3Paths('/publicRooms'),
  auth: 'none',
  query: parsePublicRoomsQuery,
})

export const getPublicRoomsRoute = handle(
  getPublicRoomsEndpoint,
  ({ query }, { directory }: DirectoryRouteServices) => directory.publicRooms(query),
)

export const postPublicRoomsEndpoint = defineEndpoint({
  method: 'POST',
  paths: clientV3Paths('/publicRooms'),
  auth: 'required',
  query: (query) => serverOf(query.get('server')),
  body: parsePublicRoomsBody,
  emptyBody: 'empty-object',
})

export const postPublicRoomsRoute = handle(
  postPublicRoomsEndpoint,
  ({ query, body }, { directory }: DirectoryRouteServices) =>
    directory.publicRooms(query === undefined ? body : { ...body, server: query }),
)

const visibilityPaths = clientV3Paths('/directory/list/room/:roomId')

export const getVisibilityEndpoint = defineEndpoint({
  method: 'GET',
  paths: visibilityPaths,
  auth: 'none',
  params: { roomId: roomIdParam },
})

export const getVisibilityRoute = handle(
  getVisibilityEndpoint,
  ({ params }, { directory }: DirectoryRouteServices) => directory.getVisibility(params.roomId),
)

/** `{visibility}`, `public` when absent (the spec's default). */
function visibilityBody(body: JsonObject): Result<DirectoryVisibility, ServerError> {
  const visibility = body['visibility']
  if (visibility === undefined || visibility === null) return ok('public')
  if (visibility !== 'public' && visibility !== 'private') {
    return invalid('visibility must be public or private')
  }
  return ok(visibility)
}

export const putVisibilityEndpoint = defineEndpoint({
  method: 'PUT',
  paths: visibilityPaths,
  auth: 'required',
  params: { roomId: roomIdParam },
  body: visibilityBody,
  emptyBody: 'empty-object',
})

export const putVisibilityRoute = handle(
  putVisibilityEndpoint,
  async ({ params, body, requester }, { directory }: DirectoryRouteServices) => {
    const set = await directory.setVisibility(requester, params.roomId, body)
    return set.ok ? ok({}) : set
  },
)

export const publicRoomsRoutes: readonly Route<DirectoryRouteServices>[] = [
  getPublicRoomsRoute,
  postPublicRoomsRoute,
  getVisibilityRoute,
  putVisibilityRoute,
]

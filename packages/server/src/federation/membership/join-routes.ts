/**
 * `GET /_matrix/federation/v1/make_join/{roomId}/{userId}` and
 * `PUT /_matrix/federation/v2/send_join/{roomId}/{eventId}` (server-server-api §Joining Rooms).
 * The v1 send_join, removed in spec v1.18, is not served.
 */
import { ok, type JsonObject, type Result } from '@rhizome/core'
import { defineEndpoint, handle } from '../../http/endpoint.js'
import type { ServerError } from '../../http/errors.js'
import { eventIdParam, roomIdParam } from '../../client/rooms/params.js'
import { userIdInvalidParam } from '../../client/id-params.js'
import { makeJoin, sendJoin, type ResidentJoinDeps } from './resident-join.js'

export interface JoinRouteServices {
  readonly residentJoin: ResidentJoinDeps
}

/** `ver`, repeated once per supported room version; the spec's default is version 1. */
export function versionsQuery(query: URLSearchParams): Result<readonly string[], ServerError> {
  const versions = query.getAll('ver')
  return ok(versions.length === 0 ? ['1'] : versions)
}

export function anyObject(body: JsonObject): Result<JsonObject, ServerError> {
  return ok(body)
}

const makeJoinEndpoint = defineEndpoint({
  method: 'GET',
  paths: ['/_matrix/federation/v1/make_join/:roomId/:userId'],
  auth: 'federation',
  params: { roomId: roomIdParam, userId: userIdInvalidParam },
  query: versionsQuery,
})

const sendJoinEndpoint = defineEndpoint({
  method: 'PUT',
  paths: ['/_matrix/federation/v2/send_join/:roomId/:eventId'],
  auth: 'federation',
  params: { roomId: roomIdParam, eventId: eventIdParam },
  body: anyObject,
})

export const joinRoutes = [
  handle(makeJoinEndpoint, ({ origin, params, query }, { residentJoin }: JoinRouteServices) =>
    makeJoin(residentJoin, origin, params.roomId, params.userId, query),
  ),
  handle(sendJoinEndpoint, ({ origin, params, body }, { residentJoin }: JoinRouteServices) =>
    sendJoin(residentJoin, origin, params.roomId, params.eventId, body),
  ),
]

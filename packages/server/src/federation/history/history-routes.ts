/**
 * `GET /_matrix/federation/v1/event/{eventId}`, `GET /_matrix/federation/v1/state/{roomId}`,
 * `GET /_matrix/federation/v1/state_ids/{roomId}`,
 * `GET /_matrix/federation/v1/event_auth/{roomId}/{eventId}` and
 * `GET /_matrix/federation/v1/backfill/{roomId}` (server-server-api §Retrieving events,
 * §Retrieving event authorisation information, §Backfilling and retrieving missing events).
 */
import { err, ok, parseEventId, type EventId, type Result } from '@rhizome/core'
import { defineEndpoint, handle } from '../../http/endpoint.js'
import { serverError, type ServerError } from '../../http/errors.js'
import { eventIdParam, roomIdParam } from '../../client/rooms/params.js'
import {
  backfillForServer,
  eventAuthForServer,
  eventForServer,
  stateForServer,
  stateIdsForServer,
  type HistoryServingDeps,
} from './serve-history.js'

export interface HistoryRouteServices {
  readonly federationHistory: HistoryServingDeps
}

function eventIdQuery(query: URLSearchParams): Result<EventId, ServerError> {
  const raw = query.get('event_id')
  if (raw === null) return err(serverError('M_MISSING_PARAM', 'event_id is required'))
  return parseEventId(raw)
}

export interface BackfillQuery {
  readonly from: readonly EventId[]
  readonly limit: number
}

export function parseBackfillQuery(query: URLSearchParams): Result<BackfillQuery, ServerError> {
  const from: EventId[] = []
  for (const raw of query.getAll('v')) {
    const id = parseEventId(raw)
    if (!id.ok) return id
    from.push(id.value)
  }
  if (from.length === 0) return err(serverError('M_MISSING_PARAM', 'v is required'))
  const limit = query.get('limit')
  if (limit === null) return err(serverError('M_MISSING_PARAM', 'limit is required'))
  if (!/^[0-9]{1,9}$/.test(limit)) {
    return err(serverError('M_INVALID_PARAM', 'limit must be a non-negative integer'))
  }
  return ok({ from, limit: Number(limit) })
}

const eventEndpoint = defineEndpoint({
  method: 'GET',
  paths: ['/_matrix/federation/v1/event/:eventId'],
  auth: 'federation',
  params: { eventId: eventIdParam },
})

const stateEndpoint = defineEndpoint({
  method: 'GET',
  paths: ['/_matrix/federation/v1/state/:roomId'],
  auth: 'federation',
  params: { roomId: roomIdParam },
  query: eventIdQuery,
})

const stateIdsEndpoint = defineEndpoint({
  method: 'GET',
  paths: ['/_matrix/federation/v1/state_ids/:roomId'],
  auth: 'federation',
  params: { roomId: roomIdParam },
  query: eventIdQuery,
})

const eventAuthEndpoint = defineEndpoint({
  method: 'GET',
  paths: ['/_matrix/federation/v1/event_auth/:roomId/:eventId'],
  auth: 'federation',
  params: { roomId: roomIdParam, eventId: eventIdParam },
})

const backfillEndpoint = defineEndpoint({
  method: 'GET',
  paths: ['/_matrix/federation/v1/backfill/:roomId'],
  auth: 'federation',
  params: { roomId: roomIdParam },
  query: parseBackfillQuery,
})

export const historyRoutes = [
  handle(eventEndpoint, ({ origin, params }, { federationHistory }: HistoryRouteServices) =>
    eventForServer(federationHistory, origin, params.eventId),
  ),
  handle(stateEndpoint, ({ origin, params, query }, { federationHistory }: HistoryRouteServices) =>
    stateForServer(federationHistory, origin, params.roomId, query),
  ),
  handle(
    stateIdsEndpoint,
    ({ origin, params, query }, { federationHistory }: HistoryRouteServices) =>
      stateIdsForServer(federationHistory, origin, params.roomId, query),
  ),
  handle(eventAuthEndpoint, ({ origin, params }, { federationHistory }: HistoryRouteServices) =>
    eventAuthForServer(federationHistory, origin, params.roomId, params.eventId),
  ),
  handle(
    backfillEndpoint,
    ({ origin, params, query }, { federationHistory }: HistoryRouteServices) =>
      backfillForServer(federationHistory, origin, params.roomId, query.from, query.limit),
  ),
]

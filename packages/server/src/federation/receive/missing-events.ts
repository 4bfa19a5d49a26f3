/**
 * `POST /_matrix/federation/v1/get_missing_events/{roomId}` (server-server-api §Backfilling and
 * retrieving missing events): a breadth-first walk of `prev_events` back from `latest_events`,
 * skipping `earliest_events` (what the asking server has), down to `min_depth`, up to `limit`
 * events. Only a server with a user joined to the room may ask, rejected events are never
 * handed out, and what its users could not see goes out redacted.
 */
import {
  err,
  ok,
  userIdServerName,
  type EventId,
  type JsonObject,
  type JsonValue,
  type Result,
  type RoomId,
  type ServerName,
} from '@rhizome/core'
import { defineEndpoint, handle } from '../../http/endpoint.js'
import { badJson, forbidden, notFound, type ServerError } from '../../http/errors.js'
import { roomIdParam } from '../../client/rooms/params.js'
import { PduLoader } from '../../rooms/pdu-loader.js'
import type { Storage } from '../../storage/interface.js'
import { ServerHistoryView } from '../history/server-visibility.js'

/** The spec's default, and the most one request may ask for. */
export const DEFAULT_MISSING_LIMIT = 10
export const MAX_MISSING_LIMIT = 100

export interface MissingEventsRequest {
  readonly earliest: readonly EventId[]
  readonly latest: readonly EventId[]
  readonly limit: number
  readonly minDepth: number
}

export interface MissingEventsServices {
  readonly storage: Pick<Storage, 'events' | 'rooms' | 'state'>
}

export function parseMissingEventsRequest(
  body: JsonObject,
): Result<MissingEventsRequest, ServerError> {
  const earliest = idList(body['earliest_events'])
  const latest = idList(body['latest_events'])
  if (earliest === undefined || latest === undefined) {
    return err(badJson('earliest_events and latest_events must be lists of event IDs'))
  }
  const limit = body['limit'] ?? DEFAULT_MISSING_LIMIT
  const minDepth = body['min_depth'] ?? 0
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 0) {
    return err(badJson('limit must be a non-negative integer'))
  }
  if (typeof minDepth !== 'number' || !Number.isInteger(minDepth)) {
    return err(badJson('min_depth must be an integer'))
  }
  return ok({ earliest, latest, limit: Math.min(limit, MAX_MISSING_LIMIT), minDepth })
}

function idList(value: JsonValue | undefined): EventId[] | undefined {
  if (!Array.isArray(value)) return undefined
  const ids = value as readonly JsonValue[]
  return ids.every((id) => typeof id === 'string') ? (ids as EventId[]) : undefined
}

export async function missingEvents(
  storage: MissingEventsServices['storage'],
  origin: ServerName,
  roomId: RoomId,
  request: MissingEventsRequest,
): Promise<Result<{ events: JsonObject[] }, ServerError>> {
  if ((await storage.rooms.getRoom(roomId)) === undefined) {
    return err(notFound(`This server is not in ${roomId}`))
  }
  const members = await storage.rooms.joinedMembers(roomId)
  if (!members.some((member) => userIdServerName(member) === origin)) {
    return err(forbidden('The requesting server has no user in the room'))
  }
  // What the server's users could not see goes out redacted (federation/history).
  const view = new ServerHistoryView(
    { storage, pdus: new PduLoader(storage.events) },
    roomId,
    origin,
  )
  const seen = new Set<EventId>([...request.earliest, ...request.latest])
  const out: JsonObject[] = []
  const latest = await storage.events.getEvents(request.latest)
  let frontier = [...latest.values()]
    .filter((e) => e.pdu.roomId === roomId)
    .flatMap((e) => e.pdu.prevEvents)
  while (frontier.length > 0 && out.length < request.limit) {
    const wanted = frontier.filter((id) => !seen.has(id))
    for (const id of wanted) seen.add(id)
    const loaded = await storage.events.getEvents(wanted)
    const next: EventId[] = []
    for (const id of wanted) {
      const event = loaded.get(id)
      if (event === undefined || event.pdu.roomId !== roomId) continue
      if (event.pdu.depth < request.minDepth) continue
      if (event.rejectionReason === undefined && out.length < request.limit) {
        const json = await view.serve(event)
        if (json !== undefined) out.push(json)
      }
      next.push(...event.pdu.prevEvents)
    }
    frontier = next
  }
  return ok({ events: out })
}

const getMissingEvents = defineEndpoint({
  method: 'POST',
  paths: ['/_matrix/federation/v1/get_missing_events/:roomId'],
  auth: 'federation',
  params: { roomId: roomIdParam },
  body: parseMissingEventsRequest,
})

export const getMissingEventsRoute = handle(
  getMissingEvents,
  ({ origin, params, body }, { storage }: MissingEventsServices) =>
    missingEvents(storage, origin, params.roomId, body),
)

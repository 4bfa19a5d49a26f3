/**
 * What other servers may read of a room's history (server-server-api §Retrieving events,
 * §Retrieving event authorisation information, §Backfilling and retrieving missing events): one
 * event, the state before an event (whole or as IDs), an event's auth chain, and the history
 * before some events. Each answer passes through the asking server's view of the room
 * (server-visibility.ts): a server not in the room is refused, and content its users could not
 * see is redacted. Rejected events are never handed out.
 */
import {
  err,
  ok,
  type EventId,
  type JsonObject,
  type Result,
  type RoomId,
  type ServerName,
} from '@rhizome/core'
import { forbidden, notFound, type ServerError } from '../../http/errors.js'
import type { PduLoader } from '../../rooms/pdu-loader.js'
import type { Storage, StoredEvent } from '../../storage/interface.js'
import { loadAuthChain } from './auth-chain.js'
import { ServerHistoryView } from './server-visibility.js'

/** The most events one backfill request gets, whatever it asks. */
export const MAX_BACKFILL_LIMIT = 100

export interface HistoryServingDeps {
  readonly storage: Pick<Storage, 'rooms' | 'state' | 'events'>
  readonly pdus: PduLoader
  readonly serverName: ServerName
  readonly now: () => number
}

export interface PduTransaction {
  readonly origin: ServerName
  readonly origin_server_ts: number
  readonly pdus: JsonObject[]
}

const NOT_IN_ROOM = 'The requesting server has no user in the room who could see this'

export async function eventForServer(
  deps: HistoryServingDeps,
  origin: ServerName,
  eventId: EventId,
): Promise<Result<PduTransaction, ServerError>> {
  const event = await deps.storage.events.getEvent(eventId)
  if (event === undefined || event.rejectionReason !== undefined) {
    return err(notFound('Event not found'))
  }
  const view = new ServerHistoryView(deps, event.pdu.roomId, origin)
  if (!(await view.mayAsk(event))) return err(forbidden(NOT_IN_ROOM))
  const json = await view.serve(event)
  if (json === undefined) return err(notFound('Event not found'))
  return ok(transaction(deps, [json]))
}

export interface StateIdsAnswer {
  readonly auth_chain_ids: EventId[]
  readonly pdu_ids: EventId[]
}

export interface StateAnswer {
  readonly auth_chain: JsonObject[]
  readonly pdus: JsonObject[]
}

export async function stateIdsForServer(
  deps: HistoryServingDeps,
  origin: ServerName,
  roomId: RoomId,
  eventId: EventId,
): Promise<Result<StateIdsAnswer, ServerError>> {
  const state = await stateBefore(deps, origin, roomId, eventId)
  if (!state.ok) return state
  return ok({
    auth_chain_ids: state.value.chain.map((e) => e.pdu.eventId),
    pdu_ids: state.value.state.map((e) => e.pdu.eventId),
  })
}

export async function stateForServer(
  deps: HistoryServingDeps,
  origin: ServerName,
  roomId: RoomId,
  eventId: EventId,
): Promise<Result<StateAnswer, ServerError>> {
  const state = await stateBefore(deps, origin, roomId, eventId)
  if (!state.ok) return state
  const { view } = state.value
  return ok({
    auth_chain: await serveAll(view, state.value.chain),
    pdus: await serveAll(view, state.value.state),
  })
}

export async function eventAuthForServer(
  deps: HistoryServingDeps,
  origin: ServerName,
  roomId: RoomId,
  eventId: EventId,
): Promise<Result<{ auth_chain: JsonObject[] }, ServerError>> {
  const found = await roomEvent(deps, origin, roomId, eventId)
  if (!found.ok) return found
  const { event, view, version } = found.value
  const chain = await loadAuthChain(deps.storage.events, roomId, version, [event])
  return ok({ auth_chain: await serveAll(view, chain) })
}

/**
 * The events in `from` and those before them, breadth-first back through `prev_events`, newest
 * first, up to `limit` (server-server-api §Backfilling). Starting points this server does not
 * hold are skipped.
 */
export async function backfillForServer(
  deps: HistoryServingDeps,
  origin: ServerName,
  roomId: RoomId,
  from: readonly EventId[],
  limit: number,
): Promise<Result<PduTransaction, ServerError>> {
  if ((await deps.storage.rooms.getRoom(roomId)) === undefined) {
    return err(notFound(`This server is not in ${roomId}`))
  }
  const view = new ServerHistoryView(deps, roomId, origin)
  const starts = [...(await deps.storage.events.getEvents(from)).values()].filter(
    (e) => e.pdu.roomId === roomId,
  )
  if (!(await view.inRoom()) && !(await anyPublic(view, starts))) {
    return err(forbidden(NOT_IN_ROOM))
  }
  const wanted = Math.min(limit, MAX_BACKFILL_LIMIT)
  const found: StoredEvent[] = []
  const seen = new Set<EventId>(starts.map((e) => e.pdu.eventId))
  let layer = starts
  while (layer.length > 0 && found.length < wanted) {
    const prevs: EventId[] = []
    for (const event of layer) {
      if (found.length >= wanted) break
      if (event.rejectionReason === undefined) found.push(event)
      for (const id of event.pdu.prevEvents) {
        if (!seen.has(id)) {
          seen.add(id)
          prevs.push(id)
        }
      }
    }
    const loaded = await deps.storage.events.getEvents(prevs)
    layer = [...loaded.values()]
      .filter((e) => e.pdu.roomId === roomId)
      .sort((a, b) => b.pdu.depth - a.pdu.depth)
  }
  found.sort((a, b) => b.pdu.depth - a.pdu.depth)
  return ok(transaction(deps, await serveAll(view, found)))
}

async function anyPublic(
  view: ServerHistoryView,
  events: readonly StoredEvent[],
): Promise<boolean> {
  for (const event of events) if (await view.mayAsk(event)) return true
  return false
}

interface FoundEvent {
  readonly event: StoredEvent
  readonly view: ServerHistoryView
  readonly version: string
}

/** An event of the room that the server may ask about. */
async function roomEvent(
  deps: HistoryServingDeps,
  origin: ServerName,
  roomId: RoomId,
  eventId: EventId,
): Promise<Result<FoundEvent, ServerError>> {
  const room = await deps.storage.rooms.getRoom(roomId)
  if (room === undefined) return err(notFound(`This server is not in ${roomId}`))
  const event = await deps.storage.events.getEvent(eventId)
  if (event === undefined || event.pdu.roomId !== roomId || event.rejectionReason !== undefined) {
    return err(notFound('Event not found in this room'))
  }
  const view = new ServerHistoryView(deps, roomId, origin)
  if (!(await view.mayAsk(event))) return err(forbidden(NOT_IN_ROOM))
  return ok({ event, view, version: room.version })
}

interface StateBefore {
  readonly view: ServerHistoryView
  readonly state: StoredEvent[]
  readonly chain: StoredEvent[]
}

/** The state before the event, and its auth chain without the state's own events. */
async function stateBefore(
  deps: HistoryServingDeps,
  origin: ServerName,
  roomId: RoomId,
  eventId: EventId,
): Promise<Result<StateBefore, ServerError>> {
  const found = await roomEvent(deps, origin, roomId, eventId)
  if (!found.ok) return found
  const { event, view, version } = found.value
  const group = event.stateGroupBefore
  if (group === undefined) return err(notFound('This server does not know the state at the event'))
  const ids: EventId[] = []
  for (const [, , id] of await deps.storage.state.loadState(group)) ids.push(id)
  const loaded = await deps.storage.events.getEvents(ids)
  const state = ids.map((id) => loaded.get(id)).filter((e) => e !== undefined)
  const inState = new Set(ids)
  const chain = (await loadAuthChain(deps.storage.events, roomId, version, state)).filter(
    (e) => !inState.has(e.pdu.eventId),
  )
  return ok({ view, state, chain })
}

async function serveAll(
  view: ServerHistoryView,
  events: readonly StoredEvent[],
): Promise<JsonObject[]> {
  const out: JsonObject[] = []
  for (const event of events) {
    const json = await view.serve(event)
    if (json !== undefined) out.push(json)
  }
  return out
}

function transaction(deps: HistoryServingDeps, pdus: JsonObject[]): PduTransaction {
  return { origin: deps.serverName, origin_server_ts: deps.now(), pdus }
}

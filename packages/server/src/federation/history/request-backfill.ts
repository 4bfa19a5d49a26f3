/**
 * Fetching a room's history from other servers (server-server-api §Backfilling and retrieving
 * missing events), for clients reading back past the oldest event this server has: after a
 * join over federation, the room starts here at the join. The prev events of the oldest timeline
 * event are asked for with `/backfill`, from a server in the room (the oldest event's sender's
 * first).
 *
 * Each event must pass the checks on receipt (format, signatures, hashes, auth against its own
 * auth events and against the state before it); the state before it is the state after its prev
 * events when those are held, and otherwise the sending server's (`/state_ids`). Soft failure
 * does not apply: this is history, not news. The events are stored as history, below every
 * position the room has (RoomWriter.reserveBackfillPositions), oldest lowest: `/messages` reads
 * them in order and `/sync` never reports them as new. Neither the forward extremities nor the
 * current state move.
 */
import {
  isJsonObject,
  roomVersionRules,
  StateMap,
  userIdServerName,
  type EventId,
  type Pdu,
  type ReadonlyStateMap,
  type RoomId,
  type RoomVersionRules,
  type ServerName,
} from '@rhizome/core'
import type { Logger } from '../../logging/logger.js'
import type { StateBeforeInput, Storage } from '../../storage/interface.js'
import { resolveStateMaps } from '../receive/resolve-forks.js'
import {
  authAgainstOwnAuthEvents,
  authAgainstState,
  deltaFrom,
} from '../receive/room-event-receiver.js'
import { fetchAuthChain, fetchStateBefore, type RemoteStateDeps } from './remote-state.js'
import { verifyPdus } from './outlier-intake.js'

/** The most events one backfill asks for (the serving side's usual cap). */
export const BACKFILL_BATCH = 100
/** A client waits on this: so many servers are tried, each for so long at most. */
const SERVERS_TRIED = 3
const REQUEST_TIMEOUT_MS = 10_000

export interface BackfillDeps extends RemoteStateDeps {
  readonly storage: Pick<Storage, 'withRoomWriteLock' | 'events' | 'state' | 'rooms'>
  readonly serverName: ServerName
  readonly logger?: Pick<Logger, 'info' | 'debug' | 'warn'>
  /**
   * Whether deliveries to the server are failing and waiting out a backoff: it is not asked, as
   * a client would wait on it for nothing. Without it, every server in the room is asked.
   */
  readonly isBackingOff?: (server: ServerName) => Promise<boolean>
}

/** A checked event of the batch with the state before it. */
interface Checked {
  readonly pdu: Pdu
  readonly before: ReadonlyStateMap<EventId>
  readonly rejection: string | undefined
}

/**
 * Fetches up to `limit` events of history before the oldest event held in the room's timeline;
 * resolves to how many were stored (0 when there is nothing more, or no server answered).
 */
export async function backfillRoom(
  deps: BackfillDeps,
  roomId: RoomId,
  limit: number,
): Promise<number> {
  try {
    return await backfillOnce(deps, roomId, limit)
  } catch (error) {
    // The page the client asked for is still served, with what this server has.
    deps.logger?.warn({ err: error, room_id: roomId }, 'could not backfill a room')
    return 0
  }
}

async function backfillOnce(deps: BackfillDeps, roomId: RoomId, limit: number): Promise<number> {
  const room = await deps.storage.rooms.getRoom(roomId)
  const rules = room === undefined ? undefined : roomVersionRules(room.version)
  if (rules === undefined) return 0
  const oldest = (await deps.storage.events.roomTimeline(roomId, { direction: 'f', limit: 1 }))
    .events[0]
  if (oldest === undefined) return 0
  const prevs = await deps.storage.events.getEvents(oldest.pdu.prevEvents)
  const from = oldest.pdu.prevEvents.filter((id) => prevs.get(id)?.streamPosition === undefined)
  if (from.length === 0) return 0
  const servers = await serversToAsk(deps, roomId, oldest.pdu.sender)
  for (const server of servers.slice(0, SERVERS_TRIED)) {
    const answer = await deps.requester.request(
      server,
      'GET',
      `/_matrix/federation/v1/backfill/${encodeURIComponent(roomId)}`,
      undefined,
      {
        query: { v: from, limit: String(Math.min(limit, BACKFILL_BATCH)) },
        timeoutMs: REQUEST_TIMEOUT_MS,
      },
    )
    if (!answer.ok) {
      deps.logger?.debug({ server, room_id: roomId, error: answer.error.message }, 'no backfill')
      continue
    }
    const body = answer.value.body
    const jsons = isJsonObject(body) && Array.isArray(body['pdus']) ? body['pdus'] : []
    const events = await verifyPdus(deps, rules, roomId, jsons.slice(0, BACKFILL_BATCH), server)
    const checked = await checkBatch(deps, server, rules, roomId, events)
    const stored = await storeHistory(deps, roomId, checked)
    deps.logger?.info(
      { server, room_id: roomId, received: jsons.length, stored },
      'backfilled room history',
    )
    if (stored > 0 || events.length > 0) return stored
  }
  return 0
}

/** The servers of the room's joined members, the sender's first, this server left out. */
async function serversToAsk(
  deps: BackfillDeps,
  roomId: RoomId,
  sender: Pdu['sender'],
): Promise<ServerName[]> {
  const members = await deps.storage.rooms.joinedMembers(roomId)
  const servers = new Set<ServerName>([userIdServerName(sender), ...members.map(userIdServerName)])
  servers.delete(deps.serverName)
  const { isBackingOff } = deps
  if (isBackingOff === undefined) return [...servers]
  const down = await Promise.all([...servers].map((server) => isBackingOff(server)))
  return [...servers].filter((_, i) => down[i] !== true)
}

/** Oldest first: each event with the state before it, checked, or left out when that fails. */
async function checkBatch(
  deps: BackfillDeps,
  server: ServerName,
  rules: RoomVersionRules,
  roomId: RoomId,
  events: readonly Pdu[],
): Promise<Checked[]> {
  const out: Checked[] = []
  const after = new Map<EventId, ReadonlyStateMap<EventId>>()
  for (const pdu of events) {
    const existing = await deps.storage.events.getEvent(pdu.eventId)
    if (existing?.streamPosition !== undefined) continue
    let cited = await deps.storage.events.getEvents(pdu.authEvents)
    if (pdu.authEvents.some((id) => !cited.has(id))) {
      await fetchAuthChain(deps, server, rules, roomId, pdu.eventId)
      cited = await deps.storage.events.getEvents(pdu.authEvents)
      if (pdu.authEvents.some((id) => !cited.has(id))) continue
    }
    const before = await stateBefore(deps, server, rules, pdu, after)
    if (before === undefined) continue
    const authEvents = pdu.authEvents.map((id) => cited.get(id)?.pdu).filter(isPdu)
    const own = await authAgainstOwnAuthEvents(deps, pdu, authEvents, cited, rules)
    const outcome = own.kind === 'rejected' ? own : await authAgainstState(deps, pdu, before, rules)
    const rejection = outcome.kind === 'rejected' ? outcome.reason : undefined
    const next = new StateMap(before)
    if (rejection === undefined && pdu.stateKey !== undefined) {
      next.set(pdu.type, pdu.stateKey, pdu.eventId)
    }
    after.set(pdu.eventId, next)
    out.push({ pdu, before, rejection })
  }
  return out
}

/**
 * The state before the event: after its prev events when each is known (checked in this batch,
 * or held with its state), resolved where they differ; otherwise the serving server's.
 */
async function stateBefore(
  deps: BackfillDeps,
  server: ServerName,
  rules: RoomVersionRules,
  pdu: Pdu,
  after: ReadonlyMap<EventId, ReadonlyStateMap<EventId>>,
): Promise<ReadonlyStateMap<EventId> | undefined> {
  if (pdu.prevEvents.length === 0) return new StateMap()
  const held = await deps.storage.events.getEvents(pdu.prevEvents)
  const states: ReadonlyStateMap<EventId>[] = []
  for (const id of pdu.prevEvents) {
    const known = after.get(id)
    const group = held.get(id)?.stateGroupAfter
    if (known !== undefined) states.push(known)
    else if (group !== undefined) states.push(await deps.storage.state.loadState(group))
    else {
      const fetched = await fetchStateBefore(deps, server, rules, pdu.roomId, pdu.eventId)
      if (!fetched.ok) deps.logger?.info({ error: fetched.error }, 'no state for history')
      return fetched.ok ? fetched.value : undefined
    }
  }
  if (states.length === 1) return states[0]
  const resolved = await resolveStateMaps(deps.storage, rules, states)
  return resolved.ok ? resolved.value : undefined
}

/** Stores the checked events as history, oldest lowest; returns how many were stored. */
async function storeHistory(
  deps: BackfillDeps,
  roomId: RoomId,
  checked: readonly Checked[],
): Promise<number> {
  if (checked.length === 0) return 0
  return deps.storage.withRoomWriteLock(roomId, async (room) => {
    const lowest = await room.reserveBackfillPositions(checked.length)
    const groups = new Map<EventId, number>()
    let stored = 0
    for (const [i, { pdu, before, rejection }] of checked.entries()) {
      const outcome = await room.persistEvent({
        pdu,
        ...(rejection === undefined ? {} : { rejectionReason: rejection }),
        stateBefore: await stateInput(deps, pdu, before, groups),
        newForwardExtremities: [],
        currentState: 'keep',
        backfillPosition: lowest + i,
      })
      groups.set(pdu.eventId, outcome.stateGroupAfter)
      if (outcome.kind === 'inserted') stored++
    }
    return stored
  })
}

/** The state before the event as a stored group: its prev event's when that matches, or a delta. */
async function stateInput(
  deps: BackfillDeps,
  pdu: Pdu,
  before: ReadonlyStateMap<EventId>,
  groups: ReadonlyMap<EventId, number>,
): Promise<StateBeforeInput> {
  const [prev] = pdu.prevEvents
  const base = prev === undefined ? undefined : (groups.get(prev) ?? (await groupAfter(deps, prev)))
  if (base === undefined) {
    return {
      base: undefined,
      delta: { set: [...before].map(([t, k, id]) => [t, k, id]), remove: [] },
    }
  }
  const delta = deltaFrom(await deps.storage.state.loadState(base), before)
  if (delta.set.length === 0 && delta.remove.length === 0) return { group: base }
  return { base, delta }
}

async function groupAfter(deps: BackfillDeps, eventId: EventId): Promise<number | undefined> {
  return (await deps.storage.events.getEvent(eventId))?.stateGroupAfter
}

function isPdu(value: Pdu | undefined): value is Pdu {
  return value !== undefined
}

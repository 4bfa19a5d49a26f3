/**
 * Takes an event another server sent into a room this server is in (server-server-api §Checks
 * performed on receipt of a PDU, steps 4 to 6; steps 1 to 3, format, signatures and hashes, are
 * the core's checkReceivedPdu, run before). Under the room's write lock:
 *
 * 4. the event must pass the auth rules against its own auth events, or it is rejected;
 * 5. against the state before it (the state after its prev event, or the resolution of the
 *    states after each of them where branches meet), or it is rejected;
 * 6. against the room's current state, or it is soft-failed: kept, but not shown to clients and
 *    not built upon.
 *
 * An accepted event joins the forward extremities in place of its prev events. The room's current
 * state is the state after it when it was the only extremity left, and otherwise the resolution
 * across all of them. Rejected and soft-failed events are stored with their reason, so that a
 * retry is answered the same way without checking again, and they change no state.
 *
 * Events whose auth or prev events this server does not have are not taken here: the caller
 * fetches those first (missing events, or the state at a gap).
 */
import {
  checkAuthEventsList,
  checkAuthRules,
  createEventIdOfRoom,
  err,
  ok,
  selectAuthEvents,
  StateMap,
  type AuthOutcome,
  type CryptoProvider,
  type EventId,
  type Pdu,
  type ReadonlyStateMap,
  type Result,
  type RoomVersionRules,
} from '@rhizome/core'
import type { PduLoader } from '../../rooms/pdu-loader.js'
import type { RoomWriter, Storage, StoredEvent } from '../../storage/interface.js'
import { resolveForks } from './resolve-forks.js'

export type ReceiveOutcome =
  | { readonly kind: 'accepted'; readonly eventId: EventId }
  | { readonly kind: 'duplicate'; readonly eventId: EventId }
  | { readonly kind: 'rejected'; readonly eventId: EventId; readonly reason: string }
  | { readonly kind: 'soft-failed'; readonly eventId: EventId; readonly reason: string }
  /** The event cites events this server does not have: fetch them, then try again. */
  | {
      readonly kind: 'missing'
      readonly auth: readonly EventId[]
      readonly prev: readonly EventId[]
    }

export interface RoomEventReceiverDeps {
  readonly storage: Pick<Storage, 'withRoomWriteLock' | 'events' | 'state'>
  readonly pdus: PduLoader
  readonly crypto: CryptoProvider
}

/** A stored reason that says the event only failed against the current state. */
export const SOFT_FAILED = 'soft-failed: '

export interface ReceiveOptions {
  /**
   * The state before the event when its prev events are not held (a gap that missing events
   * did not close): fetched from another server and verified by the caller. The event is then
   * checked against this state in place of the state after its prev events.
   */
  readonly stateAtGap?: ReadonlyStateMap<EventId>
}

export async function receiveRoomEvent(
  deps: RoomEventReceiverDeps,
  pdu: Pdu,
  rules: RoomVersionRules,
  options: ReceiveOptions = {},
): Promise<Result<ReceiveOutcome, string>> {
  const { stateAtGap } = options
  const { storage } = deps
  return storage.withRoomWriteLock(pdu.roomId, async (room) => {
    const existing = await storage.events.getEvent(pdu.eventId)
    if (existing !== undefined && existing.streamPosition !== undefined) {
      return ok({ kind: 'duplicate', eventId: pdu.eventId })
    }
    const [extremities, current] = await Promise.all([
      room.getForwardExtremities(),
      room.getCurrentStateGroup(),
    ])
    if (current === undefined) return err(`this server is not in ${pdu.roomId}`)

    // What the event cites: its auth events (held, outliers included) and its prev events
    // (in the timeline, with the state after them).
    const cited = await storage.events.getEvents([...pdu.authEvents, ...pdu.prevEvents])
    const missingAuth = pdu.authEvents.filter((id) => !cited.has(id))
    const missingPrev =
      stateAtGap === undefined
        ? pdu.prevEvents.filter((id) => cited.get(id)?.stateGroupAfter === undefined)
        : []
    if (missingAuth.length > 0 || missingPrev.length > 0) {
      return ok({ kind: 'missing', auth: missingAuth, prev: missingPrev })
    }

    // 4. Against its own auth events.
    const authEvents = pdu.authEvents.map((id) => cited.get(id)?.pdu).filter(isPdu)
    const ownAuth = await authAgainstOwnAuthEvents(deps, pdu, authEvents, cited, rules)
    if (ownAuth.kind === 'rejected') {
      return reject(room, pdu, current, extremities, ownAuth.reason, 'rejected')
    }

    // 5. Against the state before it.
    const prevGroups = pdu.prevEvents.map((id) => stateAfter(cited.get(id)))
    const before =
      stateAtGap === undefined
        ? await resolveForks(storage, rules, prevGroups.filter(isNumber))
        : ok(new StateMap(stateAtGap))
    if (!before.ok) return err(before.error)
    const beforeOutcome = await authAgainstState(deps, pdu, before.value, rules)
    if (beforeOutcome.kind === 'rejected') {
      return reject(room, pdu, current, extremities, beforeOutcome.reason, 'rejected')
    }

    // 6. Against the current state: a failure here is a soft failure. Across a gap the room's
    // state has not seen what led to the event, so it is resolved with the state before it.
    const currentState = await storage.state.loadState(current)
    const now =
      stateAtGap === undefined
        ? ok(currentState)
        : await resolveAcross(deps, rules, [currentState, before.value], pdu)
    if (!now.ok) return err(now.error)
    const nowOutcome = await authAgainstState(deps, pdu, now.value, rules)
    if (nowOutcome.kind === 'rejected') {
      return reject(room, pdu, current, extremities, nowOutcome.reason, 'soft-failed')
    }

    const firstGroup = stateAtGap === undefined ? prevGroups.find(isNumber) : current
    if (firstGroup === undefined) return err(`no state after the prev events of ${pdu.eventId}`)
    const stateBefore =
      prevGroups.length === 1 && stateAtGap === undefined
        ? { group: firstGroup }
        : {
            base: firstGroup,
            delta: deltaFrom(await storage.state.loadState(firstGroup), before.value),
          }
    const remaining = extremities.map((e) => e.eventId).filter((id) => !pdu.prevEvents.includes(id))
    const newExtremities = [pdu.eventId, ...remaining]
    let resolved: ReadonlyStateMap<EventId> | undefined
    if (remaining.length > 0) {
      // Branches stay open: the current state is their resolution with this event's state.
      const afterThis = new StateMap(before.value)
      if (pdu.stateKey !== undefined) afterThis.set(pdu.type, pdu.stateKey, pdu.eventId)
      const others = await storage.events.getEvents(remaining)
      const groups = remaining.map((id) => stateAfter(others.get(id))).filter(isNumber)
      const theirs = await resolveForks(storage, rules, groups)
      if (!theirs.ok) return err(theirs.error)
      const all = await resolveAcross(deps, rules, [afterThis, theirs.value], pdu)
      if (!all.ok) return err(all.error)
      resolved = all.value
    }
    await room.persistEvent({
      pdu,
      stateBefore,
      newForwardExtremities: newExtremities,
      currentState:
        resolved === undefined
          ? 'advance'
          : { resolved: { base: current, delta: deltaFrom(currentState, resolved) } },
    })
    deps.pdus.remember(pdu)
    return ok({ kind: 'accepted', eventId: pdu.eventId })
  })
}

/** Stores a rejected or soft-failed event, changing neither the state nor the extremities. */
async function reject(
  room: RoomWriter,
  pdu: Pdu,
  current: number,
  extremities: readonly { readonly eventId: EventId }[],
  reason: string,
  kind: 'rejected' | 'soft-failed',
): Promise<Result<ReceiveOutcome, string>> {
  await room.persistEvent({
    pdu,
    rejectionReason: kind === 'soft-failed' ? `${SOFT_FAILED}${reason}` : reason,
    stateBefore: { group: current },
    newForwardExtremities: extremities.map((e) => e.eventId),
    currentState: 'keep',
  })
  return ok({ kind, eventId: pdu.eventId, reason })
}

/** Step 4: the event against its own auth events (`cited` says which were rejected). */
export async function authAgainstOwnAuthEvents(
  deps: RoomEventReceiverDeps,
  pdu: Pdu,
  authEvents: readonly Pdu[],
  cited: ReadonlyMap<EventId, StoredEvent>,
  rules: RoomVersionRules,
): Promise<AuthOutcome> {
  const listed = checkAuthEventsList(
    pdu,
    authEvents,
    rules,
    (event) => cited.get(event.eventId)?.rejectionReason !== undefined,
  )
  if (listed.kind === 'rejected') return listed
  const authState = new StateMap<Pdu>()
  for (const event of authEvents) {
    if (event.stateKey !== undefined) authState.set(event.type, event.stateKey, event)
  }
  // From v12 the create event is not listed, but it authorises every event.
  if (
    rules.eventFormat.roomIdIsCreateEventHash &&
    authState.get('m.room.create', '') === undefined &&
    pdu.type !== 'm.room.create'
  ) {
    const create = await findCreate(deps, pdu)
    if (create !== undefined) authState.set('m.room.create', '', create)
  }
  return checkAuthRules(pdu, authState, rules, { crypto: deps.crypto })
}

/** Checks the event against a state: the events the auth event selection picks from it. */
export async function authAgainstState(
  deps: RoomEventReceiverDeps,
  pdu: Pdu,
  state: ReadonlyStateMap<EventId>,
  rules: RoomVersionRules,
): Promise<AuthOutcome> {
  const ids = selectAuthEvents(pdu, state, rules)
  const createId = state.get('m.room.create', '')
  if (createId !== undefined && !ids.includes(createId)) ids.push(createId)
  const loaded = await deps.pdus.load(ids)
  const authState = new StateMap<Pdu>()
  for (const id of ids) {
    const event = loaded.get(id)
    if (event?.stateKey !== undefined) authState.set(event.type, event.stateKey, event)
  }
  return checkAuthRules(pdu, authState, rules, { crypto: deps.crypto })
}

/**
 * The room's create event, which v12 events do not list: the room ID is its event ID's hash
 * (`!x` for `$x`), so it is looked up by that.
 */
async function findCreate(deps: RoomEventReceiverDeps, pdu: Pdu): Promise<Pdu | undefined> {
  const create = await deps.pdus.loadOne(createEventIdOfRoom(pdu.roomId))
  return create?.type === 'm.room.create' ? create : undefined
}

async function resolveAcross(
  deps: RoomEventReceiverDeps,
  rules: RoomVersionRules,
  states: readonly ReadonlyStateMap<EventId>[],
  pdu: Pdu,
): Promise<Result<StateMap<EventId>, string>> {
  // resolveForks takes stored groups; two maps in hand are resolved the same way through a
  // throwaway view of the store.
  const groups = new Map<number, ReadonlyStateMap<EventId>>(states.map((s, i) => [i, s]))
  return resolveForks(
    {
      state: {
        loadState: (group) => Promise.resolve(groups.get(group) ?? new StateMap()),
        groupInfo: () => Promise.resolve(undefined),
      },
      events: deps.storage.events,
    },
    rules,
    [...groups.keys()],
    [pdu],
  )
}

/** The state group after an event: its own, or the one before it for a rejected event. */
function stateAfter(event: StoredEvent | undefined): number | undefined {
  if (event === undefined) return undefined
  return event.rejectionReason === undefined ? event.stateGroupAfter : event.stateGroupBefore
}

/** The change that turns `from` into `to`. */
export function deltaFrom(
  from: ReadonlyStateMap<EventId>,
  to: ReadonlyStateMap<EventId>,
): { set: [string, string, EventId][]; remove: [string, string][] } {
  const set: [string, string, EventId][] = []
  const remove: [string, string][] = []
  for (const [type, stateKey, id] of to)
    if (from.get(type, stateKey) !== id) set.push([type, stateKey, id])
  for (const [type, stateKey] of from)
    if (to.get(type, stateKey) === undefined) remove.push([type, stateKey])
  return { set, remove }
}

function isPdu(value: Pdu | undefined): value is Pdu {
  return value !== undefined
}

function isNumber(value: number | undefined): value is number {
  return value !== undefined
}

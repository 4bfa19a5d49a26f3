/**
 * The state where branches of a room's DAG meet (server-server-api §Room State Resolution): the
 * states after each branch's last event, resolved by the room version's algorithm in the core.
 * The core resolves synchronously from events in hand, so the events of the state sets and their
 * whole auth chains are loaded first, from storage, a level at a time.
 */
import {
  err,
  ok,
  resolveState,
  StateMap,
  type EventId,
  type Pdu,
  type ReadonlyStateMap,
  type Result,
  type RoomVersionRules,
} from '@rhizome/core'
import type { Storage } from '../../storage/interface.js'

/** More events than this in one resolution is refused rather than loaded (a memory bound). */
export const MAX_RESOLUTION_EVENTS = 200_000

export async function resolveForks(
  storage: Pick<Storage, 'state' | 'events'>,
  rules: RoomVersionRules,
  groups: readonly number[],
  /** Events not stored yet that the states name (the event being received). */
  inHand: readonly Pdu[] = [],
): Promise<Result<StateMap<EventId>, string>> {
  const distinct = [...new Set(groups)]
  const states = await Promise.all(distinct.map((group) => storage.state.loadState(group)))
  return resolveStateMaps(storage, rules, states, inHand)
}

/** The same for states in hand (computed, or fetched from another server) rather than stored. */
export async function resolveStateMaps(
  storage: Pick<Storage, 'events'>,
  rules: RoomVersionRules,
  states: readonly ReadonlyStateMap<EventId>[],
  inHand: readonly Pdu[] = [],
): Promise<Result<StateMap<EventId>, string>> {
  const [first] = states
  if (first === undefined) return err('no state to resolve')
  // Branches of messages agree on the state: nothing to resolve, and nothing to load.
  if (states.every((state) => sameState(state, first))) return ok(new StateMap(first))
  const loaded = await loadWithAuthChains(storage, states, inHand)
  if (!loaded.ok) return loaded
  const { events, rejected } = loaded.value
  const resolved = resolveState(states, (id) => events.get(id), rules, {
    isRejected: (id) => rejected.has(id),
  })
  return resolved.ok ? ok(resolved.value) : err(resolved.error.error)
}

async function loadWithAuthChains(
  storage: Pick<Storage, 'events'>,
  states: readonly ReadonlyStateMap<EventId>[],
  inHand: readonly Pdu[],
): Promise<Result<{ events: Map<EventId, Pdu>; rejected: Set<EventId> }, string>> {
  const events = new Map<EventId, Pdu>(inHand.map((pdu) => [pdu.eventId, pdu]))
  const rejected = new Set<EventId>()
  let wanted = new Set<EventId>()
  for (const state of states) for (const [, , id] of state) if (!events.has(id)) wanted.add(id)
  for (const pdu of inHand) for (const id of pdu.authEvents) if (!events.has(id)) wanted.add(id)
  while (wanted.size > 0) {
    if (events.size + wanted.size > MAX_RESOLUTION_EVENTS) {
      return err(`state resolution would need more than ${MAX_RESOLUTION_EVENTS} events`)
    }
    const stored = await storage.events.getEvents([...wanted])
    const next = new Set<EventId>()
    for (const id of wanted) {
      const event = stored.get(id)
      // A missing event is the core's to report: it names it.
      if (event === undefined) continue
      events.set(id, event.pdu)
      if (event.rejectionReason !== undefined) rejected.add(id)
      for (const authId of event.pdu.authEvents) if (!events.has(authId)) next.add(authId)
    }
    wanted = next
  }
  return ok({ events, rejected })
}

function sameState(a: ReadonlyStateMap<EventId>, b: ReadonlyStateMap<EventId>): boolean {
  if (a === b) return true
  if (a.size !== b.size) return false
  for (const [type, stateKey, id] of a) if (b.get(type, stateKey) !== id) return false
  return true
}

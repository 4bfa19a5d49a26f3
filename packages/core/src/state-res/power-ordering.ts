import { ok, type Result } from '../errors/result.js'
import type { Pdu } from '../events/pdu.js'
import type { EventId } from '../ids/types.js'
import type { RoomVersionRules } from '../room-versions/rules.js'
import { BinaryHeap } from './binary-heap.js'
import { compareCodePoints } from '../json/canonical-json.js'
import type { EventSource } from './event-source.js'
import { senderPowerLevel } from './sender-power-level.js'

/**
 * A power event is a state event that might take an ability away from someone: power levels, join
 * rules, or a kick or ban (a `leave` or `ban` membership whose sender is not its target). The
 * create event counts too, as in Synapse and ruma: it can only be conflicted when a state set
 * lacks it, and it must then be replayed before everything it authorises.
 */
export function isPowerEvent(pdu: Pdu): boolean {
  if (pdu.stateKey === undefined) return false
  switch (pdu.type) {
    case 'm.room.power_levels':
    case 'm.room.join_rules':
    case 'm.room.create':
      return pdu.stateKey === ''
    case 'm.room.member': {
      const membership = pdu.content['membership']
      return (membership === 'leave' || membership === 'ban') && pdu.sender !== pdu.stateKey
    }
    default:
      return false
  }
}

/** What the reverse topological power ordering compares, after the auth DAG itself. */
export interface PowerOrderKey {
  /** The sender's power level according to the event's own auth events (may be `Infinity`). */
  readonly powerLevel: number
  readonly originServerTs: number
}

/**
 * The reverse topological power ordering of a DAG given as event → its auth events within the
 * DAG (every event must be a key). Kahn's algorithm from the oldest events, taking at each step
 * the smallest ready event: higher sender power first, then earlier `origin_server_ts`, then the
 * smaller event ID. Events on a cycle (impossible for valid events) never become ready and are
 * left out.
 */
export function reverseTopologicalPowerOrder(
  graph: ReadonlyMap<EventId, ReadonlySet<EventId>>,
  keyOf: (eventId: EventId) => PowerOrderKey,
): EventId[] {
  const remainingAuth = new Map<EventId, number>()
  const authorises = new Map<EventId, EventId[]>()
  const ready = new BinaryHeap<{ readonly eventId: EventId; readonly key: PowerOrderKey }>((a, b) =>
    comparePowerOrder(a.eventId, a.key, b.eventId, b.key),
  )
  for (const [eventId, authIds] of graph) {
    remainingAuth.set(eventId, authIds.size)
    if (authIds.size === 0) ready.push({ eventId, key: keyOf(eventId) })
    for (const authId of authIds) {
      const children = authorises.get(authId)
      if (children === undefined) authorises.set(authId, [eventId])
      else children.push(eventId)
    }
  }

  const sorted: EventId[] = []
  for (let next = ready.pop(); next !== undefined; next = ready.pop()) {
    sorted.push(next.eventId)
    for (const child of authorises.get(next.eventId) ?? []) {
      const left = (remainingAuth.get(child) ?? 0) - 1
      remainingAuth.set(child, left)
      if (left === 0) ready.push({ eventId: child, key: keyOf(child) })
    }
  }
  return sorted
}

export function comparePowerOrder(
  aId: EventId,
  a: PowerOrderKey,
  bId: EventId,
  b: PowerOrderKey,
): number {
  // Compared, not subtracted: two creators both have Infinity, and Infinity - Infinity is NaN.
  if (a.powerLevel !== b.powerLevel) return a.powerLevel > b.powerLevel ? -1 : 1
  if (a.originServerTs !== b.originServerTs) return a.originServerTs < b.originServerTs ? -1 : 1
  return compareCodePoints(aId, bId)
}

/**
 * Step 1 of state resolution v2: the power events of the full conflicted set together with the
 * events of their auth chains that are in the full conflicted set, as a DAG of auth edges within
 * the full conflicted set. Like Synapse and ruma, the walk from a power event follows only auth
 * events that are themselves in the full conflicted set; deployed servers agree on this reading,
 * and agreeing with them is what keeps a room from splitting.
 */
export function powerEventGraph(
  fullConflictedSet: ReadonlySet<EventId>,
  source: EventSource,
): Result<Map<EventId, Set<EventId>>> {
  const graph = new Map<EventId, Set<EventId>>()
  const stack: EventId[] = []
  for (const eventId of fullConflictedSet) {
    const pdu = source.require(eventId)
    if (!pdu.ok) return pdu
    if (!isPowerEvent(pdu.value) || graph.has(eventId)) continue
    stack.push(eventId)
    for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
      if (graph.has(next)) continue
      const event = source.require(next)
      if (!event.ok) return event
      const edges = new Set<EventId>()
      graph.set(next, edges)
      for (const authId of source.authEventIds(event.value)) {
        if (!fullConflictedSet.has(authId)) continue
        edges.add(authId)
        if (!graph.has(authId)) stack.push(authId)
      }
    }
  }
  return ok(graph)
}

/** Steps 1 of the algorithm: the power events and their conflicted auth ancestors, sorted. */
export function sortPowerEvents(
  fullConflictedSet: ReadonlySet<EventId>,
  source: EventSource,
  rules: RoomVersionRules,
): Result<EventId[]> {
  const graph = powerEventGraph(fullConflictedSet, source)
  if (!graph.ok) return graph
  const keys = new Map<EventId, PowerOrderKey>()
  for (const eventId of graph.value.keys()) {
    const pdu = source.require(eventId)
    if (!pdu.ok) return pdu
    const powerLevel = senderPowerLevel(pdu.value, source, rules)
    if (!powerLevel.ok) return powerLevel
    keys.set(eventId, { powerLevel: powerLevel.value, originServerTs: pdu.value.originServerTs })
  }
  return ok(reverseTopologicalPowerOrder(graph.value, (eventId) => keys.get(eventId) ?? NO_KEY))
}

const NO_KEY: PowerOrderKey = { powerLevel: 0, originServerTs: 0 }

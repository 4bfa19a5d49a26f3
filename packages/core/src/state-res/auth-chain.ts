import { ok, type Result } from '../errors/result.js'
import type { ReadonlyStateMap } from '../events/state-map.js'
import type { EventId } from '../ids/types.js'
import { splitConflictedState, type SplitState } from './conflicted-state.js'
import type { EventSource } from './event-source.js'

/**
 * Adds to `into` every event reachable from `starts` through `auth_events` (the starts themselves
 * only when another start reaches them), and returns it. Events in `stopAt` are neither added nor
 * walked through; callers pass a set that is closed under auth ancestry, so nothing is lost. A
 * missing event on the way is an `M_NOT_FOUND` error. Iterative, so deep chains cannot overflow the
 * stack; each event is expanded once.
 */
export function collectAuthChain(
  starts: Iterable<EventId>,
  source: EventSource,
  stopAt: ReadonlySet<EventId> = EMPTY,
  into: Set<EventId> = new Set(),
): Result<Set<EventId>> {
  const stack: EventId[] = []
  const pushAuthEventsOf = (eventId: EventId): Result<void> => {
    const precomputed = source.precomputedAuthChain(eventId)
    if (precomputed !== undefined) {
      for (const ancestor of precomputed) if (!stopAt.has(ancestor)) into.add(ancestor)
      return OK
    }
    const pdu = source.require(eventId)
    if (!pdu.ok) return pdu
    for (const authId of pdu.value.authEvents) {
      if (!into.has(authId) && !stopAt.has(authId)) stack.push(authId)
    }
    const implicit = source.implicitAuthEvent(pdu.value)
    if (implicit !== undefined && !into.has(implicit) && !stopAt.has(implicit)) stack.push(implicit)
    return OK
  }

  for (const start of starts) {
    if (stopAt.has(start)) continue
    const pushed = pushAuthEventsOf(start)
    if (!pushed.ok) return pushed
    for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
      if (into.has(next)) continue
      into.add(next)
      const expanded = pushAuthEventsOf(next)
      if (!expanded.ok) return expanded
    }
  }
  return ok(into)
}

/** The auth chain of one event: every event reachable through its `auth_events`. */
export function authChain(eventId: EventId, source: EventSource): Result<Set<EventId>> {
  return collectAuthChain([eventId], source)
}

/**
 * The auth difference of state sets: the events in some but not all of their full auth chains
 * (∪Cᵢ − ∩Cᵢ).
 */
export function authDifference(
  stateSets: readonly ReadonlyStateMap<EventId>[],
  source: EventSource,
): Result<Set<EventId>> {
  return authDifferenceOfSplit(splitConflictedState(stateSets), source)
}

/**
 * The auth difference, computed from the split of the state sets. The unconflicted events are in
 * every state set, so their auth chains (U) are in every Cᵢ and in none of the difference. With Dᵢ
 * the auth chain of the conflicted events of set i, Cᵢ = U ∪ Dᵢ, and so
 * ∪Cᵢ − ∩Cᵢ = ∪(Dᵢ − U) − ∩(Dᵢ − U). U is walked once, and each Dᵢ stops where it meets U, so the
 * cost is one walk of the auth DAG rather than one per state set.
 */
export function authDifferenceOfSplit(
  split: SplitState,
  source: EventSource,
): Result<Set<EventId>> {
  const common = collectUnconflictedChain(split, source)
  if (!common.ok) return common
  const counts = new Map<EventId, number>()
  for (const conflictedEvents of split.conflictedBySet) {
    const chain = collectAuthChain(conflictedEvents, source, common.value)
    if (!chain.ok) return chain
    for (const eventId of chain.value) counts.set(eventId, (counts.get(eventId) ?? 0) + 1)
  }
  const setCount = split.conflictedBySet.length
  const difference = new Set<EventId>()
  for (const [eventId, count] of counts) if (count < setCount) difference.add(eventId)
  return ok(difference)
}

function collectUnconflictedChain(split: SplitState, source: EventSource): Result<Set<EventId>> {
  const starts = (function* () {
    for (const [, , eventId] of split.unconflicted) yield eventId
  })()
  return collectAuthChain(starts, source)
}

const OK: Result<void> = ok(undefined)
const EMPTY: ReadonlySet<EventId> = new Set()

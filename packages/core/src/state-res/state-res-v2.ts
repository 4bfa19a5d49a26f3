import { ok, type Result } from '../errors/result.js'
import { authEventTypesFor } from '../events/auth-events.js'
import { StateMap, type ReadonlyStateMap } from '../events/state-map.js'
import type { EventId } from '../ids/types.js'
import type { RoomVersionRules } from '../room-versions/rules.js'
import { authDifferenceOfSplit } from './auth-chain.js'
import { splitConflictedState, type SplitState } from './conflicted-state.js'
import { conflictedSubgraph } from './conflicted-subgraph.js'
import type { EventSource } from './event-source.js'
import { iterativeAuthChecks, type AuthCheck } from './iterative-auth-checks.js'
import { mainlineOrder } from './mainline-ordering.js'
import { sortPowerEvents } from './power-ordering.js'

/**
 * State resolution v2 (rooms v2-v11) and v2.1 (room v12, `rules.stateResolution === 'v2.1'`),
 * as in rooms/fragments/v2-state-res.md and rooms/v12.md §State resolution:
 *
 * 1. the power events of the full conflicted set (conflicted state set ∪ auth difference, plus in
 *    v2.1 the conflicted state subgraph) and their conflicted auth ancestors, in reverse
 *    topological power ordering;
 * 2. iterative auth checks of those, starting from the unconflicted state map (v2) or from an
 *    empty map (v2.1);
 * 3. the remaining events of the full conflicted set in mainline ordering based on the power
 *    levels of the partially resolved state;
 * 4. iterative auth checks of those on top;
 * 5. the unconflicted state map laid over the result.
 */
export function resolveStateV2(
  stateSets: readonly ReadonlyStateMap<EventId>[],
  source: EventSource,
  rules: RoomVersionRules,
  checkAuth: AuthCheck,
): Result<StateMap<EventId>> {
  const split = splitConflictedState(stateSets)
  if (split.conflicted.size === 0) return ok(split.unconflicted)

  const fullConflictedSet = fullConflictedSetOf(split, source, rules)
  if (!fullConflictedSet.ok) return fullConflictedSet

  // Step 1.
  const powerEvents = sortPowerEvents(fullConflictedSet.value, source, rules)
  if (!powerEvents.ok) return powerEvents

  // Step 2.
  const initial =
    rules.stateResolution === 'v2.1'
      ? new StateMap<EventId>()
      : baseState(split.unconflicted, fullConflictedSet.value, source, rules)
  const partial = iterativeAuthChecks(initial, powerEvents.value, source, rules, checkAuth)
  if (!partial.ok) return partial

  // Step 3.
  const picked = new Set(powerEvents.value)
  const remaining = [...fullConflictedSet.value].filter((eventId) => !picked.has(eventId))
  const ordered = mainlineOrder(remaining, partial.value.get('m.room.power_levels', ''), source)
  if (!ordered.ok) return ordered

  // Step 4.
  const resolved = iterativeAuthChecks(partial.value, ordered.value, source, rules, checkAuth)
  if (!resolved.ok) return resolved

  // Step 5: the unconflicted map is ours (the split built it), so it becomes the result.
  const result = split.unconflicted
  for (const [type, stateKey, eventId] of resolved.value) {
    if (!result.has(type, stateKey)) result.set(type, stateKey, eventId)
  }
  return ok(result)
}

function fullConflictedSetOf(
  split: SplitState,
  source: EventSource,
  rules: RoomVersionRules,
): Result<Set<EventId>> {
  const difference = authDifferenceOfSplit(split, source)
  if (!difference.ok) return difference
  const full = difference.value
  for (const eventId of split.conflicted) full.add(eventId)
  if (rules.stateResolution === 'v2.1') {
    const subgraph = conflictedSubgraph(split.conflicted, source)
    if (!subgraph.ok) return subgraph
    for (const eventId of subgraph.value) full.add(eventId)
  }
  return ok(full)
}

/**
 * The part of the unconflicted state map that steps 2-4 can read: the keys the auth events
 * selection names for the events of the full conflicted set, and the power levels (for the
 * mainline). The rest cannot change the outcome and is laid back on in step 5, so a room with
 * ten thousand members does not copy ten thousand entries to resolve a handful of conflicts.
 */
function baseState(
  unconflicted: ReadonlyStateMap<EventId>,
  fullConflictedSet: ReadonlySet<EventId>,
  source: EventSource,
  rules: RoomVersionRules,
): StateMap<EventId> {
  const base = new StateMap<EventId>()
  const copy = (type: string, stateKey: string): void => {
    const eventId = unconflicted.get(type, stateKey)
    if (eventId !== undefined) base.set(type, stateKey, eventId)
  }
  copy('m.room.power_levels', '')
  copy('m.room.create', '')
  for (const eventId of fullConflictedSet) {
    const pdu = source.get(eventId)
    if (pdu === undefined) continue
    for (const [type, stateKey] of authEventTypesFor(pdu, rules)) copy(type, stateKey)
  }
  return base
}

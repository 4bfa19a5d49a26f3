import { StateMap, type ReadonlyStateMap } from '../events/state-map.js'
import type { EventId } from '../ids/types.js'

/** The state sets of a resolution split into what they agree on and what they do not. */
export interface SplitState {
  /** Keys present in every state set with the same event. */
  readonly unconflicted: StateMap<EventId>
  /** Every other event of the state sets (the conflicted state set). */
  readonly conflicted: ReadonlySet<EventId>
  /** For each state set, in input order, its events that are in `conflicted`. */
  readonly conflictedBySet: readonly (readonly EventId[])[]
}

/**
 * Splits state sets into the unconflicted state map and the conflicted state set (state
 * resolution v2): a key missing from some state set is conflicted too. Linear in the total size
 * of the state sets.
 */
export function splitConflictedState(stateSets: readonly ReadonlyStateMap<EventId>[]): SplitState {
  const unconflicted = new StateMap<EventId>()
  const conflicted = new Set<EventId>()
  const [first, ...rest] = stateSets
  if (first === undefined) return { unconflicted, conflicted, conflictedBySet: [] }

  for (const [type, stateKey, eventId] of first) {
    if (rest.every((set) => set.get(type, stateKey) === eventId)) {
      unconflicted.set(type, stateKey, eventId)
    }
  }
  // Whatever is not unconflicted is conflicted: some set has another event, or none, for its key.
  const conflictedBySet = stateSets.map((set) => {
    const mine: EventId[] = []
    for (const [type, stateKey, eventId] of set) {
      if (unconflicted.get(type, stateKey) !== eventId) {
        conflicted.add(eventId)
        mine.push(eventId)
      }
    }
    return mine
  })
  return { unconflicted, conflicted, conflictedBySet }
}

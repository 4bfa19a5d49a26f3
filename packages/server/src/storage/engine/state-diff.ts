import type { EventId, ReadonlyStateMap } from '@rhizome/core'
import type { StateEntry, StateKeyPair } from '../interface.js'
import type { GroupEntry } from './engine-ops.js'

export interface StateChanges {
  readonly set: readonly StateEntry[]
  readonly remove: readonly StateKeyPair[]
}

/** What turns state `from` into state `to`: keys whose event differs, and keys that went away. */
export function diffStates(
  from: ReadonlyStateMap<EventId> | undefined,
  to: ReadonlyStateMap<EventId>,
): StateChanges {
  const set: StateEntry[] = []
  const remove: StateKeyPair[] = []
  for (const [type, stateKey, eventId] of to) {
    if (from?.get(type, stateKey) !== eventId) set.push([type, stateKey, eventId])
  }
  if (from !== undefined) {
    for (const [type, stateKey] of from) if (!to.has(type, stateKey)) remove.push([type, stateKey])
  }
  return { set, remove }
}

/**
 * The combined effect of stacked deltas, given newest first: the newest entry for each key wins.
 */
export function mergeDeltas(layers: readonly (readonly GroupEntry[])[]): StateChanges {
  const seen = new Map<string, Set<string>>()
  const set: StateEntry[] = []
  const remove: StateKeyPair[] = []
  for (const layer of layers) {
    for (const entry of layer) {
      let keys = seen.get(entry.type)
      if (keys === undefined) {
        keys = new Set()
        seen.set(entry.type, keys)
      }
      if (keys.has(entry.stateKey)) continue
      keys.add(entry.stateKey)
      if (entry.eventId === undefined) remove.push([entry.type, entry.stateKey])
      else set.push([entry.type, entry.stateKey, entry.eventId])
    }
  }
  return { set, remove }
}

import { StateMap, type EventId, type ReadonlyStateMap } from '@rhizome/core'
import type { StateGroupEntryRow } from './engine-ops.js'
import type { StateCache } from './state-cache.js'
import { step, type Steps } from './steps.js'

/**
 * Loads a state group: walks its delta chain up to the nearest cached ancestor (or the snapshot)
 * and applies the deltas oldest first. `uncommitted` names groups created by the running
 * transaction: a state that depends on them is not cached, since a rollback may hand their IDs
 * out again (SQLite reuses row IDs).
 */
export function* loadStateSteps(
  groupId: number,
  cache: StateCache,
  uncommitted: ReadonlySet<number> = new Set(),
): Steps<ReadonlyStateMap<EventId>> {
  const hit = cache.get(groupId)
  if (hit !== undefined) return hit

  const chain = yield* step('stateGroupChain', groupId)
  if (chain.length === 0) throw new Error(`state group ${groupId} does not exist`)
  // Only the groups below the nearest cached ancestor need reading.
  const ids = chain.map((group) => group.id)
  let base: ReadonlyStateMap<EventId> | undefined
  let length = ids.length
  for (let i = 1; i < ids.length && base === undefined; i++) {
    base = cache.get(ids[i] ?? -1)
    if (base !== undefined) length = i
  }
  const needed = ids.slice(0, length)
  const rows = yield* step('stateGroupEntries', needed)

  const byGroup = new Map<number, StateGroupEntryRow[]>()
  for (const row of rows) {
    const list = byGroup.get(row.groupId)
    if (list === undefined) byGroup.set(row.groupId, [row])
    else list.push(row)
  }
  const state = base === undefined ? new StateMap<EventId>() : new StateMap(base)
  for (let i = needed.length - 1; i >= 0; i--) {
    for (const row of byGroup.get(needed[i] as number) ?? []) {
      if (row.eventId === undefined) state.delete(row.type, row.stateKey)
      else state.set(row.type, row.stateKey, row.eventId)
    }
  }
  if (!needed.some((id) => uncommitted.has(id))) cache.set(groupId, state)
  return state
}

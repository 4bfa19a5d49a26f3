import type { EventId, ReadonlyStateMap } from '@rhizome/core'

/**
 * A least-recently-used cache of loaded state groups. Groups never change once committed, so a
 * cached state is valid in every process for ever. The bound is on the total number of entries
 * (a group of a large room weighs more than one of a small room), not on the number of groups.
 */
export class StateCache {
  readonly #maxEntries: number
  readonly #groups = new Map<number, ReadonlyStateMap<EventId>>()
  #entries = 0

  constructor(maxEntries: number) {
    this.#maxEntries = maxEntries
  }

  get(groupId: number): ReadonlyStateMap<EventId> | undefined {
    const state = this.#groups.get(groupId)
    if (state !== undefined) {
      // Map keeps insertion order: re-inserting marks the group as most recently used.
      this.#groups.delete(groupId)
      this.#groups.set(groupId, state)
    }
    return state
  }

  set(groupId: number, state: ReadonlyStateMap<EventId>): void {
    const old = this.#groups.get(groupId)
    if (old !== undefined) {
      this.#groups.delete(groupId)
      this.#entries -= weight(old)
    }
    if (weight(state) > this.#maxEntries) return
    this.#groups.set(groupId, state)
    this.#entries += weight(state)
    for (const [oldestId, oldest] of this.#groups) {
      if (this.#entries <= this.#maxEntries) break
      this.#groups.delete(oldestId)
      this.#entries -= weight(oldest)
    }
  }

  get size(): number {
    return this.#groups.size
  }

  get entries(): number {
    return this.#entries
  }
}

/** An empty state still takes a slot. */
function weight(state: ReadonlyStateMap<EventId>): number {
  return state.size + 1
}

import type { EventId, RoomId } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import type { EngineOps, StateGroupEntryRow, StateGroupRow } from './engine-ops.js'
import { loadStateSteps } from './load-state.js'
import { StateCache } from './state-cache.js'
import { runSync } from './steps.js'

const room = '!r:x' as RoomId
const id = (s: string): EventId => `$${s}` as EventId

/** Groups 1 (snapshot) <- 2 <- 3, with a removal in 3; counts the entry reads per group. */
function fakeOps(): { ops: EngineOps; entryReads: number[][] } {
  const groups: StateGroupRow[] = [
    { id: 1, roomId: room, prevGroup: undefined, deltaCount: 0 },
    { id: 2, roomId: room, prevGroup: 1, deltaCount: 1 },
    { id: 3, roomId: room, prevGroup: 2, deltaCount: 2 },
  ]
  const entries: StateGroupEntryRow[] = [
    { groupId: 1, type: 'm.room.create', stateKey: '', eventId: id('c') },
    { groupId: 1, type: 'm.room.topic', stateKey: '', eventId: id('t') },
    { groupId: 2, type: 'm.room.member', stateKey: '@a:x', eventId: id('a1') },
    { groupId: 3, type: 'm.room.member', stateKey: '@a:x', eventId: id('a2') },
    { groupId: 3, type: 'm.room.topic', stateKey: '', eventId: undefined },
  ]
  const entryReads: number[][] = []
  const ops = {
    stateGroupChain(groupId: number) {
      const chain: StateGroupRow[] = []
      let next: number | undefined = groupId
      while (next !== undefined) {
        const group = groups.find((g) => g.id === next)
        if (group === undefined) break
        chain.push(group)
        next = group.prevGroup
      }
      return chain
    },
    stateGroupEntries(groupIds: readonly number[]) {
      entryReads.push([...groupIds])
      return entries.filter((e) => groupIds.includes(e.groupId))
    },
  } as Partial<EngineOps> as EngineOps
  return { ops, entryReads }
}

describe('loadStateSteps', () => {
  it('applies the deltas oldest first: later entries win, removals remove', () => {
    const { ops } = fakeOps()
    const state = runSync(loadStateSteps(3, new StateCache(100)), ops)
    expect([...state]).toEqual([
      ['m.room.create', '', id('c')],
      ['m.room.member', '@a:x', id('a2')],
    ])
  })

  it('serves a cached group without reading, and starts from the nearest cached ancestor', () => {
    const { ops, entryReads } = fakeOps()
    const cache = new StateCache(100)
    const two = runSync(loadStateSteps(2, cache), ops)
    expect(entryReads).toEqual([[2, 1]])
    expect(runSync(loadStateSteps(2, cache), ops)).toBe(two)
    const three = runSync(loadStateSteps(3, cache), ops)
    expect(entryReads).toEqual([[2, 1], [3]])
    expect(three.get('m.room.topic', '')).toBeUndefined()
    // The cached ancestor was copied, not changed.
    expect(two.get('m.room.topic', '')).toBe(id('t'))
  })

  it('does not cache a state that depends on uncommitted groups', () => {
    const { ops, entryReads } = fakeOps()
    const cache = new StateCache(100)
    runSync(loadStateSteps(3, cache, new Set([3])), ops)
    expect(cache.get(3)).toBeUndefined()
    runSync(loadStateSteps(3, cache), ops)
    expect(entryReads).toHaveLength(2)
    expect(cache.get(3)).toBeDefined()
  })

  it('an unknown group is an error', () => {
    const { ops } = fakeOps()
    expect(() => runSync(loadStateSteps(99, new StateCache(100)), ops)).toThrow(/does not exist/)
  })
})

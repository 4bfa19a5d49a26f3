import { StateMap, type EventId } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import { StateCache } from './state-cache.js'

function stateOf(size: number): StateMap<EventId> {
  const state = new StateMap<EventId>()
  for (let i = 0; i < size; i++) state.set('m.room.member', `@u${i}:x`, `$e${i}` as EventId)
  return state
}

describe('StateCache', () => {
  it('returns what was stored', () => {
    const cache = new StateCache(100)
    const state = stateOf(3)
    cache.set(1, state)
    expect(cache.get(1)).toBe(state)
    expect(cache.get(2)).toBeUndefined()
    expect(cache.entries).toBe(4)
  })

  it('evicts the least recently used groups when over the entry budget', () => {
    const cache = new StateCache(10)
    cache.set(1, stateOf(3)) // weight 4
    cache.set(2, stateOf(3)) // weight 4
    cache.get(1) // 2 is now the oldest
    cache.set(3, stateOf(3)) // 12 > 10: evict 2
    expect(cache.get(2)).toBeUndefined()
    expect(cache.get(1)).toBeDefined()
    expect(cache.get(3)).toBeDefined()
    expect(cache.entries).toBe(8)
    expect(cache.size).toBe(2)
  })

  it('does not keep a state larger than the whole budget', () => {
    const cache = new StateCache(5)
    cache.set(1, stateOf(1))
    cache.set(2, stateOf(10))
    expect(cache.get(2)).toBeUndefined()
    expect(cache.get(1)).toBeDefined()
  })

  it('replacing a group keeps the weight right', () => {
    const cache = new StateCache(100)
    cache.set(1, stateOf(5))
    cache.set(1, stateOf(2))
    expect(cache.entries).toBe(3)
    expect(cache.size).toBe(1)
  })
})

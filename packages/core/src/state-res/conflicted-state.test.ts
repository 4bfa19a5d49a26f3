import { describe, expect, it } from 'vitest'
import { StateMap } from '../events/state-map.js'
import type { EventId } from '../ids/types.js'
import { splitConflictedState } from './conflicted-state.js'

const set = (entries: Record<string, string>) =>
  new StateMap<EventId>(
    Object.entries(entries).map(([key, id]) => ['m.room.member', key, `$${id}` as EventId]),
  )
const ids = (...names: string[]) => new Set(names.map((n) => `$${n}`))

describe('splitConflictedState', () => {
  it('keeps keys that every set maps to the same event as unconflicted', () => {
    const split = splitConflictedState([
      set({ a: '1', b: '2' }),
      set({ b: '2', a: '1' }),
      set({ a: '1', b: '2' }),
    ])
    expect([...split.unconflicted]).toEqual([
      ['m.room.member', 'a', '$1'],
      ['m.room.member', 'b', '$2'],
    ])
    expect(split.conflicted).toEqual(new Set())
    expect(split.conflictedBySet).toEqual([[], [], []])
  })

  it('makes every event of a disputed key conflicted', () => {
    const split = splitConflictedState([
      set({ a: '1' }),
      set({ a: '2' }),
      set({ a: '3' }),
      set({ a: '2' }),
    ])
    expect(split.unconflicted.size).toBe(0)
    expect(split.conflicted).toEqual(ids('1', '2', '3'))
    expect(split.conflictedBySet).toEqual([['$1'], ['$2'], ['$3'], ['$2']])
  })

  it('treats a key missing from some set as conflicted', () => {
    const split = splitConflictedState([
      set({ a: '1' }),
      set({ a: '1', b: '2' }),
      set({ a: '1', c: '3' }),
    ])
    expect([...split.unconflicted]).toEqual([['m.room.member', 'a', '$1']])
    expect(split.conflicted).toEqual(ids('2', '3'))
    expect(split.conflictedBySet).toEqual([[], ['$2'], ['$3']])
  })

  it('keeps a key that only the first set has out of the unconflicted map', () => {
    const split = splitConflictedState([set({ a: '1', z: '9' }), set({ a: '1' })])
    expect(split.unconflicted.has('m.room.member', 'z')).toBe(false)
    expect(split.conflicted).toEqual(ids('9'))
  })

  it('returns everything for one set and nothing for none', () => {
    const one = splitConflictedState([set({ a: '1', b: '2' })])
    expect(one.unconflicted.size).toBe(2)
    expect(one.conflicted.size).toBe(0)
    const none = splitConflictedState([])
    expect(none.unconflicted.size).toBe(0)
    expect(none.conflictedBySet).toEqual([])
  })
})

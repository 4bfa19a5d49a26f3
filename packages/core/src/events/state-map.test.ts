import { describe, expect, it } from 'vitest'
import { StateMap } from './state-map.js'

describe('StateMap', () => {
  it('keeps type and state key apart even when they contain any character', () => {
    const map = new StateMap<number>()
    map.set('a\u0000b', 'c', 1).set('a', 'b\u0000c', 2)
    expect(map.get('a\u0000b', 'c')).toBe(1)
    expect(map.get('a', 'b\u0000c')).toBe(2)
    expect(map.size).toBe(2)
  })

  it('counts replacements once and deletes cleanly', () => {
    const map = new StateMap<string>([['m.room.member', '@a:x', '$1']])
    map.set('m.room.member', '@a:x', '$2')
    expect(map.size).toBe(1)
    expect([...map.ofType('m.room.member')]).toEqual([['@a:x', '$2']])
    expect(map.delete('m.room.member', '@a:x')).toBe(true)
    expect(map.delete('m.room.member', '@a:x')).toBe(false)
    expect(map.size).toBe(0)
    expect(map.has('m.room.member', '@a:x')).toBe(false)
    expect([...map.ofType('m.room.member')]).toEqual([])
  })

  it('clones independently', () => {
    const map = new StateMap<number>([['t', '', 1]])
    const copy = map.clone()
    copy.set('t', '', 2)
    expect(map.get('t', '')).toBe(1)
    expect([...copy]).toEqual([['t', '', 2]])
  })
})

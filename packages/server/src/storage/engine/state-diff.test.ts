import { StateMap, type EventId } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import { diffStates, mergeDeltas } from './state-diff.js'

const id = (s: string): EventId => `$${s}` as EventId

describe('diffStates', () => {
  it('lists changed, added and removed keys', () => {
    const from = new StateMap<EventId>([
      ['m.room.create', '', id('c')],
      ['m.room.member', '@a:x', id('a1')],
      ['m.room.topic', '', id('t')],
    ])
    const to = new StateMap<EventId>([
      ['m.room.create', '', id('c')],
      ['m.room.member', '@a:x', id('a2')],
      ['m.room.member', '@b:x', id('b1')],
    ])
    const diff = diffStates(from, to)
    expect(diff.set).toEqual([
      ['m.room.member', '@a:x', id('a2')],
      ['m.room.member', '@b:x', id('b1')],
    ])
    expect(diff.remove).toEqual([['m.room.topic', '']])
  })

  it('from nothing, every key is set', () => {
    const to = new StateMap<EventId>([['m.room.create', '', id('c')]])
    expect(diffStates(undefined, to)).toEqual({ set: [['m.room.create', '', id('c')]], remove: [] })
  })
})

describe('mergeDeltas', () => {
  it('keeps the newest entry per key, removals included', () => {
    const newest = [
      { type: 'm.room.member', stateKey: '@a:x', eventId: id('a3') },
      { type: 'm.room.topic', stateKey: '', eventId: undefined },
    ]
    const older = [
      { type: 'm.room.member', stateKey: '@a:x', eventId: id('a2') },
      { type: 'm.room.topic', stateKey: '', eventId: id('t') },
      { type: 'm.room.name', stateKey: '', eventId: id('n') },
    ]
    expect(mergeDeltas([newest, older])).toEqual({
      set: [
        ['m.room.member', '@a:x', id('a3')],
        ['m.room.name', '', id('n')],
      ],
      remove: [['m.room.topic', '']],
    })
  })
})

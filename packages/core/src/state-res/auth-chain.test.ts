import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { Pdu } from '../events/pdu.js'
import { StateMap } from '../events/state-map.js'
import type { EventId } from '../ids/types.js'
import { roomVersionRules } from '../room-versions/room-versions.js'
import { eventId, pdu } from '../testing/pdu-fixtures.js'
import { randomAuthDag } from '../testing/state-res-dag.js'
import { authChain, authDifference, collectAuthChain } from './auth-chain.js'
import { EventSource, type StateResolutionOptions } from './event-source.js'

const V10 = roomVersionRules('10')!
const V12 = roomVersionRules('12')!

function sourceOf(events: readonly Pdu[], options?: StateResolutionOptions, rules = V10) {
  const byId = new Map(events.map((event) => [event.eventId, event]))
  return new EventSource((id) => byId.get(id), rules, options)
}

const ids = (...names: string[]) => new Set(names.map(eventId))

// CREATE <- IMA <- IPOWER <- IJR, and a second power levels PL2 that only one fork has seen.
const CREATE = pdu({ id: 'CREATE', type: 'm.room.create', sender: '@a:x', stateKey: '' })
const IMA = pdu({
  id: 'IMA',
  type: 'm.room.member',
  sender: '@a:x',
  stateKey: '@a:x',
  auth: ['CREATE'],
})
const IPOWER = pdu({
  id: 'IPOWER',
  type: 'm.room.power_levels',
  sender: '@a:x',
  stateKey: '',
  auth: ['CREATE', 'IMA'],
})
const IJR = pdu({
  id: 'IJR',
  type: 'm.room.join_rules',
  sender: '@a:x',
  stateKey: '',
  auth: ['CREATE', 'IMA', 'IPOWER'],
})
const PL2 = pdu({
  id: 'PL2',
  type: 'm.room.power_levels',
  sender: '@a:x',
  stateKey: '',
  auth: ['CREATE', 'IMA', 'IPOWER'],
})
const IMB = pdu({
  id: 'IMB',
  type: 'm.room.member',
  sender: '@b:x',
  stateKey: '@b:x',
  auth: ['CREATE', 'PL2', 'IJR'],
})
const IMC = pdu({
  id: 'IMC',
  type: 'm.room.member',
  sender: '@c:x',
  stateKey: '@c:x',
  auth: ['CREATE', 'IPOWER', 'IJR'],
})
const ALL = [CREATE, IMA, IPOWER, IJR, PL2, IMB, IMC]

const state = (...events: Pdu[]) =>
  new StateMap<EventId>(events.map((e) => [e.type, e.stateKey ?? '', e.eventId]))

describe('authChain', () => {
  it('walks auth_events transitively and leaves out the event itself', () => {
    const chain = authChain(eventId('IMB'), sourceOf(ALL))
    expect(chain).toEqual({ ok: true, value: ids('CREATE', 'PL2', 'IJR', 'IMA', 'IPOWER') })
    expect(authChain(eventId('CREATE'), sourceOf(ALL))).toEqual({ ok: true, value: new Set() })
  })

  it('returns M_NOT_FOUND naming the first missing event', () => {
    const result = authChain(eventId('IMB'), sourceOf([IMB, CREATE, IJR, IMA, IPOWER]))
    expect(result.ok).toBe(false)
    if (!result.ok) {
      expect(result.error.errcode).toBe('M_NOT_FOUND')
      expect(result.error.error).toContain('$PL2')
    }
    const start = authChain(eventId('NOPE'), sourceOf(ALL))
    expect(start.ok ? undefined : start.error.errcode).toBe('M_NOT_FOUND')
  })

  it('uses a precomputed auth chain instead of walking, and skips stop events', () => {
    const precomputed = new Map([[eventId('IJR'), ids('CREATE', 'IMA', 'IPOWER')]])
    // IJR's ancestors are not even available: the hint must be used.
    const source = sourceOf([IMB, PL2, IJR], { authChain: (id) => precomputed.get(id) })
    // PL2 is walked; IJR's ancestors come from the hint, IPOWER without being fetched.
    expect(collectAuthChain([eventId('IMB')], source, ids('CREATE', 'IMA'))).toEqual({
      ok: true,
      value: ids('IJR', 'IPOWER', 'PL2'),
    })
    const withPl2 = new Map([...precomputed, [eventId('PL2'), ids('CREATE', 'IMA', 'IPOWER')]])
    const hinted = sourceOf([IMB], { authChain: (id) => withPl2.get(id) })
    expect(collectAuthChain([eventId('IMB')], hinted, ids('CREATE'))).toEqual({
      ok: true,
      value: ids('PL2', 'IJR', 'IMA', 'IPOWER'),
    })
    // A start that is a stop event contributes nothing.
    expect(collectAuthChain([eventId('IMB')], hinted, ids('IMB'))).toEqual({
      ok: true,
      value: new Set(),
    })
  })

  it('terminates on an auth cycle (invalid, but possible with v1/v2 event IDs)', () => {
    const a = pdu({ id: 'A', type: 't', sender: '@a:x', stateKey: '', auth: ['B'] })
    const b = pdu({ id: 'B', type: 't', sender: '@a:x', stateKey: '', auth: ['A'] })
    expect(authChain(eventId('A'), sourceOf([a, b]))).toEqual({ ok: true, value: ids('A', 'B') })
  })

  it('walks a chain 50,000 events deep without overflowing the stack', () => {
    const events = [pdu({ id: 'E0', type: 't', sender: '@a:x', stateKey: '' })]
    for (let i = 1; i < 50_000; i++) {
      events.push(
        pdu({ id: `E${i}`, type: 't', sender: '@a:x', stateKey: '', auth: [`E${i - 1}`] }),
      )
    }
    const chain = authChain(eventId('E49999'), sourceOf(events))
    expect(chain.ok && chain.value.size).toBe(49_999)
  })

  it('adds the implicit create event of a v12 room', () => {
    const create = pdu({
      id: 'ROOT',
      type: 'm.room.create',
      sender: '@a:x',
      stateKey: '',
      roomId: '!ROOT',
    })
    const join = pdu({
      id: 'J',
      type: 'm.room.member',
      sender: '@a:x',
      stateKey: '@a:x',
      roomId: '!ROOT',
    })
    expect(authChain(eventId('J'), sourceOf([create, join], {}, V12))).toEqual({
      ok: true,
      value: ids('ROOT'),
    })
    // Listed anyway (which v12 forbids), it is not added twice.
    const listed = pdu({
      id: 'L',
      type: 'm.room.topic',
      sender: '@a:x',
      stateKey: '',
      auth: ['ROOT'],
      roomId: '!ROOT',
    })
    const source = sourceOf([create, join, listed], {}, V12)
    expect(source.authEventIds(listed)).toEqual([eventId('ROOT')])
    expect(source.authEventIds(join)).toEqual([eventId('ROOT')])
    expect(source.authEventIds(join)).toBe(source.authEventIds(join))
    expect(source.authEventIds(create)).toEqual([])
    // Before v12 the create event must be listed.
    expect(authChain(eventId('J'), sourceOf([create, join], {}, V10))).toEqual({
      ok: true,
      value: new Set(),
    })
  })
})

describe('authDifference', () => {
  it('is the events in some but not all full auth chains', () => {
    const difference = authDifference(
      [state(CREATE, IMA, PL2, IJR, IMB), state(CREATE, IMA, IPOWER, IJR, IMC)],
      sourceOf(ALL),
    )
    // PL2 is in the first chain only (through IMB); IPOWER is in both.
    expect(difference).toEqual({ ok: true, value: ids('PL2') })
  })

  it('is empty for identical state sets and for a single one', () => {
    const s = state(CREATE, IMA, IPOWER, IJR, IMB)
    expect(authDifference([s, s.clone()], sourceOf(ALL))).toEqual({ ok: true, value: new Set() })
    expect(authDifference([s], sourceOf(ALL))).toEqual({ ok: true, value: new Set() })
    expect(authDifference([], sourceOf(ALL))).toEqual({ ok: true, value: new Set() })
  })

  it('fails with M_NOT_FOUND when an unconflicted or conflicted event is missing', () => {
    const s = state(CREATE, IMA, IPOWER, IJR, IMB)
    const missingUnconflicted = authDifference([s, s], sourceOf([CREATE, IMA, IPOWER, IJR]))
    expect(missingUnconflicted.ok ? '' : missingUnconflicted.error.error).toContain('$IMB')
    const missingConflicted = authDifference(
      [s, state(CREATE, IMA, IPOWER, IJR, IMC)],
      sourceOf([CREATE, IMA, IPOWER, IJR, IMB, PL2]),
    )
    expect(missingConflicted.ok ? '' : missingConflicted.error.error).toContain('$IMC')
  })

  it('equals the naive ∪Cᵢ − ∩Cᵢ on random DAGs and state sets', () => {
    fc.assert(
      fc.property(randomAuthDag(), ({ events, stateSets }) => {
        const source = sourceOf(events)
        const chains = stateSets.map((set) => {
          const union = new Set<EventId>()
          for (const [, , id] of set) {
            const chain = authChain(id, source)
            if (!chain.ok) throw new Error('fixture is closed')
            for (const x of chain.value) union.add(x)
          }
          return union
        })
        const union = new Set(chains.flatMap((c) => [...c]))
        const expected = new Set([...union].filter((x) => !chains.every((c) => c.has(x))))
        expect(authDifference(stateSets, source)).toEqual({ ok: true, value: expected })
      }),
      { numRuns: 200 },
    )
  })
})

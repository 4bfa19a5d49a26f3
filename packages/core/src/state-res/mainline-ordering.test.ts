import { describe, expect, it } from 'vitest'
import type { EventId } from '../ids/types.js'
import { roomVersionRules } from '../room-versions/room-versions.js'
import { eventId, pdu } from '../testing/pdu-fixtures.js'
import { eventSourceOf } from '../testing/state-res-dag.js'
import { mainline, mainlineOrder, mainlinePosition } from './mainline-ordering.js'

const V10 = roomVersionRules('10')!
const V12 = roomVersionRules('12')!
const A = '@alice:x'
const pl = (id: string, auth: string[]) =>
  pdu({ id, type: 'm.room.power_levels', sender: A, stateKey: '', auth })
const topic = (id: string, auth: string[], ts: number) =>
  pdu({ id, type: 'm.room.topic', sender: A, stateKey: '', auth, ts })

// CREATE <- PL1 <- PL2 <- PL3 is the mainline of PL3; SIDE forks off PL2.
const CREATE = pdu({ id: 'CREATE', type: 'm.room.create', sender: A, stateKey: '' })
const BASE = [
  CREATE,
  pl('PL1', ['CREATE']),
  pl('PL2', ['CREATE', 'PL1']),
  pl('PL3', ['CREATE', 'PL2']),
  pl('SIDE', ['CREATE', 'PL2']),
  pl('SIDE2', ['CREATE', 'SIDE']),
]
const names = (ids: readonly EventId[]) => ids.map((id) => id.slice(1))

describe('mainline', () => {
  it('follows the power levels among the auth events down to the first one', () => {
    expect(mainline(eventId('PL3'), eventSourceOf(BASE, V10))).toEqual({
      ok: true,
      value: new Map([
        [eventId('PL3'), 0],
        [eventId('PL2'), 1],
        [eventId('PL1'), 2],
      ]),
    })
    expect(mainline(undefined, eventSourceOf(BASE, V10))).toEqual({ ok: true, value: new Map() })
  })

  it('fails on a missing event and stops on a cycle', () => {
    const missing = mainline(
      eventId('PL3'),
      eventSourceOf(
        BASE.filter((e) => e.eventId !== '$PL1'),
        V10,
      ),
    )
    expect(missing.ok ? '' : missing.error.error).toContain('$PL1')
    const cyclic = [pl('X', ['Y']), pl('Y', ['X'])]
    expect(mainline(eventId('X'), eventSourceOf(cyclic, V10))).toEqual({
      ok: true,
      value: new Map([
        [eventId('X'), 0],
        [eventId('Y'), 1],
      ]),
    })
  })
})

describe('mainlineOrder', () => {
  const events = [
    ...BASE,
    topic('ON1', ['CREATE', 'PL1'], 50),
    topic('ON3', ['CREATE', 'PL3'], 10),
    topic('ONSIDE', ['CREATE', 'SIDE2'], 5),
    topic('NONE', ['CREATE'], 99),
    topic('ON3B', ['CREATE', 'PL3'], 10),
    topic('ON3A', ['CREATE', 'PL3'], 10),
    topic('ON3EARLY', ['CREATE', 'PL3'], 1),
  ]
  const source = eventSourceOf(events, V10)

  it('sorts events based further back first, the unrelated ones before all', () => {
    const order = mainlineOrder(
      ['ON3', 'ON1', 'ONSIDE', 'NONE', 'ON3B', 'ON3A', 'ON3EARLY'].map(eventId),
      eventId('PL3'),
      source,
    )
    // NONE (∞), ON1 (2), ONSIDE (joins at PL2: 1), then PL3-based by ts, then by ID.
    expect(order.ok && names(order.value)).toEqual([
      'NONE',
      'ON1',
      'ONSIDE',
      'ON3EARLY',
      'ON3',
      'ON3A',
      'ON3B',
    ])
  })

  it('sorts by timestamp and ID alone without power levels', () => {
    const order = mainlineOrder(['ON3', 'ON1', 'NONE', 'ONSIDE'].map(eventId), undefined, source)
    expect(order.ok && names(order.value)).toEqual(['ONSIDE', 'ON3', 'ON1', 'NONE'])
  })

  it('does nothing for no events, and fails on missing events', () => {
    expect(mainlineOrder([], eventId('GONE'), source)).toEqual({ ok: true, value: [] })
    const missing = mainlineOrder([eventId('GONE')], eventId('PL3'), source)
    expect(missing.ok ? '' : missing.error.error).toContain('$GONE')
    const missingPl = mainlineOrder([eventId('ON1')], eventId('GONE'), source)
    expect(missingPl.ok ? '' : missingPl.error.error).toContain('$GONE')
    const brokenChain = eventSourceOf(
      events.filter((e) => e.eventId !== '$SIDE'),
      V10,
    )
    const viaMissing = mainlineOrder([eventId('ONSIDE')], eventId('PL3'), brokenChain)
    expect(viaMissing.ok ? '' : viaMissing.error.error).toContain('$SIDE')
  })
})

describe('mainlinePosition', () => {
  it('is the position of the first mainline event below the event, not the event itself', () => {
    const source = eventSourceOf(BASE, V10)
    const known = new Map([
      [eventId('PL3'), 0],
      [eventId('PL2'), 1],
    ])
    // PL3 is on the mainline, but its position comes from PL2, its own power levels auth event.
    expect(mainlinePosition(BASE[3]!, known, source)).toEqual({ ok: true, value: 1 })
    // Walking SIDE2 -> SIDE -> PL2 remembers the side chain.
    expect(mainlinePosition(BASE[5]!, known, source)).toEqual({ ok: true, value: 1 })
    expect(known.get(eventId('SIDE'))).toBe(1)
    // PL1 is below the mainline's known part: no position.
    expect(mainlinePosition(BASE[2]!, known, source)).toEqual({ ok: true, value: Infinity })
    expect(known.get(eventId('PL1'))).toBe(Infinity)
  })

  it('stops on a cycle of power levels off the mainline', () => {
    const cyclic = [pl('X', ['Y']), pl('Y', ['X']), topic('T', ['X'], 0)]
    const source = eventSourceOf(cyclic, V10)
    expect(mainlinePosition(cyclic[2]!, new Map(), source)).toEqual({ ok: true, value: Infinity })
  })

  it('sees the implicit create event of a v12 room but never takes it for power levels', () => {
    const create = pdu({
      id: 'ROOT',
      type: 'm.room.create',
      sender: A,
      stateKey: '',
      roomId: '!ROOT',
    })
    const p = pdu({
      id: 'P',
      type: 'm.room.power_levels',
      sender: A,
      stateKey: '',
      roomId: '!ROOT',
    })
    const t = pdu({
      id: 'T',
      type: 'm.room.topic',
      sender: A,
      stateKey: '',
      auth: ['P'],
      roomId: '!ROOT',
    })
    const source = eventSourceOf([create, p, t], V12)
    expect(mainlinePosition(t, new Map([[eventId('P'), 0]]), source)).toEqual({
      ok: true,
      value: 0,
    })
  })
})

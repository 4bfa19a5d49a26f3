import { describe, expect, it } from 'vitest'
import type { Pdu } from '../events/pdu.js'
import { StateMap, type ReadonlyStateMap } from '../events/state-map.js'
import type { EventId } from '../ids/types.js'
import { roomVersionRules } from '../room-versions/room-versions.js'
import { eventId, pdu } from '../testing/pdu-fixtures.js'
import { eventSourceOf } from '../testing/state-res-dag.js'
import { iterativeAuthChecks, type AuthCheck } from './iterative-auth-checks.js'

const V10 = roomVersionRules('10')!
const V12 = roomVersionRules('12')!
const A = '@alice:x'
const B = '@bob:x'

const CREATE = pdu({ id: 'CREATE', type: 'm.room.create', sender: A, stateKey: '' })
const JOIN_A = pdu({
  id: 'JA',
  type: 'm.room.member',
  sender: A,
  stateKey: A,
  content: { membership: 'join' },
  auth: ['CREATE'],
})
const PL_OLD = pdu({
  id: 'PL_OLD',
  type: 'm.room.power_levels',
  sender: A,
  stateKey: '',
  auth: ['CREATE', 'JA'],
})
const PL_NEW = pdu({
  id: 'PL_NEW',
  type: 'm.room.power_levels',
  sender: A,
  stateKey: '',
  auth: ['CREATE', 'JA', 'PL_OLD'],
})
const MSG = pdu({ id: 'MSG', type: 'm.room.message', sender: A, auth: ['CREATE'] })
const TOPIC = pdu({
  id: 'TOPIC',
  type: 'm.room.topic',
  sender: B,
  stateKey: '',
  auth: ['CREATE', 'PL_OLD', 'JB', 'MSG'],
})
const JOIN_B = pdu({
  id: 'JB',
  type: 'm.room.member',
  sender: B,
  stateKey: B,
  content: { membership: 'join' },
  auth: ['CREATE', 'PL_OLD'],
})
const EVENTS = [CREATE, JOIN_A, PL_OLD, PL_NEW, MSG, TOPIC, JOIN_B]

/** An auth check that records what it was shown and allows what `allow` says. */
function recorder(allow: (pdu: Pdu) => boolean = () => true) {
  const seen = new Map<string, Record<string, string>>()
  const check: AuthCheck = (pdu: Pdu, authState: ReadonlyStateMap<Pdu>) => {
    const shown: Record<string, string> = {}
    for (const [type, stateKey, event] of authState) shown[`${type}|${stateKey}`] = event.eventId
    seen.set(pdu.eventId, shown)
    return { kind: allow(pdu) ? 'allowed' : 'rejected' }
  }
  return { seen, check }
}

const state = (entries: [string, string, string][]) =>
  new StateMap<EventId>(entries.map(([t, k, n]) => [t, k, eventId(n)]))

describe('iterativeAuthChecks', () => {
  it('checks each event against its auth events overlaid by the resolved state', () => {
    const { seen, check } = recorder()
    const initial = state([['m.room.power_levels', '', 'PL_NEW']])
    const result = iterativeAuthChecks(
      initial,
      [eventId('TOPIC')],
      eventSourceOf(EVENTS, V10),
      V10,
      check,
    )
    expect(seen.get('$TOPIC')).toEqual({
      'm.room.create|': '$CREATE',
      // The resolved power levels replace the ones the event cites.
      'm.room.power_levels|': '$PL_NEW',
      'm.room.member|@bob:x': '$JB',
    })
    expect(result.ok && result.value.get('m.room.topic', '')).toBe('$TOPIC')
    // The state is updated in place.
    expect(initial.get('m.room.topic', '')).toBe('$TOPIC')
  })

  it('applies allowed events in order, so later events see earlier ones', () => {
    const { seen, check } = recorder()
    const result = iterativeAuthChecks(
      new StateMap(),
      [eventId('JB'), eventId('TOPIC')],
      eventSourceOf(EVENTS, V10),
      V10,
      check,
    )
    expect(result.ok && result.value.get('m.room.member', B)).toBe('$JB')
    expect(seen.get('$TOPIC')?.['m.room.member|@bob:x']).toBe('$JB')
  })

  it('ignores events the auth rules reject, and non-state events', () => {
    const { seen, check } = recorder((pdu) => pdu.eventId !== '$PL_NEW')
    const result = iterativeAuthChecks(
      state([['m.room.power_levels', '', 'PL_OLD']]),
      [eventId('PL_NEW'), eventId('MSG')],
      eventSourceOf(EVENTS, V10),
      V10,
      check,
    )
    expect(result.ok && [...result.value]).toEqual([['m.room.power_levels', '', '$PL_OLD']])
    expect(seen.has('$MSG')).toBe(false)
  })

  it('never uses a rejected event as an auth event, from either source', () => {
    const { seen, check } = recorder()
    const rejected = new Set(['$PL_OLD', '$JX'])
    const source = eventSourceOf(EVENTS, V10, { isRejected: (id) => rejected.has(id) })
    iterativeAuthChecks(state([['m.room.member', B, 'JX']]), [eventId('TOPIC')], source, V10, check)
    // PL_OLD (cited) and JX (resolved) are rejected: the check sees the cited JB and no power levels.
    expect(seen.get('$TOPIC')).toEqual({
      'm.room.create|': '$CREATE',
      'm.room.member|@bob:x': '$JB',
    })
  })

  it('fails with M_NOT_FOUND when an event, auth event or resolved auth event is missing', () => {
    const { check } = recorder()
    const run = (events: Pdu[], initial = new StateMap<EventId>()) =>
      iterativeAuthChecks(initial, [eventId('TOPIC')], eventSourceOf(events, V10), V10, check)
    const missingEvent = run(EVENTS.filter((e) => e !== TOPIC))
    expect(missingEvent.ok ? '' : missingEvent.error.error).toContain('$TOPIC')
    const missingAuth = run(EVENTS.filter((e) => e !== JOIN_B))
    expect(missingAuth.ok ? '' : missingAuth.error.error).toContain('$JB')
    const missingResolved = run(EVENTS, state([['m.room.power_levels', '', 'PL_GONE']]))
    expect(missingResolved.ok ? '' : missingResolved.error.errcode).toBe('M_NOT_FOUND')
  })

  it('hands the auth rules the implicit create event of a v12 room', () => {
    const { seen, check } = recorder()
    const create = pdu({
      id: 'ROOT',
      type: 'm.room.create',
      sender: A,
      stateKey: '',
      roomId: '!ROOT',
    })
    const topic = pdu({ id: 'T', type: 'm.room.topic', sender: A, stateKey: '', roomId: '!ROOT' })
    iterativeAuthChecks(
      new StateMap(),
      [eventId('T')],
      eventSourceOf([create, topic], V12),
      V12,
      check,
    )
    expect(seen.get('$T')).toEqual({ 'm.room.create|': '$ROOT' })
  })
})

import { describe, expect, it } from 'vitest'
import type { EventId } from '../ids/types.js'
import { roomVersionRules } from '../room-versions/room-versions.js'
import { eventId, pdu } from '../testing/pdu-fixtures.js'
import { eventSourceOf } from '../testing/state-res-dag.js'
import {
  comparePowerOrder,
  isPowerEvent,
  powerEventGraph,
  reverseTopologicalPowerOrder,
  sortPowerEvents,
} from './power-ordering.js'
import { senderPowerLevel } from './sender-power-level.js'

const V10 = roomVersionRules('10')!
const V11 = roomVersionRules('11')!
const V12 = roomVersionRules('12')!
const ids = (...names: string[]) => new Set(names.map(eventId))
const graphOf = (edges: Record<string, string[]>) =>
  new Map(Object.entries(edges).map(([id, auth]) => [eventId(id), ids(...auth)]))
const flat = { powerLevel: 0, originServerTs: 0 }

describe('isPowerEvent', () => {
  const member = (sender: string, target: string, membership: unknown) =>
    pdu({
      id: 'M',
      type: 'm.room.member',
      sender,
      stateKey: target,
      content: { membership: membership as string },
    })

  it('is power levels, join rules and create with an empty state key', () => {
    for (const type of ['m.room.power_levels', 'm.room.join_rules', 'm.room.create']) {
      expect(isPowerEvent(pdu({ id: 'E', type, sender: '@a:x', stateKey: '' }))).toBe(true)
      expect(isPowerEvent(pdu({ id: 'E', type, sender: '@a:x', stateKey: 'x' }))).toBe(false)
      expect(isPowerEvent(pdu({ id: 'E', type, sender: '@a:x' }))).toBe(false)
    }
    expect(isPowerEvent(pdu({ id: 'E', type: 'm.room.topic', sender: '@a:x', stateKey: '' }))).toBe(
      false,
    )
  })

  it('is a kick or a ban, not a voluntary leave or any other membership', () => {
    expect(isPowerEvent(member('@a:x', '@b:x', 'leave'))).toBe(true)
    expect(isPowerEvent(member('@a:x', '@b:x', 'ban'))).toBe(true)
    expect(isPowerEvent(member('@b:x', '@b:x', 'leave'))).toBe(false)
    expect(isPowerEvent(member('@b:x', '@b:x', 'ban'))).toBe(false)
    expect(isPowerEvent(member('@a:x', '@b:x', 'invite'))).toBe(false)
    expect(isPowerEvent(member('@a:x', '@b:x', 'join'))).toBe(false)
    expect(isPowerEvent(member('@a:x', '@b:x', 7))).toBe(false)
  })
})

describe('reverseTopologicalPowerOrder', () => {
  it('puts auth events first and breaks ties by event ID', () => {
    const graph = graphOf({ l: ['o'], m: ['n', 'o'], n: ['o'], o: [], p: ['o'] })
    expect(reverseTopologicalPowerOrder(graph, () => flat)).toEqual(
      ['o', 'l', 'n', 'm', 'p'].map(eventId),
    )
  })

  it('prefers higher sender power, then the earlier timestamp', () => {
    const graph = graphOf({ root: [], a: ['root'], b: ['root'], c: ['root'], d: ['root'] })
    const keys: Record<string, { powerLevel: number; originServerTs: number }> = {
      $root: flat,
      $a: { powerLevel: 50, originServerTs: 5 },
      $b: { powerLevel: 100, originServerTs: 9 },
      $c: { powerLevel: 50, originServerTs: 1 },
      $d: { powerLevel: Infinity, originServerTs: 10 },
    }
    expect(reverseTopologicalPowerOrder(graph, (id) => keys[id]!)).toEqual(
      ['root', 'd', 'b', 'c', 'a'].map(eventId),
    )
  })

  it('never lets a tie-break jump an auth edge', () => {
    // z is powerful but cites y, so y (and x before it) must come first.
    const graph = graphOf({ x: [], y: ['x'], z: ['y'], w: [] })
    const keys: Record<string, { powerLevel: number; originServerTs: number }> = {
      $x: { powerLevel: 0, originServerTs: 3 },
      $y: { powerLevel: 0, originServerTs: 4 },
      $z: { powerLevel: 100, originServerTs: 5 },
      $w: { powerLevel: 0, originServerTs: 1 },
    }
    expect(reverseTopologicalPowerOrder(graph, (id) => keys[id]!)).toEqual(
      ['w', 'x', 'y', 'z'].map(eventId),
    )
  })

  it('leaves out events on a cycle instead of hanging', () => {
    const graph = graphOf({ a: [], b: ['a', 'c'], c: ['b'] })
    expect(reverseTopologicalPowerOrder(graph, () => flat)).toEqual([eventId('a')])
  })

  it('sorts 20,000 events quickly', () => {
    const edges: Record<string, string[]> = { e0: [] }
    for (let i = 1; i < 20_000; i++) edges[`e${i}`] = [`e${Math.floor(i / 2)}`]
    const sorted = reverseTopologicalPowerOrder(graphOf(edges), () => flat)
    expect(sorted).toHaveLength(20_000)
    expect(sorted[0]).toBe('$e0')
  })
})

describe('comparePowerOrder', () => {
  it('treats two infinite power levels as equal and falls through to the timestamp', () => {
    const infinite = (ts: number) => ({ powerLevel: Infinity, originServerTs: ts })
    expect(comparePowerOrder(eventId('b'), infinite(1), eventId('a'), infinite(2))).toBeLessThan(0)
    expect(comparePowerOrder(eventId('a'), infinite(1), eventId('b'), infinite(1))).toBeLessThan(0)
    expect(comparePowerOrder(eventId('a'), infinite(1), eventId('a'), infinite(1))).toBe(0)
  })

  it('compares event IDs by code point, not UTF-16 unit', () => {
    // U+1F600 is a surrogate pair in UTF-16 and sorts after U+FF5E by code point.
    expect(comparePowerOrder(eventId('\u{1F600}'), flat, eventId('\uFF5E'), flat)).toBeGreaterThan(
      0,
    )
  })
})

describe('senderPowerLevel', () => {
  const create = (rules: typeof V10, content = {}) =>
    pdu({
      id: 'CREATE',
      type: 'm.room.create',
      sender: '@alice:x',
      stateKey: '',
      content: rules.auth.createEventHasCreator ? { creator: '@alice:x', ...content } : content,
      roomId: rules.eventFormat.roomIdIsCreateEventHash ? '!CREATE' : '!room:x',
    })
  const powerLevels = (content: object) =>
    pdu({
      id: 'PL',
      type: 'm.room.power_levels',
      sender: '@alice:x',
      stateKey: '',
      content: content as never,
    })
  const event = (sender: string, auth: string[], rules: typeof V10) =>
    pdu({
      id: 'EV',
      type: 'm.room.topic',
      sender,
      stateKey: '',
      auth,
      roomId: rules.eventFormat.roomIdIsCreateEventHash ? '!CREATE' : '!room:x',
    })
  const levelOf = (sender: string, auth: string[], rules: typeof V10, plContent: object = {}) => {
    const ev = event(sender, auth, rules)
    const source = eventSourceOf(
      [create(rules, { additional_creators: ['@carol:x'] }), powerLevels(plContent), ev],
      rules,
    )
    return senderPowerLevel(ev, source, rules)
  }

  it('reads users, then users_default, from the power levels among the auth events', () => {
    const content = { users: { '@bob:x': 50 }, users_default: 10 }
    expect(levelOf('@bob:x', ['CREATE', 'PL'], V10, content)).toEqual({ ok: true, value: 50 })
    expect(levelOf('@dan:x', ['CREATE', 'PL'], V10, content)).toEqual({ ok: true, value: 10 })
    expect(levelOf('@dan:x', ['CREATE', 'PL'], V10, {})).toEqual({ ok: true, value: 0 })
    // The creator has no special power once there are power levels (before v12).
    expect(levelOf('@alice:x', ['CREATE', 'PL'], V10, content)).toEqual({ ok: true, value: 10 })
  })

  it('gives the creator 100 and others 0 without power levels (v1-v11)', () => {
    expect(levelOf('@alice:x', ['CREATE'], V10)).toEqual({ ok: true, value: 100 })
    expect(levelOf('@alice:x', ['CREATE'], V11)).toEqual({ ok: true, value: 100 })
    expect(levelOf('@bob:x', ['CREATE'], V11)).toEqual({ ok: true, value: 0 })
    expect(levelOf('@bob:x', [], V11)).toEqual({ ok: true, value: 0 })
  })

  it('gives v12 creators, additional ones included, infinite power', () => {
    const content = { users: { '@bob:x': 50 } }
    expect(levelOf('@alice:x', ['PL'], V12, content)).toEqual({ ok: true, value: Infinity })
    expect(levelOf('@carol:x', ['PL'], V12, content)).toEqual({ ok: true, value: Infinity })
    expect(levelOf('@carol:x', [], V12)).toEqual({ ok: true, value: Infinity })
    expect(levelOf('@bob:x', ['PL'], V12, content)).toEqual({ ok: true, value: 50 })
    // additional_creators means nothing before v12.
    expect(levelOf('@carol:x', ['CREATE'], V11)).toEqual({ ok: true, value: 0 })
  })

  it('fails when an auth event is missing', () => {
    const ev = event('@bob:x', ['CREATE', 'GONE'], V10)
    const result = senderPowerLevel(ev, eventSourceOf([create(V10), ev], V10), V10)
    expect(result.ok ? '' : result.error.error).toContain('$GONE')
  })
})

describe('powerEventGraph and sortPowerEvents', () => {
  // CREATE <- JA (Alice joins) <- PA (Alice's power levels) <- JB (Bob joins) <- PB (Bob's PL),
  // and a topic T that is not a power event.
  const A = '@alice:x'
  const B = '@bob:x'
  const events = [
    pdu({ id: 'CREATE', type: 'm.room.create', sender: A, stateKey: '', content: { creator: A } }),
    pdu({
      id: 'JA',
      type: 'm.room.member',
      sender: A,
      stateKey: A,
      content: { membership: 'join' },
      auth: ['CREATE'],
      ts: 1,
    }),
    pdu({
      id: 'PA',
      type: 'm.room.power_levels',
      sender: A,
      stateKey: '',
      content: { users: { [A]: 100, [B]: 50 } },
      auth: ['CREATE', 'JA'],
      ts: 2,
    }),
    pdu({
      id: 'JB',
      type: 'm.room.member',
      sender: B,
      stateKey: B,
      content: { membership: 'join' },
      auth: ['CREATE', 'PA'],
      ts: 3,
    }),
    pdu({
      id: 'PB',
      type: 'm.room.power_levels',
      sender: B,
      stateKey: '',
      content: { users: { [A]: 100, [B]: 50 } },
      auth: ['CREATE', 'PA', 'JB'],
      ts: 4,
    }),
    pdu({
      id: 'KICK',
      type: 'm.room.member',
      sender: A,
      stateKey: B,
      content: { membership: 'leave' },
      auth: ['CREATE', 'PA', 'JA'],
      ts: 1,
    }),
    pdu({
      id: 'T',
      type: 'm.room.topic',
      sender: A,
      stateKey: '',
      auth: ['CREATE', 'PA', 'JA'],
      ts: 0,
    }),
  ]
  const source = eventSourceOf(events, V10)

  it('takes the power events and their auth ancestors within the full conflicted set', () => {
    const graph = powerEventGraph(ids('PB', 'JB', 'T', 'JA'), source)
    // JB is pulled in through PB; JA is not reachable through conflicted events; T is no power event.
    expect(graph).toEqual({
      ok: true,
      value: new Map<EventId, Set<EventId>>([
        [eventId('PB'), ids('JB')],
        [eventId('JB'), ids()],
      ]),
    })
  })

  it('sorts by auth order first, then by sender power', () => {
    expect(sortPowerEvents(ids('PB', 'JB', 'KICK', 'PA', 'T'), source, V10)).toEqual({
      ok: true,
      // PA first (KICK and JB cite it); KICK (Alice, 100) before JB (Bob, 50 at PA).
      value: ['PA', 'KICK', 'JB', 'PB'].map(eventId),
    })
  })

  it('fails when an event of the full conflicted set is missing', () => {
    const result = sortPowerEvents(ids('PB', 'NOPE'), source, V10)
    expect(result.ok ? '' : result.error.error).toContain('$NOPE')
    const partial = eventSourceOf(
      events.filter((e) => e.eventId !== '$JB'),
      V10,
    )
    const missingAncestor = powerEventGraph(ids('PB', 'JB'), partial)
    expect(missingAncestor.ok ? '' : missingAncestor.error.error).toContain('$JB')
  })
})

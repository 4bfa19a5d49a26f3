/**
 * State resolution v2 and v2.1 on whole room graphs: the classic forks (our own versions of the
 * graphs in Synapse's and ruma's suites), run for rooms v2, v10, v11 (v2) and v12 (v2.1), and the
 * two MSC4297 scenarios where v2 and v2.1 disagree.
 */
import { describe, expect, it } from 'vitest'
import type { EventId } from '../ids/types.js'
import type { StateMap } from '../events/state-map.js'
import { roomVersionRules } from '../room-versions/room-versions.js'
import type { RoomVersionRules } from '../room-versions/rules.js'
import { eventId } from '../testing/pdu-fixtures.js'
import {
  ALICE,
  BOB,
  CHARLIE,
  EVELYN,
  RoomDag,
  ZARA,
  changedSince,
  stateOf,
} from '../testing/state-res-dag.js'
import { resolveState } from './resolve.js'

const V2_ROOMS = ['2', '10', '11'].map((id) => roomVersionRules(id)!)
const V21_ROOMS = [roomVersionRules('12')!]
const ALL_ROOMS = [...V2_ROOMS, ...V21_ROOMS]

function room(rules: RoomVersionRules): RoomDag {
  const dag = new RoomDag(rules, resolveState).openRoom()
  dag.add({ id: 'START', type: 'm.room.message', sender: ZARA, content: { body: 'start' } })
  return dag
}

/** The state at a merge of `tips`, as the names of the entries that changed since START. */
function mergeOf(dag: RoomDag, ...tips: string[]): string[] {
  dag.add({ id: 'END', type: 'm.room.message', sender: ZARA, prev: tips })
  return changedSince(dag.stateAfter('END'), dag.stateAfter('START'))
}

function resolve(dag: RoomDag, stateSets: StateMap<EventId>[]): StateMap<EventId> {
  const resolved = resolveState(stateSets, dag.fetch, dag.rules)
  if (!resolved.ok) throw new Error(resolved.error.error)
  return resolved.value
}

function topic(dag: RoomDag, id: string, sender: string, prev?: string[]) {
  return dag.add({
    id,
    type: 'm.room.topic',
    sender,
    stateKey: '',
    content: { topic: id },
    ...(prev ? { prev } : {}),
  })
}

function powerLevels(
  dag: RoomDag,
  id: string,
  sender: string,
  users: Record<string, number>,
  prev?: string[],
  extra = {},
) {
  return dag.add({
    id,
    type: 'm.room.power_levels',
    sender,
    stateKey: '',
    content: dag.powerLevels(users, extra),
    ...(prev ? { prev } : {}),
  })
}

describe.each(ALL_ROOMS.map((rules) => [rules.id, rules] as const))(
  'state resolution in room v%s',
  (_, rules) => {
    it('a ban beats a concurrent power-levels change by the banned user', () => {
      const dag = room(rules)
      powerLevels(dag, 'PA', ALICE, { [ALICE]: 100, [BOB]: 50 })
      dag.member('MA', ALICE, ALICE, 'join')
      dag.member('MB', ALICE, BOB, 'ban')
      powerLevels(dag, 'PB', BOB, { [ALICE]: 100, [BOB]: 50 }, ['PA'])
      expect(mergeOf(dag, 'MB', 'PB')).toEqual(['MA', 'MB', 'PA'])
    })

    it('a ban beats a concurrent join', () => {
      const dag = room(rules)
      dag.member('BAN', ALICE, EVELYN, 'ban')
      dag.member('JOIN', EVELYN, EVELYN, 'join', ['START'])
      expect(mergeOf(dag, 'BAN', 'JOIN')).toEqual(['BAN'])
      // Whatever order the forks come in.
      expect(mergeOf2(dag, 'JOIN', 'BAN')).toEqual(['BAN'])
    })

    it('a change of join rules to invite keeps out a concurrent join (join rule evasion)', () => {
      const dag = room(rules)
      dag.add({
        id: 'JR',
        type: 'm.room.join_rules',
        sender: ALICE,
        stateKey: '',
        content: { join_rule: 'invite' },
      })
      dag.member('ME', EVELYN, EVELYN, 'join', ['START'])
      expect(mergeOf(dag, 'JR', 'ME')).toEqual(['JR'])
    })

    it('a power-levels change beats a concurrent topic change it forbids', () => {
      const dag = room(rules)
      powerLevels(dag, 'PA', ALICE, { [ALICE]: 100, [BOB]: 50 })
      topic(dag, 'T0', ALICE)
      powerLevels(dag, 'PA2', ALICE, { [ALICE]: 100, [BOB]: 50 }, undefined, {
        events: { 'm.room.topic': 100 },
      })
      topic(dag, 'TB', BOB, ['T0'])
      expect(mergeOf(dag, 'PA2', 'TB')).toEqual(['PA2', 'T0'])
    })

    it('without a restriction, the concurrent topic change is kept', () => {
      const dag = room(rules)
      powerLevels(dag, 'PA', ALICE, { [ALICE]: 100, [BOB]: 50 })
      powerLevels(dag, 'PA2', ALICE, { [ALICE]: 100, [BOB]: 50, [CHARLIE]: 10 })
      topic(dag, 'TB', BOB, ['PA'])
      expect(mergeOf(dag, 'PA2', 'TB')).toEqual(['PA2', 'TB'])
    })

    it('concurrent power-levels edits by equal powers: the later timestamp is applied last', () => {
      const dag = room(rules)
      powerLevels(dag, 'PX', ALICE, { [ALICE]: 100, [BOB]: 100, [CHARLIE]: 100 })
      powerLevels(dag, 'PB', BOB, { [ALICE]: 100, [BOB]: 100, [CHARLIE]: 100, [ZARA]: 10 })
      powerLevels(dag, 'PC', CHARLIE, { [ALICE]: 100, [BOB]: 100, [CHARLIE]: 100, [ZARA]: 20 }, [
        'PX',
      ])
      // PC was sent after PB, so it is applied after it and wins.
      expect(mergeOf(dag, 'PB', 'PC')).toEqual(['PC'])
    })

    it('concurrent power-levels edits with equal power and timestamps: the larger ID wins', () => {
      const dag = room(rules)
      powerLevels(dag, 'PX', ALICE, { [ALICE]: 100, [BOB]: 100, [CHARLIE]: 100 })
      const base = { [ALICE]: 100, [BOB]: 100, [CHARLIE]: 100 }
      dag.add({
        id: 'P2',
        type: 'm.room.power_levels',
        sender: CHARLIE,
        stateKey: '',
        content: dag.powerLevels({ ...base, [ZARA]: 20 }),
        prev: ['PX'],
        ts: 50,
      })
      dag.add({
        id: 'P1',
        type: 'm.room.power_levels',
        sender: BOB,
        stateKey: '',
        content: dag.powerLevels({ ...base, [ZARA]: 10 }),
        prev: ['PX'],
        ts: 50,
      })
      expect(mergeOf(dag, 'P1', 'P2')).toEqual(['P2'])
    })

    it('the higher power level is replayed first, so the lower one has the last word', () => {
      // Alice (100) and Bob (50) both edit; Bob's edit is older but sorts after Alice's.
      const dag = room(rules)
      powerLevels(dag, 'PX', ALICE, { [ALICE]: 100, [BOB]: 50 })
      powerLevels(dag, 'PB', BOB, { [ALICE]: 100, [BOB]: 50, [ZARA]: 10 })
      powerLevels(dag, 'PA', ALICE, { [ALICE]: 100, [BOB]: 50, [ZARA]: 20 }, ['PX'])
      expect(mergeOf(dag, 'PA', 'PB')).toEqual(['PB'])
    })

    it('offtopic power levels: a self-demotion after two grants survives', () => {
      const dag = room(rules)
      powerLevels(dag, 'PA', ALICE, { [ALICE]: 100, [BOB]: 50 })
      powerLevels(dag, 'PB', BOB, { [ALICE]: 100, [BOB]: 50, [CHARLIE]: 50 })
      powerLevels(dag, 'PC', CHARLIE, { [ALICE]: 100, [BOB]: 50, [CHARLIE]: 0 })
      expect(mergeOf(dag, 'PC', 'PA')).toEqual(['PC'])
    })

    it('topic basic: a topic set by a user who lost power in the other fork is dropped', () => {
      const dag = room(rules)
      topic(dag, 'T1', ALICE)
      powerLevels(dag, 'PA1', ALICE, { [ALICE]: 100, [BOB]: 50 })
      topic(dag, 'T2', ALICE)
      powerLevels(dag, 'PA2', ALICE, { [ALICE]: 100, [BOB]: 0 })
      powerLevels(dag, 'PB', BOB, { [ALICE]: 100, [BOB]: 50 }, ['PA1'])
      topic(dag, 'T3', BOB)
      expect(mergeOf(dag, 'PA2', 'T3')).toEqual(['PA2', 'T2'])
    })

    it('topic reset: a banned user’s topic gives way to the older one', () => {
      const dag = room(rules)
      topic(dag, 'T1', ALICE)
      powerLevels(dag, 'PA', ALICE, { [ALICE]: 100, [BOB]: 50 })
      topic(dag, 'T2', BOB)
      dag.member('MB', ALICE, BOB, 'ban')
      expect(mergeOf(dag, 'MB', 'T1')).toEqual(['MB', 'PA', 'T1'])
    })

    it('topic setting: later topics on top of merged forks', () => {
      const dag = room(rules)
      topic(dag, 'T1', ALICE)
      powerLevels(dag, 'PA1', ALICE, { [ALICE]: 100, [BOB]: 50 })
      topic(dag, 'T2', ALICE)
      powerLevels(dag, 'PA2', ALICE, { [ALICE]: 100, [BOB]: 0 })
      powerLevels(dag, 'PB', BOB, { [ALICE]: 100, [BOB]: 50 }, ['PA1'])
      topic(dag, 'T3', BOB)
      dag.add({ id: 'MZ1', type: 'm.room.message', sender: ZARA, prev: ['PA2', 'T3'] })
      topic(dag, 'T4', ALICE)
      expect(mergeOf(dag, 'T4', 'MZ1')).toEqual(['PA2', 'T4'])
    })

    it('mainline ordering: the topic based on the newest power levels wins', () => {
      const dag = room(rules)
      topic(dag, 'T1', ALICE)
      powerLevels(dag, 'PA1', ALICE, { [ALICE]: 100, [BOB]: 50 })
      topic(dag, 'T2', ALICE)
      powerLevels(dag, 'PA2', ALICE, { [ALICE]: 100, [BOB]: 50 }, undefined, {
        events: { 'm.room.power_levels': 100 },
      })
      powerLevels(dag, 'PB', BOB, { [ALICE]: 100, [BOB]: 50 }, ['PA1'])
      topic(dag, 'T3', BOB, ['PA2'])
      topic(dag, 'T4', ALICE, ['PB'])
      // T4 is newer, but T3 cites the newer power levels.
      expect(mergeOf(dag, 'T3', 'T4')).toEqual(['PA2', 'T3'])
    })

    it('concurrent joins both stay', () => {
      const dag = room(rules)
      dag.member('JE', EVELYN, EVELYN, 'join')
      dag.member('JF', '@frank:example.org', '@frank:example.org', 'join', ['START'])
      expect(mergeOf(dag, 'JE', 'JF')).toEqual(['JE', 'JF'])
    })
  },
)

/** Like `mergeOf`, for a second merge of the same graph. */
function mergeOf2(dag: RoomDag, ...tips: string[]): string[] {
  dag.add({ id: 'END2', type: 'm.room.message', sender: ZARA, prev: tips })
  return changedSince(dag.stateAfter('END2'), dag.stateAfter('START'))
}

/**
 * MSC4297 problem A: both forks agree (through their auth events) that the room is invite-only,
 * but one state set still holds the old public join rules, and both say Alice has left. v2 starts
 * the replay from the unconflicted state, where Alice has left, so neither join rules event passes
 * and the room loses its join rules; v2.1 starts from nothing and keeps them.
 */
function problemA(rules: RoomVersionRules) {
  const dag = new RoomDag(rules, resolveState)
  const create = rules.auth.createEventHasCreator
    ? { creator: ALICE, room_version: rules.id }
    : { room_version: rules.id }
  dag.add({ id: 'CREATE', type: 'm.room.create', sender: ALICE, stateKey: '', content: create })
  dag.member('IMA', ALICE, ALICE, 'join')
  powerLevels(dag, 'IPOWER', ALICE, { [ALICE]: 100 })
  dag.add({
    id: 'JR0',
    type: 'm.room.join_rules',
    sender: ALICE,
    stateKey: '',
    content: { join_rule: 'public' },
  })
  dag.member('IMB', BOB, BOB, 'join')
  dag.member('IMC', CHARLIE, CHARLIE, 'join')
  dag.add({
    id: 'JR1',
    type: 'm.room.join_rules',
    sender: ALICE,
    stateKey: '',
    content: { join_rule: 'invite' },
  })
  dag.member('LEAVE', ALICE, ALICE, 'leave')
  dag.member('MB2', BOB, BOB, 'join', ['LEAVE'])
  dag.member('MC2', CHARLIE, CHARLIE, 'join', ['LEAVE'])
  const bobSees = stateOf([
    ['m.room.create', '', 'CREATE'],
    ['m.room.power_levels', '', 'IPOWER'],
    ['m.room.join_rules', '', 'JR1'],
    ['m.room.member', ALICE, 'LEAVE'],
    ['m.room.member', BOB, 'MB2'],
    ['m.room.member', CHARLIE, 'IMC'],
  ])
  // Charlie's server got its state from a faulty /state_ids: old join rules and Bob's old join.
  const charlieSees = stateOf([
    ['m.room.create', '', 'CREATE'],
    ['m.room.power_levels', '', 'IPOWER'],
    ['m.room.join_rules', '', 'JR0'],
    ['m.room.member', ALICE, 'LEAVE'],
    ['m.room.member', BOB, 'IMB'],
    ['m.room.member', CHARLIE, 'MC2'],
  ])
  return resolve(dag, [bobSees, charlieSees])
}

/**
 * MSC4297 problem B: Alice promotes Bob (PL1), Bob promotes Charlie (PL2); one state set still
 * holds the first power levels PL0. Both forks have seen PL1 through their auth chains, so PL1 is
 * not in the auth difference; v2 replays PL0 then PL2, which fails without PL1 and resets the power
 * levels to PL0. v2.1 adds the conflicted subgraph (PL1 and the events between) and keeps PL2.
 */
function problemB(rules: RoomVersionRules) {
  const dag = new RoomDag(rules, resolveState)
  const create = rules.auth.createEventHasCreator
    ? { creator: ALICE, room_version: rules.id }
    : { room_version: rules.id }
  dag.add({ id: 'CREATE', type: 'm.room.create', sender: ALICE, stateKey: '', content: create })
  dag.member('IMA', ALICE, ALICE, 'join')
  powerLevels(dag, 'PL0', ALICE, { [ALICE]: 100 })
  dag.add({
    id: 'JR0',
    type: 'm.room.join_rules',
    sender: ALICE,
    stateKey: '',
    content: { join_rule: 'public' },
  })
  dag.member('IMB', BOB, BOB, 'join')
  dag.member('IMC', CHARLIE, CHARLIE, 'join')
  powerLevels(dag, 'PL1', ALICE, { [ALICE]: 100, [BOB]: 50 })
  powerLevels(dag, 'PL2', BOB, { [ALICE]: 100, [BOB]: 50, [CHARLIE]: 50 })
  dag.member('IMZ', ZARA, ZARA, 'join')
  dag.member('IME', EVELYN, EVELYN, 'join', ['PL2'])
  dag.add({
    id: 'ME2',
    type: 'm.room.member',
    sender: EVELYN,
    stateKey: EVELYN,
    content: { membership: 'join', displayname: 'Evelyn' },
  })
  const common: [string, string, string][] = [
    ['m.room.create', '', 'CREATE'],
    ['m.room.join_rules', '', 'JR0'],
    ['m.room.member', ALICE, 'IMA'],
    ['m.room.member', BOB, 'IMB'],
    ['m.room.member', CHARLIE, 'IMC'],
  ]
  const evelynSees = stateOf([
    ...common,
    ['m.room.power_levels', '', 'PL0'],
    ['m.room.member', EVELYN, 'ME2'],
  ])
  const zaraSees = stateOf([
    ...common,
    ['m.room.power_levels', '', 'PL2'],
    ['m.room.member', ZARA, 'IMZ'],
  ])
  return resolve(dag, [evelynSees, zaraSees])
}

describe('where v2 and v2.1 differ (MSC4297)', () => {
  it.each(V2_ROOMS.map((rules) => [rules.id, rules] as const))(
    'problem A resets the join rules in room v%s',
    (_, rules) => {
      const resolved = problemA(rules)
      expect(resolved.get('m.room.join_rules', '')).toBeUndefined()
      expect(resolved.get('m.room.member', BOB)).toBe(eventId('MB2'))
      expect(resolved.get('m.room.member', CHARLIE)).toBe(eventId('MC2'))
      expect(resolved.get('m.room.member', ALICE)).toBe(eventId('LEAVE'))
    },
  )

  it('problem A keeps the join rules in room v12', () => {
    const resolved = problemA(roomVersionRules('12')!)
    expect(resolved.get('m.room.join_rules', '')).toBe(eventId('JR1'))
    expect(resolved.get('m.room.member', BOB)).toBe(eventId('MB2'))
    expect(resolved.get('m.room.member', CHARLIE)).toBe(eventId('MC2'))
    expect(resolved.get('m.room.member', ALICE)).toBe(eventId('LEAVE'))
    expect(resolved.size).toBe(6)
  })

  it.each(V2_ROOMS.map((rules) => [rules.id, rules] as const))(
    'problem B resets the power levels in room v%s',
    (_, rules) => {
      const resolved = problemB(rules)
      expect(resolved.get('m.room.power_levels', '')).toBe(eventId('PL0'))
      expect(resolved.get('m.room.member', ZARA)).toBe(eventId('IMZ'))
      expect(resolved.get('m.room.member', EVELYN)).toBe(eventId('ME2'))
    },
  )

  it('problem B keeps the newest power levels in room v12 (conflicted subgraph)', () => {
    const resolved = problemB(roomVersionRules('12')!)
    expect(resolved.get('m.room.power_levels', '')).toBe(eventId('PL2'))
    expect(resolved.get('m.room.member', ZARA)).toBe(eventId('IMZ'))
    expect(resolved.get('m.room.member', EVELYN)).toBe(eventId('ME2'))
    expect(resolved.size).toBe(8)
  })
})

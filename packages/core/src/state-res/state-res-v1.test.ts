import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { roomVersionRules } from '../room-versions/room-versions.js'
import { eventId } from '../testing/pdu-fixtures.js'
import {
  ALICE,
  BOB,
  EVELYN,
  RoomDag,
  ZARA,
  changedSince,
  stateOf,
} from '../testing/state-res-dag.js'
import { resolveState } from './resolve.js'

const V1 = roomVersionRules('1')!

/** Alice is admin, Bob has 50; topics need 50. */
function room(): RoomDag {
  const dag = new RoomDag(V1, resolveState).openRoom()
  dag.add({
    id: 'PX',
    type: 'm.room.power_levels',
    sender: ALICE,
    stateKey: '',
    content: { users: { [ALICE]: 100, [BOB]: 50 }, events: { 'm.room.topic': 50 } },
  })
  dag.add({ id: 'START', type: 'm.room.message', sender: ZARA, content: {} })
  return dag
}

function mergeOf(dag: RoomDag, ...tips: string[]): string[] {
  dag.add({ id: 'END', type: 'm.room.message', sender: ZARA, prev: tips })
  return changedSince(dag.stateAfter('END'), dag.stateAfter('START'))
}

const filler = (dag: RoomDag, id: string, prev?: string[]) =>
  dag.add({ id, type: 'm.room.message', sender: ZARA, content: {}, ...(prev ? { prev } : {}) })
const topic = (dag: RoomDag, id: string, sender: string, prev?: string[]) =>
  dag.add({
    id,
    type: 'm.room.topic',
    sender,
    stateKey: '',
    content: { topic: id },
    ...(prev ? { prev } : {}),
  })
const powerLevels = (
  dag: RoomDag,
  id: string,
  sender: string,
  users: Record<string, number>,
  prev?: string[],
) =>
  dag.add({
    id,
    type: 'm.room.power_levels',
    sender,
    stateKey: '',
    content: { users, events: { 'm.room.topic': 50 } },
    ...(prev ? { prev } : {}),
  })
const sha1Hex = (name: string) => createHash('sha1').update(eventId(name)).digest('hex')

describe('state resolution v1 (room v1)', () => {
  it('replays conflicting power levels by ascending depth: the deeper allowed one wins', () => {
    const dag = room()
    powerLevels(dag, 'PA', ALICE, { [ALICE]: 100, [BOB]: 50, [ZARA]: 10 })
    filler(dag, 'F1', ['START'])
    filler(dag, 'F2')
    powerLevels(dag, 'PB', ALICE, { [ALICE]: 100, [BOB]: 50, [ZARA]: 20 })
    expect(mergeOf(dag, 'PA', 'PB')).toEqual(['PB'])
  })

  it('stops at the first power levels the auth rules reject', () => {
    const dag = room()
    powerLevels(dag, 'PA', ALICE, { [ALICE]: 100, [BOB]: 0 })
    filler(dag, 'F1', ['START'])
    // Bob, deeper in the graph, grants Zara power; after PA he has none.
    powerLevels(dag, 'PB', BOB, { [ALICE]: 100, [BOB]: 50, [ZARA]: 50 })
    expect(mergeOf(dag, 'PA', 'PB')).toEqual(['PA'])
  })

  it('a ban beats a join whatever their depths', () => {
    const deepJoin = room()
    deepJoin.member('BAN', ALICE, EVELYN, 'ban')
    filler(deepJoin, 'F1', ['START'])
    deepJoin.member('JOIN', EVELYN, EVELYN, 'join')
    expect(mergeOf(deepJoin, 'BAN', 'JOIN')).toEqual(['BAN'])

    const deepBan = room()
    deepBan.member('JOIN', EVELYN, EVELYN, 'join')
    filler(deepBan, 'F1', ['START'])
    deepBan.member('BAN', ALICE, EVELYN, 'ban')
    expect(mergeOf(deepBan, 'BAN', 'JOIN')).toEqual(['BAN'])
  })

  it('other keys take the deepest event that passes the auth rules', () => {
    const dag = room()
    topic(dag, 'TA', ALICE)
    filler(dag, 'F1', ['START'])
    // Zara has no power to set the topic, so her deeper topic loses.
    topic(dag, 'TZ', ZARA)
    expect(mergeOf(dag, 'TA', 'TZ')).toEqual(['TA'])

    const allowed = room()
    topic(allowed, 'TA', ALICE)
    filler(allowed, 'F1', ['START'])
    topic(allowed, 'TB', BOB)
    expect(mergeOf(allowed, 'TA', 'TB')).toEqual(['TB'])
  })

  it('other keys fall back to the shallowest event when none passes', () => {
    const dag = room()
    topic(dag, 'TZ1', ZARA)
    filler(dag, 'F1', ['START'])
    topic(dag, 'TZ2', ZARA)
    expect(mergeOf(dag, 'TZ1', 'TZ2')).toEqual(['TZ1'])
  })

  it('breaks depth ties by sha1(event_id): the smaller hash wins', () => {
    const dag = room()
    topic(dag, 'TOPIC_A', ALICE)
    topic(dag, 'TOPIC_B', ALICE, ['START'])
    const smaller = sha1Hex('TOPIC_A') < sha1Hex('TOPIC_B') ? 'TOPIC_A' : 'TOPIC_B'
    expect(mergeOf(dag, 'TOPIC_A', 'TOPIC_B')).toEqual([smaller])

    const pls = room()
    powerLevels(pls, 'PL_A', ALICE, { [ALICE]: 100, [BOB]: 50, [ZARA]: 1 })
    powerLevels(pls, 'PL_B', ALICE, { [ALICE]: 100, [BOB]: 50, [ZARA]: 2 }, ['START'])
    // Ascending depth then descending hash: the larger hash goes in first, the smaller replaces it.
    const smallerPl = sha1Hex('PL_A') < sha1Hex('PL_B') ? 'PL_A' : 'PL_B'
    expect(mergeOf(pls, 'PL_A', 'PL_B')).toEqual([smallerPl])
  })

  it('keeps keys that only some state sets have, and returns a lone state set unchanged', () => {
    const dag = room()
    topic(dag, 'TA', ALICE)
    dag.member('JE', EVELYN, EVELYN, 'join', ['START'])
    expect(mergeOf(dag, 'TA', 'JE')).toEqual(['JE', 'TA'])
    const alone = dag.stateAfter('TA')
    expect(resolveState([alone], dag.fetch, V1)).toEqual({ ok: true, value: alone })
    expect(resolveState([], dag.fetch, V1)).toEqual({ ok: true, value: stateOf([]) })
  })

  it('fails with M_NOT_FOUND when a conflicted event or an event of R is missing', () => {
    const dag = room()
    topic(dag, 'TA', ALICE)
    topic(dag, 'TB', BOB, ['START'])
    const sets = [dag.stateAfter('TA'), dag.stateAfter('TB')]
    const withoutTb = resolveState(sets, (id) => (id === '$TB' ? undefined : dag.fetch(id)), V1)
    expect(withoutTb.ok ? '' : withoutTb.error.error).toContain('$TB')
    const withoutPower = resolveState(sets, (id) => (id === '$PX' ? undefined : dag.fetch(id)), V1)
    expect(withoutPower.ok ? '' : withoutPower.error.error).toContain('$PX')
  })

  it('fails when an event of R that a conflicted power levels event needs is missing', () => {
    const dag = room()
    powerLevels(dag, 'PA', ALICE, { [ALICE]: 100, [BOB]: 50, [ZARA]: 10 })
    powerLevels(dag, 'PB', ALICE, { [ALICE]: 100, [BOB]: 50, [ZARA]: 20 }, ['START'])
    const sets = [dag.stateAfter('PA'), dag.stateAfter('PB')]
    const result = resolveState(sets, (id) => (id === '$IMA' ? undefined : dag.fetch(id)), V1)
    expect(result.ok ? '' : result.error.error).toContain('$IMA')
  })
})

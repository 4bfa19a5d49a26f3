import { describe, expect, it } from 'vitest'
import { pdu } from '../../../core/src/testing/pdu-fixtures.js'
import {
  roomVersionRules,
  type EventId,
  type JsonObject,
  type Pdu,
  type RoomId,
  type RoomVersionRules,
  type UserId,
} from '@rhizome/core'
import type { EventTemplate } from './event-pipeline.js'
import {
  planUpgrade,
  portablePowerLevels,
  quietenedPowerLevels,
  type UpgradeSource,
} from './room-upgrade-plan.js'

const alice = '@alice:example.org' as UserId
const bob = '@bob:example.org' as UserId
const carol = '@carol:example.org' as UserId
const oldRoomId = '!old:example.org' as RoomId

function rules(version: string): RoomVersionRules {
  const found = roomVersionRules(version)
  if (found === undefined) throw new Error(`no room version ${version}`)
  return found
}

let n = 0
function state(type: string, content: JsonObject, stateKey = ''): Pdu & { stateKey: string } {
  return { ...pdu({ id: `e${++n}`, type, sender: alice, stateKey, content }), stateKey }
}

function source(version: string, events: (Pdu & { stateKey: string })[]): UpgradeSource {
  return {
    upgrader: alice,
    oldRoomId,
    oldRules: rules(version),
    state: events,
    lastEventId: '$last' as EventId,
  }
}

const ofType = (events: readonly EventTemplate[], type: string): EventTemplate[] =>
  events.filter((e) => e.type === type)

describe('planUpgrade', () => {
  it('makes finite power levels portable and keeps the predecessor event before v12', () => {
    const plan = planUpgrade(
      source('1', [
        state('m.room.create', { creator: alice, 'm.federate': false }),
        state('m.room.power_levels', {
          users: { [alice]: '100', [bob]: 50.7, 'not a user': 3 },
          events: { 'm.room.name': '50', 'm.room.power_levels': 100 },
          state_default: ' 50 ',
          ban: 'lots',
          notifications: { room: '20' },
          'org.example.extra': true,
        }),
        state('m.room.name', { name: 'Old' }),
      ]),
      rules('10'),
      [bob],
    )
    expect(plan.createContent).toEqual({
      room_version: '10',
      creator: alice,
      predecessor: { room_id: oldRoomId, event_id: '$last' },
      'm.federate': false,
    })
    const [join, powerLevels, name] = plan.events
    expect(join).toEqual({
      type: 'm.room.member',
      stateKey: alice,
      sender: alice,
      content: { membership: 'join' },
    })
    expect(powerLevels?.content).toEqual({
      users: { [alice]: 100, [bob]: 50 },
      events: { 'm.room.name': 50, 'm.room.power_levels': 100 },
      state_default: 50,
      notifications: { room: 20 },
      'org.example.extra': true,
    })
    expect(name?.content).toEqual({ name: 'Old' })
    // The upgrader had all the power needed: nothing to put back.
    expect(ofType(plan.events, 'm.room.power_levels')).toHaveLength(1)
  })

  it('lists creators only in the create event from v12, with a tombstone level', () => {
    const plan = planUpgrade(
      source('11', [
        state('m.room.create', { type: 'm.space' }),
        state('m.room.power_levels', {
          users: { [alice]: 100, [bob]: 100, [carol]: 50 },
          events: { 'm.room.name': 50 },
          state_default: 60,
        }),
        state('m.space.child', { via: ['example.org'] }, '!b:example.org'),
        state('m.space.child', {}, '!gone:example.org'),
        state('m.space.child', { via: ['example.org'] }, '!a:example.org'),
        state('m.room.member', { membership: 'ban' }, bob),
        state('m.room.member', { membership: 'ban', reason: 'spam', displayname: 'C' }, carol),
      ]),
      rules('12'),
      [bob, alice, bob],
    )
    expect(plan.createContent).toEqual({
      room_version: '12',
      type: 'm.space',
      predecessor: { room_id: oldRoomId },
      additional_creators: [bob],
    })
    const [powerLevels] = ofType(plan.events, 'm.room.power_levels')
    expect(powerLevels?.content).toEqual({
      users: { [carol]: 50 },
      events: { 'm.room.name': 50, 'm.room.tombstone': 150 },
      state_default: 60,
    })
    expect(ofType(plan.events, 'm.space.child').map((e) => e.stateKey)).toEqual([
      '!a:example.org',
      '!b:example.org',
    ])
    // bob is a creator now, so his ban (which the auth rules would refuse) is left out.
    expect(ofType(plan.events, 'm.room.member').slice(1)).toEqual([
      {
        type: 'm.room.member',
        stateKey: carol,
        sender: alice,
        content: { membership: 'ban', reason: 'spam' },
      },
    ])
  })

  it('raises an upgrader who cannot copy everything, then puts their level back', () => {
    const original = {
      users: { [alice]: 50, [bob]: 100, [carol]: 75 },
      events: { 'm.room.tombstone': 50, 'm.room.server_acl': 90 },
      ban: 80,
    }
    const plan = planUpgrade(
      source('11', [
        state('m.room.create', {}),
        state('m.room.power_levels', original),
        state('m.room.member', { membership: 'ban' }, bob),
        state('m.room.member', { membership: 'ban' }, carol),
      ]),
      rules('11'),
      [bob],
    )
    expect(plan.createContent).toEqual({
      room_version: '11',
      predecessor: { room_id: oldRoomId, event_id: '$last' },
    })
    const levels = ofType(plan.events, 'm.room.power_levels')
    expect(levels.map((e) => e.content)).toEqual([
      { ...original, users: { ...original.users, [alice]: 90 } },
      original,
    ])
    // The last event puts the levels back; bob (above the raised upgrader) stays unbanned.
    expect(plan.events.at(-1)?.type).toBe('m.room.power_levels')
    expect(
      ofType(plan.events, 'm.room.member')
        .filter((e) => e.content['membership'] === 'ban')
        .map((e) => e.stateKey),
    ).toEqual([carol])
  })
})

describe('quietenedPowerLevels', () => {
  it('raises events_default and invite to the greater of 50 and users_default + 1', () => {
    expect(quietenedPowerLevels({ users_default: 0, invite: 0 }, rules('10'))).toEqual({
      users_default: 0,
      invite: 50,
      events_default: 50,
    })
    expect(quietenedPowerLevels({ users_default: 60, events_default: 70 }, rules('10'))).toEqual({
      users_default: 60,
      events_default: 70,
      invite: 61,
    })
    expect(quietenedPowerLevels({ events_default: 50, invite: 100 }, rules('10'))).toBeUndefined()
  })

  it('reads the old room version numbers', () => {
    expect(quietenedPowerLevels({ events_default: '60', invite: '50' }, rules('5'))).toBeUndefined()
  })
})

describe('portablePowerLevels', () => {
  it('drops values that are not power levels', () => {
    expect(
      portablePowerLevels(
        { kick: 'x', events: { a: true, b: 3 }, users: { '@x:y': '99999999999999999999' } },
        rules('6'),
      ),
    ).toEqual({ events: { b: 3 }, users: {} })
  })
})

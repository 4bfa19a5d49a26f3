import { describe, expect, it } from 'vitest'
import { StateMap } from '../events/state-map.js'
import type { JsonObject } from '../json/json.js'
import { roomVersionRules } from '../room-versions/room-versions.js'
import { ALICE, BOB, CAROL, DAVE, RoomFixture } from '../testing/auth-fixtures.js'
import {
  DEFAULT_POWER_LEVELS,
  POWER_LEVEL_NAMES,
  namedPowerLevel,
  notificationPowerLevel,
  parsePowerLevels,
  powerLevelOfUser,
  powerLevelsFromState,
  readPowerLevels,
  requiredPowerLevel,
  userPowerLevel,
} from './power-levels.js'

const V1 = roomVersionRules('1')!
const V6 = roomVersionRules('6')!
const V10 = roomVersionRules('10')!
const V11 = roomVersionRules('11')!
const V12 = roomVersionRules('12')!

// The example of client-server-api §m.room.power_levels.
const EXAMPLE: JsonObject = {
  ban: 50,
  events: { 'm.room.name': 100, 'm.room.power_levels': 100 },
  events_default: 0,
  invite: 50,
  kick: 50,
  redact: 50,
  state_default: 50,
  users: { '@example:localhost': 100 },
  users_default: 0,
  notifications: { room: 20 },
}

describe('readPowerLevels', () => {
  it('reads the spec example', () => {
    const { powerLevels, levelsProblem, eventsProblem, notificationsProblem, usersProblem } =
      readPowerLevels(EXAMPLE, V10)
    expect(powerLevels.levels).toEqual({
      ban: 50,
      events_default: 0,
      invite: 50,
      kick: 50,
      redact: 50,
      state_default: 50,
      users_default: 0,
    })
    expect([...powerLevels.events]).toEqual([
      ['m.room.name', 100],
      ['m.room.power_levels', 100],
    ])
    expect([...powerLevels.users]).toEqual([['@example:localhost', 100]])
    expect(powerLevels.notifications.get('room')).toBe(20)
    expect([levelsProblem, eventsProblem, notificationsProblem, usersProblem]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ])
  })

  it('keeps only what the event sets, so absent and default can be told apart', () => {
    const { powerLevels } = readPowerLevels({ ban: 50 }, V10)
    expect(powerLevels.levels).toEqual({ ban: 50 })
    expect(powerLevels.events.size + powerLevels.users.size + powerLevels.notifications.size).toBe(
      0,
    )
  })

  it('reads the stringy example of v1-v9 and the floaty one of v1-v5', () => {
    const stringy = readPowerLevels(
      {
        ban: '50',
        events: { 'm.room.power_levels': '100' },
        events_default: '0',
        state_default: '50',
        users: { '@example:localhost': '100' },
        users_default: '0',
      },
      V6,
    )
    expect(stringy.powerLevels.levels).toEqual({
      ban: 50,
      events_default: 0,
      state_default: 50,
      users_default: 0,
    })
    expect(stringy.powerLevels.users.get('@example:localhost')).toBe(100)
    const floaty = readPowerLevels(
      { users: { '@alice:localhost': 50, '@bob:localhost': 50.57 } },
      V1,
    )
    expect(floaty.powerLevels.users.get('@bob:localhost')).toBe(50)
    expect(floaty.usersProblem).toBeUndefined()
  })

  it('leaves out each bad value and names the first problem of each part', () => {
    const reading = readPowerLevels(
      {
        ban: '50',
        kick: 40,
        events: { a: 1, b: 'x' },
        notifications: [],
        users: { 'not-a-user': 1, [ALICE]: 100, [BOB]: null },
      },
      V10,
    )
    expect(reading.powerLevels.levels).toEqual({ kick: 40 })
    expect([...reading.powerLevels.events]).toEqual([['a', 1]])
    expect(reading.powerLevels.notifications.size).toBe(0)
    expect([...reading.powerLevels.users]).toEqual([[ALICE, 100]])
    expect(reading.levelsProblem).toBe('content.ban is not an integer')
    expect(reading.eventsProblem).toBe('a value in content.events is not an integer')
    expect(reading.notificationsProblem).toBe('content.notifications is not an object')
    expect(reading.usersProblem).toBe('content.users has a key that is not a valid user ID')
  })

  it('names the formats a room version accepts in its problems', () => {
    expect(readPowerLevels({ ban: 'x' }, V6).levelsProblem).toBe(
      'content.ban is not an integer or a string holding one',
    )
    expect(readPowerLevels({ ban: 'x' }, V1).levelsProblem).toBe(
      'content.ban is not a number or a string holding an integer',
    )
  })

  it('treats keys like __proto__ as ordinary keys', () => {
    const content = JSON.parse(
      '{"events":{"__proto__":5,"constructor":6},"users":{"@__proto__:a.example":7}}',
    ) as JsonObject
    const { powerLevels } = readPowerLevels(content, V10)
    expect(powerLevels.events.get('__proto__')).toBe(5)
    expect(powerLevels.events.get('constructor')).toBe(6)
    expect(powerLevels.users.get('@__proto__:a.example')).toBe(7)
    expect(powerLevels.events.get('toString')).toBeUndefined()
  })

  it('reads each content once per number format', () => {
    const content: JsonObject = { users: { [ALICE]: '100' } }
    expect(readPowerLevels(content, V6)).toBe(readPowerLevels(content, roomVersionRules('9')!))
    expect(readPowerLevels(content, V10)).not.toBe(readPowerLevels(content, V6))
    expect(readPowerLevels(content, V10).powerLevels.users.size).toBe(0)
  })

  it('reads a large users map', () => {
    const users: Record<string, number> = {}
    for (let i = 0; i < 20_000; i++) users[`@user${i}:example.org`] = i % 100
    const { powerLevels, usersProblem } = readPowerLevels({ users }, V10)
    expect(powerLevels.users.size).toBe(20_000)
    expect(powerLevels.users.get('@user12345:example.org')).toBe(45)
    expect(usersProblem).toBeUndefined()
  })
})

describe('parsePowerLevels', () => {
  it('returns the levels of valid content', () => {
    const parsed = parsePowerLevels(EXAMPLE, V12)
    expect(parsed.ok && parsed.value.levels.invite).toBe(50)
  })

  it.each<[JsonObject, string]>([
    [{ kick: 'x' }, 'content.kick'],
    [{ events: { a: 'x' } }, 'content.events'],
    [{ notifications: 'x' }, 'content.notifications'],
    [{ users: { bob: 1 } }, 'content.users'],
  ])('refuses %j with M_INVALID_PARAM', (content, where) => {
    const parsed = parsePowerLevels(content, V12)
    expect(parsed.ok).toBe(false)
    if (!parsed.ok) {
      expect(parsed.error.errcode).toBe('M_INVALID_PARAM')
      expect(parsed.error.error).toContain(where)
    }
  })
})

describe('levels with defaults', () => {
  const none = undefined
  const some = readPowerLevels(
    { ban: 70, events: { 'm.room.name': 10 }, state_default: 40, events_default: 5 },
    V10,
  ).powerLevels

  it('has the spec defaults, with and without a power-levels event', () => {
    expect(DEFAULT_POWER_LEVELS).toEqual({
      users_default: 0,
      events_default: 0,
      state_default: 50,
      ban: 50,
      redact: 50,
      kick: 50,
      invite: 0,
    })
    for (const name of POWER_LEVEL_NAMES) {
      expect(namedPowerLevel(none, name)).toBe(DEFAULT_POWER_LEVELS[name])
    }
    expect(namedPowerLevel(some, 'ban')).toBe(70)
    expect(namedPowerLevel(some, 'kick')).toBe(50)
  })

  it('gives the level to send an event type', () => {
    expect(requiredPowerLevel(none, 'm.room.name', true)).toBe(50)
    expect(requiredPowerLevel(none, 'm.room.message', false)).toBe(0)
    expect(requiredPowerLevel(some, 'm.room.name', true)).toBe(10)
    expect(requiredPowerLevel(some, 'm.room.name', false)).toBe(10)
    expect(requiredPowerLevel(some, 'm.room.topic', true)).toBe(40)
    expect(requiredPowerLevel(some, 'm.room.message', false)).toBe(5)
  })

  it('gives notification levels: room defaults to 50, other keys have no default', () => {
    expect(notificationPowerLevel(none, 'room')).toBe(50)
    expect(notificationPowerLevel(none, 'other')).toBeUndefined()
    const set = readPowerLevels({ notifications: { room: 20, other: 5 } }, V10).powerLevels
    expect(notificationPowerLevel(set, 'room')).toBe(20)
    expect(notificationPowerLevel(set, 'other')).toBe(5)
  })
})

describe('user power levels', () => {
  it('v1-v11 without power levels: the creator has 100 and everyone else 0', () => {
    for (const rules of [V1, V10, V11]) {
      const r = new RoomFixture(rules, { powerLevels: null })
      const state = r.stateWith()
      expect(userPowerLevel(ALICE, state, rules)).toBe(100)
      expect(userPowerLevel(BOB, state, rules)).toBe(0)
    }
  })

  it('v1-v10 take the creator from content.creator, v11 from the sender', () => {
    const creatorBob = (rules: typeof V1) =>
      new RoomFixture(rules, { powerLevels: null, createContent: { creator: BOB } }).stateWith()
    expect(userPowerLevel(BOB, creatorBob(V10), V10)).toBe(100)
    expect(userPowerLevel(ALICE, creatorBob(V10), V10)).toBe(0)
    expect(userPowerLevel(ALICE, creatorBob(V11), V11)).toBe(100)
    expect(userPowerLevel(BOB, creatorBob(V11), V11)).toBe(0)
  })

  it('with power levels: users, then users_default; the creator has no special level', () => {
    const r = new RoomFixture(V10, { powerLevels: { users: { [ALICE]: 20 }, users_default: 7 } })
    const state = r.stateWith()
    expect(userPowerLevel(ALICE, state, V10)).toBe(20)
    expect(userPowerLevel(BOB, state, V10)).toBe(50)
    expect(userPowerLevel(CAROL, state, V10)).toBe(7)
  })

  it('v12: creators are infinite with or without power levels; others as usual', () => {
    const withCreators = { createContent: { additional_creators: [BOB] } }
    for (const powerLevels of [null, { users: { [CAROL]: 30 } }]) {
      const state = new RoomFixture(V12, { ...withCreators, powerLevels }).stateWith()
      expect(userPowerLevel(ALICE, state, V12)).toBe(Infinity)
      expect(userPowerLevel(BOB, state, V12)).toBe(Infinity)
      expect(userPowerLevel(CAROL, state, V12)).toBe(powerLevels === null ? 0 : 30)
      expect(userPowerLevel(DAVE, state, V12)).toBe(0)
    }
  })

  it('without a create event nobody is a creator', () => {
    const state = new StateMap([['m.room.power_levels', '', new RoomFixture(V12).base[2]!]])
    expect(userPowerLevel(ALICE, state, V12)).toBe(0)
    expect(userPowerLevel(BOB, state, V12)).toBe(50)
    expect(userPowerLevel(ALICE, new StateMap(), V1)).toBe(0)
  })

  it('powerOfUser works from parts and powerLevelsFromState finds the event', () => {
    const r = new RoomFixture(V10)
    const levels = powerLevelsFromState(r.stateWith(), V10)
    expect(levels?.users.get(BOB)).toBe(50)
    expect(powerLevelsFromState(r.stateWithout('m.room.power_levels'), V10)).toBeUndefined()
    expect(powerLevelOfUser(BOB, levels, new Set([BOB]), V10)).toBe(50)
    expect(powerLevelOfUser(BOB, undefined, new Set([BOB]), V10)).toBe(100)
    expect(powerLevelOfUser(BOB, levels, new Set([BOB]), V12)).toBe(Infinity)
  })
})

import type { RoomId, UserId } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import {
  eventMatches,
  hasUrl,
  roomEventMatches,
  roomListed,
  storageEventFilter,
  storageRoomEventFilter,
  typeMatches,
} from './event-match.js'
import { DEFAULT_SYNC_FILTER, type RoomEventFilterRules } from './sync-filter.js'

const a = '@a:test' as UserId
const b = '@b:test' as UserId
const room1 = '!one:test' as RoomId
const room2 = '!two:test' as RoomId
const none = DEFAULT_SYNC_FILTER.room.timeline

describe('typeMatches', () => {
  it.each<[string, string[], boolean]>([
    ['m.room.message', ['m.room.message'], true],
    ['m.room.message', ['m.room.*'], true],
    ['m.room.message', ['*'], true],
    ['m.room.message', ['m.*.message'], true],
    ['m.room.message', ['m.room'], false],
    ['m.roomXmessage', ['m.room.message'], false],
    ['m.room.message', [], false],
    ['a(b)', ['a(b)'], true],
    ['a+b', ['a+*'], true],
    ['line\nbreak', ['line*'], true],
    ['m.room.message', ['x', 'm.room.mess*'], true],
    ['anything', ['[a-z]*'], false],
    ['m.message', ['m.*.message'], false],
    ['abb', ['a*b*b'], true],
    ['ab', ['a*b*b'], false],
    ['a', ['a*a'], false],
    ['m.room.', ['m.room.*'], true],
    ['', ['*'], true],
  ])('%j against %j is %j', (type, patterns, expected) => {
    expect(typeMatches(type, patterns)).toBe(expected)
  })
})

describe('eventMatches', () => {
  it('includes everything without lists, and lets exclusions win', () => {
    expect(eventMatches(none, { type: 'x', sender: a })).toBe(true)
    const rules = {
      ...none,
      types: ['m.*'],
      notTypes: ['m.typing'],
      senders: [a, b],
      notSenders: [b],
    }
    expect(eventMatches(rules, { type: 'm.room.message', sender: a })).toBe(true)
    expect(eventMatches(rules, { type: 'm.typing', sender: a })).toBe(false)
    expect(eventMatches(rules, { type: 'org.x', sender: a })).toBe(false)
    expect(eventMatches(rules, { type: 'm.room.message', sender: b })).toBe(false)
    expect(eventMatches({ ...none, senders: [b] }, { type: 'm.x', sender: a })).toBe(false)
    // Account data has no sender: sender lists do not apply.
    expect(eventMatches(rules, { type: 'm.direct' })).toBe(true)
  })
})

describe('roomEventMatches', () => {
  const event = { type: 'm.room.message', sender: a, roomId: room1, content: { url: 'mxc://x/y' } }
  it('applies rooms and contains_url', () => {
    expect(roomEventMatches(none, event)).toBe(true)
    const onlyTwo: RoomEventFilterRules = { ...none, rooms: [room2] }
    expect(roomEventMatches(onlyTwo, event)).toBe(false)
    expect(roomEventMatches({ ...none, containsUrl: true }, event)).toBe(true)
    expect(roomEventMatches({ ...none, containsUrl: false }, event)).toBe(false)
    expect(roomEventMatches({ ...none, containsUrl: true }, { ...event, content: {} })).toBe(false)
    expect(roomEventMatches({ ...none, notTypes: ['m.room.*'] }, event)).toBe(false)
  })

  it('has hasUrl look for a string url', () => {
    expect(hasUrl({ url: 'mxc://a/b' })).toBe(true)
    expect(hasUrl({ url: null })).toBe(false)
    expect(hasUrl({ body: 'url' })).toBe(false)
  })
})

describe('roomListed', () => {
  it('lets not_rooms win over rooms', () => {
    expect(roomListed({ rooms: undefined, notRooms: [] }, room1)).toBe(true)
    expect(roomListed({ rooms: [room1], notRooms: [] }, room1)).toBe(true)
    expect(roomListed({ rooms: [room1], notRooms: [room1] }, room1)).toBe(false)
    expect(roomListed({ rooms: [], notRooms: [] }, room1)).toBe(false)
  })
})

describe('storageEventFilter', () => {
  it('passes types and senders, and nothing for an empty filter', () => {
    expect(storageEventFilter(none)).toBeUndefined()
    expect(
      storageEventFilter({ ...none, types: [], notTypes: ['x'], senders: [a], notSenders: [b] }),
    ).toEqual({ types: [], notTypes: ['x'], senders: [a], notSenders: [b] })
  })
})

describe('storageRoomEventFilter', () => {
  it('adds contains_url and the ignored users to what SQL applies', () => {
    expect(storageRoomEventFilter(none)).toBeUndefined()
    expect(storageRoomEventFilter(none, new Set())).toBeUndefined()
    expect(storageRoomEventFilter({ ...none, containsUrl: false })).toEqual({ containsUrl: false })
    expect(storageRoomEventFilter({ ...none, types: ['m.*'] }, new Set([a, b]))).toEqual({
      types: ['m.*'],
      ignoredSenders: [a, b],
    })
    // rooms are not storage's: the caller chooses the rooms it reads.
    expect(storageRoomEventFilter({ ...none, rooms: [room1], notRooms: [room2] })).toBeUndefined()
  })
})

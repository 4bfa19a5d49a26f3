import type { JsonObject } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import {
  DEFAULT_SYNC_FILTER,
  MAX_FILTER_LIST,
  NO_ROOM_EVENT_FILTER,
  parseRoomEventFilter,
  parseRoomEventFilterParam,
  parseSyncFilter,
} from './sync-filter.js'

function problem(json: JsonObject): string {
  const parsed = parseSyncFilter(json)
  if (parsed.ok) throw new Error('expected a problem')
  expect(parsed.error.errcode).toBe('M_BAD_JSON')
  return parsed.error.error
}

describe('parseSyncFilter', () => {
  it('reads the empty filter as the default one', () => {
    expect(parseSyncFilter({})).toEqual({ ok: true, value: DEFAULT_SYNC_FILTER })
  })

  it('reads every key of the spec', () => {
    const parsed = parseSyncFilter({
      event_fields: ['type', 'content.body'],
      event_format: 'federation',
      presence: { not_types: ['*'] },
      account_data: { types: ['m.direct'], limit: 3 },
      room: {
        rooms: ['!a:test'],
        not_rooms: ['!b:test'],
        include_leave: true,
        timeline: {
          limit: 5,
          types: ['m.room.*'],
          not_types: ['m.room.member'],
          senders: ['@a:test'],
          not_senders: ['@spam:test'],
          rooms: ['!a:test'],
          not_rooms: ['!c:test'],
          contains_url: false,
        },
        state: { lazy_load_members: true, include_redundant_members: true },
        ephemeral: { not_types: ['m.typing'] },
        account_data: { unread_thread_notifications: true },
        some_future_key: 1,
      },
      unknown_top_level: 'ignored',
    })
    expect(parsed.ok).toBe(true)
    if (!parsed.ok) return
    const f = parsed.value
    expect(f.eventFields).toEqual([['type'], ['content', 'body']])
    expect(f.eventFormat).toBe('federation')
    expect(f.presence.notTypes).toEqual(['*'])
    expect(f.accountData).toMatchObject({ types: ['m.direct'], limit: 3 })
    expect(f.room).toMatchObject({ rooms: ['!a:test'], notRooms: ['!b:test'], includeLeave: true })
    expect(f.room.timeline).toEqual({
      limit: 5,
      types: ['m.room.*'],
      notTypes: ['m.room.member'],
      senders: ['@a:test'],
      notSenders: ['@spam:test'],
      rooms: ['!a:test'],
      notRooms: ['!c:test'],
      containsUrl: false,
      lazyLoadMembers: false,
      includeRedundantMembers: false,
      unreadThreadNotifications: false,
    })
    expect(f.room.state).toMatchObject({ lazyLoadMembers: true, includeRedundantMembers: true })
    expect(f.room.ephemeral.notTypes).toEqual(['m.typing'])
    expect(f.room.accountData.unreadThreadNotifications).toBe(true)
  })

  it('accepts a limit of 0 (clients use it) and empty lists (which match nothing)', () => {
    const parsed = parseSyncFilter({ room: { timeline: { limit: 0, types: [] } } })
    expect(parsed.ok && parsed.value.room.timeline).toMatchObject({ limit: 0, types: [] })
  })

  it.each<[JsonObject, string]>([
    [{ event_fields: 'type' }, 'event_fields must be an array'],
    [{ event_fields: [1] }, 'event_fields[0] must be a string'],
    [{ event_fields: [''] }, 'event_fields[0] is not a field path'],
    [{ event_fields: Array.from({ length: 101 }, () => 'type') }, 'more than 100'],
    [{ event_format: 'raw' }, 'event_format'],
    [{ room: [] }, 'room must be an object'],
    [{ presence: 'x' }, 'presence must be an object'],
    [{ account_data: { types: 'm.direct' } }, 'account_data.types must be an array'],
    [{ room: { timeline: { limit: -1 } } }, 'room.timeline.limit'],
    [{ room: { timeline: { limit: 1.5 } } }, 'room.timeline.limit'],
    [{ room: { timeline: { limit: '10' } } }, 'room.timeline.limit'],
    [{ room: { timeline: { limit: 2 ** 60 } } }, 'room.timeline.limit'],
    [{ room: { state: { lazy_load_members: 'yes' } } }, 'room.state.lazy_load_members'],
    [{ room: { include_leave: 1 } }, 'room.include_leave must be a boolean'],
    [{ room: { rooms: ['#alias:test'] } }, 'room.rooms[0] is not a room ID'],
    [{ room: { not_rooms: [null] } }, 'room.not_rooms[0] must be a string'],
    [{ room: { timeline: { senders: ['alice'] } } }, 'room.timeline.senders[0] is not a user ID'],
    [{ room: { ephemeral: { not_senders: [{}] } } }, 'room.ephemeral.not_senders[0]'],
    [{ room: { account_data: { contains_url: null } } }, 'room.account_data.contains_url'],
    [{ room: { timeline: 5 } }, 'room.timeline must be an object'],
    [
      { room: { timeline: { types: Array.from({ length: MAX_FILTER_LIST + 1 }, () => 'x') } } },
      'more than 1000',
    ],
  ])('rejects %j with M_BAD_JSON naming the key', (json, message) => {
    expect(problem(json)).toContain(message)
  })

  it('reports the first problem of several', () => {
    expect(problem({ event_format: 'x', room: { include_leave: 1 } })).toContain('event_format')
  })
})

describe('parseRoomEventFilterParam (/messages, /context)', () => {
  it('reads every RoomEventFilter key, as a sync filter reads them', () => {
    const json = {
      types: ['m.*'],
      not_types: ['m.room.member'],
      senders: ['@a:example.org'],
      not_senders: ['@b:example.org'],
      limit: 5,
      lazy_load_members: true,
      include_redundant_members: true,
      unread_thread_notifications: true,
      contains_url: false,
      rooms: ['!in:example.org'],
      not_rooms: ['!out:example.org'],
    }
    const parsed = parseRoomEventFilterParam(JSON.stringify(json))
    expect(parsed).toEqual({
      ok: true,
      value: {
        types: ['m.*'],
        notTypes: ['m.room.member'],
        senders: ['@a:example.org'],
        notSenders: ['@b:example.org'],
        limit: 5,
        lazyLoadMembers: true,
        includeRedundantMembers: true,
        unreadThreadNotifications: true,
        containsUrl: false,
        rooms: ['!in:example.org'],
        notRooms: ['!out:example.org'],
      },
    })
    // The same object in a sync filter's timeline reads the same.
    const sync = parseSyncFilter({ room: { timeline: json } })
    expect(sync.ok && sync.value.room.timeline).toEqual(parsed.ok && parsed.value)
  })

  it('treats no filter as the empty one', () => {
    expect(parseRoomEventFilterParam(null)).toEqual({ ok: true, value: NO_ROOM_EVENT_FILTER })
    expect(parseRoomEventFilterParam('')).toEqual({ ok: true, value: NO_ROOM_EVENT_FILTER })
    expect(parseRoomEventFilterParam('{}')).toEqual({ ok: true, value: NO_ROOM_EVENT_FILTER })
  })

  it.each([
    '{',
    '[]',
    '"x"',
    '{"types": "m.room.message"}',
    '{"types": [1]}',
    '{"senders": {}}',
    '{"senders": ["junk"]}',
    '{"limit": -1}',
    '{"limit": 0}',
    '{"limit": 1.5}',
    '{"limit": "5"}',
    '{"contains_url": "yes"}',
    '{"include_redundant_members": 0}',
    '{"rooms": ["#alias:example.org"]}',
    '{"a":'.repeat(200) + '1' + '}'.repeat(200),
    JSON.stringify({ types: ['x'.repeat(70_000)] }),
  ])('refuses %s with M_INVALID_PARAM', (raw) => {
    expect(parseRoomEventFilterParam(raw)).toMatchObject({
      ok: false,
      error: { errcode: 'M_INVALID_PARAM' },
    })
  })

  it('reports body problems as M_BAD_JSON unless told otherwise', () => {
    expect(parseRoomEventFilter({ limit: 'x' })).toMatchObject({
      ok: false,
      error: {
        errcode: 'M_BAD_JSON',
        error: 'Invalid filter: filter.limit must be a whole number >= 1',
      },
    })
    expect(parseRoomEventFilter({ limit: 'x' }, 'M_INVALID_PARAM')).toMatchObject({
      ok: false,
      error: { errcode: 'M_INVALID_PARAM' },
    })
  })
})

import type { EventId, Pdu, RoomId, UserId } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import {
  EMPTY_FILTER,
  matchesFilter,
  parseRoomEventFilterParam,
  storageFilter,
  typeMatches,
} from './room-event-filter.js'

function pdu(type: string, sender: string, content: Record<string, unknown> = {}): Pdu {
  return {
    eventId: '$e' as EventId,
    roomId: '!r:example.org' as RoomId,
    sender: sender as UserId,
    type,
    content: content as Pdu['content'],
    originServerTs: 0,
    depth: 1,
    prevEvents: [],
    authEvents: [],
    json: {},
  }
}

describe('typeMatches', () => {
  it.each([
    ['m.room.message', 'm.room.message', true],
    ['m.room.message', 'm.room.messages', false],
    ['m.*', 'm.room.message', true],
    ['*', '', true],
    ['*.message', 'm.room.message', true],
    ['m.*.message', 'm.room.message', true],
    ['m.*.message', 'm.message', false],
    ['a*b*b', 'abb', true],
    ['a*b*b', 'ab', false],
    ['a*a', 'a', false],
    ['m.room.*', 'm.room.', true],
  ])('%s matches %s: %s', (pattern, type, expected) => {
    expect(typeMatches(pattern, type)).toBe(expected)
  })
})

describe('parseRoomEventFilterParam', () => {
  it('reads every field it knows', () => {
    const parsed = parseRoomEventFilterParam(
      JSON.stringify({
        types: ['m.*'],
        not_types: ['m.room.member'],
        senders: ['@a:example.org', 'junk'],
        not_senders: ['@b:example.org'],
        limit: 5,
        lazy_load_members: true,
        include_redundant_members: true,
        contains_url: false,
        rooms: ['!ignored:example.org'],
      }),
    )
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
        containsUrl: false,
      },
    })
  })

  it('treats no filter as the empty one', () => {
    expect(parseRoomEventFilterParam(null)).toEqual({ ok: true, value: EMPTY_FILTER })
    expect(parseRoomEventFilterParam('')).toEqual({ ok: true, value: EMPTY_FILTER })
    expect(storageFilter(EMPTY_FILTER)).toBeUndefined()
  })

  it.each([
    '{',
    '[]',
    '"x"',
    '{"types": "m.room.message"}',
    '{"types": [1]}',
    '{"senders": {}}',
    '{"limit": -1}',
    '{"limit": 1.5}',
    '{"limit": "5"}',
    '{"contains_url": "yes"}',
    '{"include_redundant_members": 0}',
    '{"a":'.repeat(200) + '1' + '}'.repeat(200),
    JSON.stringify({ types: ['x'.repeat(70_000)] }),
  ])('refuses %s with M_INVALID_PARAM', (raw) => {
    expect(parseRoomEventFilterParam(raw)).toMatchObject({
      ok: false,
      error: { errcode: 'M_INVALID_PARAM' },
    })
  })
})

describe('matchesFilter', () => {
  const filter = {
    ...EMPTY_FILTER,
    types: ['m.room.*'],
    notTypes: ['m.room.member'],
    senders: ['@a:example.org' as UserId],
    notSenders: ['@b:example.org' as UserId],
  }

  it('applies types, senders and their exclusions', () => {
    expect(matchesFilter(filter, pdu('m.room.message', '@a:example.org'))).toBe(true)
    expect(matchesFilter(filter, pdu('m.room.member', '@a:example.org'))).toBe(false)
    expect(matchesFilter(filter, pdu('m.reaction', '@a:example.org'))).toBe(false)
    expect(matchesFilter(filter, pdu('m.room.message', '@c:example.org'))).toBe(false)
    const excluded = { ...EMPTY_FILTER, notSenders: ['@b:example.org' as UserId] }
    expect(matchesFilter(excluded, pdu('x', '@b:example.org'))).toBe(false)
    expect(matchesFilter(excluded, pdu('x', '@a:example.org'))).toBe(true)
    expect(storageFilter(filter)).toEqual({
      types: filter.types,
      notTypes: filter.notTypes,
      senders: filter.senders,
      notSenders: filter.notSenders,
    })
  })

  it('applies contains_url both ways', () => {
    const withUrl = pdu('m.room.message', '@a:example.org', { url: 'mxc://x/y' })
    const without = pdu('m.room.message', '@a:example.org', { url: 5 })
    expect(matchesFilter({ ...EMPTY_FILTER, containsUrl: true }, withUrl)).toBe(true)
    expect(matchesFilter({ ...EMPTY_FILTER, containsUrl: true }, without)).toBe(false)
    expect(matchesFilter({ ...EMPTY_FILTER, containsUrl: false }, without)).toBe(true)
    expect(matchesFilter({ ...EMPTY_FILTER, containsUrl: false }, withUrl)).toBe(false)
  })
})

import type { JsonObject, RoomId } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import { readHierarchyAnswer } from './hierarchy-answer.js'

const SPACE = '!space:b.example' as RoomId

const summary = (roomId: string, extra: JsonObject = {}): JsonObject => ({
  room_id: roomId,
  num_joined_members: 3,
  world_readable: false,
  guest_can_join: false,
  ...extra,
})

const childEvent = (
  stateKey: string,
  content: JsonObject = { via: ['b.example'] },
): JsonObject => ({
  type: 'm.space.child',
  state_key: stateKey,
  sender: '@bob:b.example',
  content,
  origin_server_ts: 1000,
})

describe('readHierarchyAnswer', () => {
  it('keeps a well-formed answer, with only the fields a chunk has', () => {
    const answer = readHierarchyAnswer(
      {
        room: summary(SPACE, {
          name: 'Space',
          room_type: 'm.space',
          join_rule: 'public',
          room_version: '12',
          canonical_alias: '#space:b.example',
          encryption: 'm.megolm.v1.aes-sha2',
          'org.example.extra': true,
          children_state: [childEvent('!a:b.example')],
        }),
        children: [summary('!a:b.example', { name: 'A', children_state: [] })],
        inaccessible_children: ['!secret:b.example'],
      },
      SPACE,
    )
    expect(answer?.room).toEqual({
      ...summary(SPACE),
      name: 'Space',
      room_type: 'm.space',
      join_rule: 'public',
      room_version: '12',
      canonical_alias: '#space:b.example',
      encryption: 'm.megolm.v1.aes-sha2',
      children_state: [childEvent('!a:b.example')],
    })
    expect([...(answer?.children.values() ?? [])]).toEqual([
      { ...summary('!a:b.example'), name: 'A', children_state: [] },
    ])
    expect([...(answer?.inaccessibleChildren ?? [])]).toEqual(['!secret:b.example'])
  })

  it('refuses an answer whose room is missing, malformed or another room', () => {
    for (const body of [
      null,
      [],
      { children: [], inaccessible_children: [] },
      { room: summary('!other:b.example', { children_state: [] }) },
      { room: summary(SPACE, { num_joined_members: '3' }) },
      { room: summary(SPACE, { world_readable: 'no' }) },
      { room: { room_id: SPACE, world_readable: false, guest_can_join: false } },
      { room: summary('not a room ID') },
    ]) {
      expect(readHierarchyAnswer(body, SPACE), JSON.stringify(body)).toBeUndefined()
    }
  })

  it('drops malformed children, child events and fields, and keeps the rest', () => {
    const answer = readHierarchyAnswer(
      {
        room: summary(SPACE, {
          name: 7,
          canonical_alias: 'not an alias',
          encryption: 'rot13',
          allowed_room_ids: ['!ok:b.example', 'nonsense', 3],
          children_state: [
            childEvent('!a:b.example'),
            childEvent('!novia:b.example', {}),
            childEvent('!emptyvia:b.example', { via: [] }),
            childEvent('not a room'),
            { ...childEvent('!ts:b.example'), origin_server_ts: 'now' },
            { ...childEvent('!type:b.example'), type: 'm.space.parent' },
            { ...childEvent('!sender:b.example'), sender: 'bob' },
            'not an event',
          ],
        }),
        children: [
          summary('!a:b.example'),
          summary('!b:b.example', { num_joined_members: -1 }),
          summary('!c:b.example', { guest_can_join: null }),
          { name: 'no room ID' },
          summary(SPACE),
          summary('!a:b.example', { name: 'again' }),
        ],
        inaccessible_children: ['!x:b.example', 5, 'bad'],
      },
      SPACE,
    )
    expect(answer?.room).toEqual({
      ...summary(SPACE),
      allowed_room_ids: ['!ok:b.example'],
      children_state: [childEvent('!a:b.example')],
    })
    expect([...(answer?.children.keys() ?? [])]).toEqual(['!a:b.example'])
    expect(answer?.children.get('!a:b.example' as RoomId)?.name).toBeUndefined()
    expect([...(answer?.inaccessibleChildren ?? [])]).toEqual(['!x:b.example'])
  })

  it('takes missing lists as empty', () => {
    const answer = readHierarchyAnswer({ room: summary(SPACE) }, SPACE)
    expect(answer?.room.children_state).toEqual([])
    expect(answer?.children.size).toBe(0)
    expect(answer?.inaccessibleChildren.size).toBe(0)
  })
})

import { err, type JsonObject, type RoomId, type ServerName } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import { answer, FakeRequester } from '../../testing/fake-key-servers.js'
import {
  HIERARCHY_ANSWER_MS,
  HIERARCHY_NO_ANSWER_MS,
  MAX_KEPT_HIERARCHIES,
  RemoteHierarchyCache,
} from './remote-hierarchy.js'
import { createRemoteQueries } from './remote-queries.js'

const HERE = 'a.example' as ServerName
const B = 'b.example' as ServerName
const C = 'c.example' as ServerName
const DOWN = 'down.example' as ServerName
const SPACE = '!space:b.example' as RoomId

const description = (roomId: string): JsonObject => ({
  room: {
    room_id: roomId,
    num_joined_members: 2,
    world_readable: false,
    guest_can_join: false,
    join_rule: 'public',
    children_state: [],
  },
  children: [],
  inaccessible_children: [],
})

function setUp() {
  const requester = new FakeRequester()
  let clock = 1_000_000
  const cache = new RemoteHierarchyCache({
    remote: createRemoteQueries(requester),
    serverName: HERE,
    now: () => clock,
  })
  return {
    requester,
    cache,
    advance: (ms: number) => {
      clock += ms
    },
  }
}

describe('RemoteHierarchyCache', () => {
  it('asks the via servers in order until one answers, with suggested_only', async () => {
    const { requester, cache } = setUp()
    requester.on(C, () => answer(description(SPACE)))
    const found = await cache.get(SPACE, [HERE, DOWN, C, B], true)
    expect(found?.room.room_id).toBe(SPACE)
    // This server is never asked about a room it does not hold, and B is not reached.
    expect(requester.calls.map((c) => [c.destination, c.path, c.query])).toEqual([
      [
        DOWN,
        `/_matrix/federation/v1/hierarchy/${encodeURIComponent(SPACE)}`,
        { suggested_only: 'true' },
      ],
      [
        C,
        `/_matrix/federation/v1/hierarchy/${encodeURIComponent(SPACE)}`,
        { suggested_only: 'true' },
      ],
    ])
  })

  it('passes over a server whose answer is malformed or about another room', async () => {
    const { requester, cache } = setUp()
    requester.on(DOWN, () => answer(description('!other:b.example')))
    requester.on(C, () => answer({ room: 'nothing' }))
    requester.on(B, () => answer(description(SPACE)))
    expect((await cache.get(SPACE, [DOWN, C, B], false))?.room.room_id).toBe(SPACE)
    expect(requester.calls.map((c) => c.destination)).toEqual([DOWN, C, B])
  })

  it('keeps answers five minutes, apart for suggested_only', async () => {
    const { requester, cache, advance } = setUp()
    requester.on(B, () => answer(description(SPACE)))
    expect(cache.isKnown(SPACE, [B], false)).toBe(false)
    await cache.get(SPACE, [B], false)
    expect(cache.isKnown(SPACE, [B], false)).toBe(true)
    // Another via does not matter once the room is described.
    expect(cache.isKnown(SPACE, [C], false)).toBe(true)
    await cache.get(SPACE, [C], false)
    expect(requester.calls.length).toBe(1)
    expect(cache.isKnown(SPACE, [B], true)).toBe(false)
    await cache.get(SPACE, [B], true)
    expect(requester.calls.length).toBe(2)
    advance(HIERARCHY_ANSWER_MS)
    expect(cache.isKnown(SPACE, [B], false)).toBe(false)
    await cache.get(SPACE, [B], false)
    expect(requester.calls.length).toBe(3)
  })

  it('keeps that no server answered for a minute, for those servers', async () => {
    const { requester, cache, advance } = setUp()
    expect(await cache.get(SPACE, [DOWN], false)).toBeUndefined()
    expect(await cache.get(SPACE, [DOWN], false)).toBeUndefined()
    expect(requester.calls.length).toBe(1)
    expect(cache.isKnown(SPACE, [DOWN], false)).toBe(true)
    // Other servers may know the room.
    expect(cache.isKnown(SPACE, [DOWN, B], false)).toBe(false)
    requester.on(B, () => answer(description(SPACE)))
    expect((await cache.get(SPACE, [DOWN, B], false))?.room.room_id).toBe(SPACE)
    advance(HIERARCHY_NO_ANSWER_MS)
    requester.on(DOWN, () => err({ kind: 'http', status: 404, body: null, message: 'gone' }))
    expect(cache.isKnown(SPACE, [DOWN], false)).toBe(true)
  })

  it('asks three servers at most, and shares one request between concurrent callers', async () => {
    const { requester, cache } = setUp()
    const many = ['d1.example', 'd2.example', 'd3.example', 'd4.example'] as ServerName[]
    expect(await cache.get(SPACE, many, false)).toBeUndefined()
    expect(requester.calls.map((c) => c.destination)).toEqual(many.slice(0, 3))

    const other = '!other:b.example' as RoomId
    requester.on(B, () => answer(description(other)))
    const [first, second] = await Promise.all([
      cache.get(other, [B], false),
      cache.get(other, [B], false),
    ])
    expect(first).toBe(second)
    expect(requester.callsTo(B).length).toBe(1)
  })

  it('keeps a bounded number of answers, dropping the oldest', async () => {
    const { requester, cache } = setUp()
    requester.on(B, (call) => {
      const roomId = decodeURIComponent(call.path.split('/').at(-1) ?? '')
      return answer(description(roomId))
    })
    const room = (i: number): RoomId => `!r${i}:b.example` as RoomId
    for (let i = 0; i <= MAX_KEPT_HIERARCHIES; i++) await cache.get(room(i), [B], false)
    expect(cache.isKnown(room(0), [B], false)).toBe(false)
    expect(cache.isKnown(room(1), [B], false)).toBe(true)
    expect(cache.isKnown(room(MAX_KEPT_HIERARCHIES), [B], false)).toBe(true)
  })
})

describe('remote queries: hierarchy', () => {
  it('passes the remote 404 on and makes a malformed answer a 502', async () => {
    const requester = new FakeRequester()
    const queries = createRemoteQueries(requester)
    requester.on(B, () =>
      err({ kind: 'http', status: 404, body: { errcode: 'M_NOT_FOUND' }, message: '' }),
    )
    const missing = await queries.hierarchy(B, SPACE, false)
    expect(!missing.ok && missing.error.errcode).toBe('M_NOT_FOUND')
    requester.on(B, () => answer({ room: {} }))
    const malformed = await queries.hierarchy(B, SPACE, false)
    expect(!malformed.ok && malformed.error.status).toBe(502)
  })
})

import { randomUUID } from 'node:crypto'
import { request as httpRequest } from 'node:http'
import Database from 'better-sqlite3'
import pg from 'pg'
import { describe, expect, it } from 'vitest'
import type { TestUser } from '../../testing/fake-authenticate.js'
import { expectMatchesSpec } from '../../testing/openapi-spec.js'
import { roomTestStorages } from '../../testing/room-storages.js'
import { useSyncTestServer, type SyncTestServer } from '../../testing/sync-test-server.js'

const V3 = '/_matrix/client/v3'

interface Event {
  readonly event_id: string
  readonly type: string
  readonly sender: string
  readonly state_key?: string
  readonly content: Record<string, unknown>
  readonly unsigned?: Record<string, unknown>
}
interface Timeline {
  readonly events: Event[]
  readonly limited: boolean
  readonly prev_batch?: string
}
interface JoinedRoom {
  readonly summary?: Record<string, unknown>
  readonly state?: { events: Event[] }
  readonly state_after?: { events: Event[] }
  readonly timeline: Timeline
  readonly account_data?: { events: { type: string; content: Record<string, unknown> }[] }
}
interface SyncBody {
  readonly next_batch: string
  readonly rooms: {
    readonly join: Record<string, JoinedRoom>
    readonly invite: Record<string, { invite_state: { events: Event[] } }>
    readonly knock: Record<string, unknown>
    readonly leave: Record<string, JoinedRoom>
  }
  readonly account_data: { events: { type: string; content: Record<string, unknown> }[] }
}

async function sync(
  t: SyncTestServer,
  user: TestUser,
  params: Record<string, string> = {},
  checkSchema = true,
): Promise<SyncBody> {
  const reply = await t.call('GET', `${V3}/sync?${new URLSearchParams(params).toString()}`, {
    user,
  })
  if (reply.status !== 200) throw new Error(`sync failed: ${JSON.stringify(reply)}`)
  if (checkSchema) {
    expectMatchesSpec('client-server', 'sync.yaml', 'GET', `${V3}/sync`, 200, reply.body)
  }
  return reply.body as SyncBody
}

async function createRoom(t: SyncTestServer, user: TestUser, body: object = {}): Promise<string> {
  const reply = await t.call('POST', `${V3}/createRoom`, { user, body })
  expect(reply.status).toBe(200)
  return (reply.body as { room_id: string }).room_id
}

const path = (roomId: string, rest: string): string =>
  `${V3}/rooms/${encodeURIComponent(roomId)}/${rest}`

let txn = 0
async function send(
  t: SyncTestServer,
  user: TestUser,
  roomId: string,
  body: string,
): Promise<string> {
  const reply = await t.call('PUT', path(roomId, `send/m.room.message/t${++txn}`), {
    user,
    body: { msgtype: 'm.text', body },
  })
  expect(reply.status).toBe(200)
  return (reply.body as { event_id: string }).event_id
}

async function post(
  t: SyncTestServer,
  user: TestUser,
  url: string,
  body: object = {},
): Promise<void> {
  const reply = await t.call('POST', url, { user, body })
  expect(reply.status, JSON.stringify(reply.body)).toBe(200)
}

/**
 * Counts the SQL statements run while `work` runs, on SQLite (statement executions) and on
 * PostgreSQL (client queries). This process only runs the test's server, so every statement is
 * the request's.
 */
async function countSqlStatements(work: () => Promise<unknown>): Promise<number> {
  const probe = new Database(':memory:')
  const sqliteProto = Object.getPrototypeOf(probe.prepare('SELECT 1')) as Record<string, unknown>
  probe.close()
  const pgProto = pg.Client.prototype as unknown as Record<string, unknown>
  const patched: [Record<string, unknown>, string, unknown][] = []
  let count = 0
  const patch = (proto: Record<string, unknown>, name: string): void => {
    const original = proto[name] as (...args: unknown[]) => unknown
    patched.push([proto, name, original])
    proto[name] = function (this: unknown, ...args: unknown[]) {
      count++
      return original.apply(this, args)
    }
  }
  for (const name of ['all', 'get', 'run', 'iterate']) patch(sqliteProto, name)
  patch(pgProto, 'query')
  try {
    await work()
  } finally {
    for (const [proto, name, original] of patched) proto[name] = original
  }
  return count
}

const bodies = (events: readonly Event[]): unknown[] => events.map((e) => e.content['body'])
const types = (events: readonly Event[]): string[] => events.map((e) => e.type)

for (const kind of roomTestStorages()) {
  describe(`GET /sync on ${kind.name}`, () => {
    const start = useSyncTestServer(kind)

    it('gives an initial sync with the room, its timeline and the state before it', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const roomId = await createRoom(t, alice, { name: 'Lobby', preset: 'public_chat' })
      await send(t, alice, roomId, 'one')
      await send(t, alice, roomId, 'two')

      const all = await sync(t, alice)
      const room = all.rooms.join[roomId]
      expect(room).toBeDefined()
      // Everything fits in the default timeline of 10: the state before it is empty.
      expect(room?.timeline.events[0]?.type).toBe('m.room.create')
      expect(bodies(room?.timeline.events ?? []).slice(-2)).toEqual(['one', 'two'])
      expect(room?.timeline.limited).toBe(false)
      expect(room?.state?.events).toEqual([])
      expect(room?.summary).toEqual({
        'm.heroes': [],
        'm.joined_member_count': 1,
        'm.invited_member_count': 0,
      })
      expect(all.next_batch).toMatch(/^t[0-9]+$/)
      // Events of /sync carry no room_id, and always an age.
      expect(room?.timeline.events[0]).not.toHaveProperty('room_id')
      expect(typeof room?.timeline.events[0]?.unsigned?.['age']).toBe('number')

      // A short timeline: the state at its start holds the rest, and it says it is limited.
      const short = await sync(t, alice, {
        filter: JSON.stringify({ room: { timeline: { limit: 2 } } }),
      })
      const shortRoom = short.rooms.join[roomId]
      expect(bodies(shortRoom?.timeline.events ?? [])).toEqual(['one', 'two'])
      expect(shortRoom?.timeline.limited).toBe(true)
      const stateTypes = types(shortRoom?.state?.events ?? [])
      for (const type of ['m.room.create', 'm.room.member', 'm.room.power_levels', 'm.room.name']) {
        expect(stateTypes).toContain(type)
      }
      expect(shortRoom?.state?.events.find((e) => e.type === 'm.room.name')?.content).toEqual({
        name: 'Lobby',
      })
    })

    it('carries to-device messages, device list changes and key counts, as the schema says', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const bob = await t.users.user('bob')
      for (const user of [alice, bob]) {
        await t.storage.accounts.createDevice({
          userId: user.userId,
          deviceId: user.deviceId,
          createdTs: 1,
        })
      }
      const roomId = await createRoom(t, alice, { preset: 'public_chat' })
      await t.call('POST', `${V3}/join/${encodeURIComponent(roomId)}`, { user: bob, body: {} })
      const first = await sync(t, alice)
      const upload = await t.storage.e2eKeys.uploadKeys({
        userId: bob.userId,
        deviceId: bob.deviceId,
        deviceKeys: { user_id: bob.userId, device_id: bob.deviceId, keys: {}, algorithms: [] },
        oneTimeKeys: [],
        fallbackKeys: [{ algorithm: 'signed_curve25519', keyId: 'F', key: 'fallback' }],
      })
      expect(upload.kind).toBe('stored')
      await t.storage.toDevice.send({
        sender: bob.userId,
        senderDeviceId: bob.deviceId,
        txnId: 't1',
        type: 'm.room_key_request',
        messages: [{ userId: alice.userId, deviceId: alice.deviceId, content: { action: 'x' } }],
      })
      const next = (await sync(t, alice, { since: first.next_batch })) as SyncBody & {
        to_device?: { events: unknown[] }
        device_lists?: { changed: string[]; left: string[] }
        device_one_time_keys_count?: Record<string, number>
        device_unused_fallback_key_types?: string[]
      }
      expect(next.to_device?.events).toEqual([
        { sender: bob.userId, type: 'm.room_key_request', content: { action: 'x' } },
      ])
      expect(next.device_lists).toEqual({ changed: [bob.userId], left: [] })
      expect(next.device_one_time_keys_count).toEqual({})
      expect(next.device_unused_fallback_key_types).toEqual([])
      const bobs = (await sync(t, bob)) as SyncBody & {
        device_unused_fallback_key_types?: string[]
      }
      expect(bobs.device_unused_fallback_key_types).toEqual(['signed_curve25519'])
      // Bob leaves: Alice hears she shares no room with him any more.
      await t.call('POST', path(roomId, 'leave'), { user: bob, body: {} })
      const after = (await sync(t, alice, { since: next.next_batch })) as SyncBody & {
        to_device?: unknown
        device_lists?: { changed: string[]; left: string[] }
      }
      expect(after.to_device).toBeUndefined()
      expect(after.device_lists).toEqual({ changed: [], left: [bob.userId] })
    })

    it('gives only what is new in an incremental sync, exactly once', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const roomId = await createRoom(t, alice)
      const first = await sync(t, alice)
      await send(t, alice, roomId, 'new')
      const second = await sync(t, alice, { since: first.next_batch })
      expect(Object.keys(second.rooms.join)).toEqual([roomId])
      const room = second.rooms.join[roomId]
      expect(bodies(room?.timeline.events ?? [])).toEqual(['new'])
      expect(room?.timeline.limited).toBe(false)
      expect(room?.state?.events).toEqual([])
      // No member changed: no summary is needed.
      expect(room?.summary).toBeUndefined()
      const third = await sync(t, alice, { since: second.next_batch })
      expect(third.rooms.join).toEqual({})
      expect(third.next_batch).toBe(second.next_batch)
    })

    it('limits a long gap, with a state delta and a prev_batch that /messages continues from', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const roomId = await createRoom(t, alice)
      const first = await sync(t, alice)
      const sent: string[] = []
      for (let i = 0; i < 15; i++) sent.push(await send(t, alice, roomId, `m${i}`))
      await t.call('PUT', path(roomId, 'state/m.room.topic/'), {
        user: alice,
        body: { topic: 'T' },
      })
      for (let i = 15; i < 20; i++) sent.push(await send(t, alice, roomId, `m${i}`))

      const filter = JSON.stringify({ room: { timeline: { limit: 4 } } })
      const gap = await sync(t, alice, { since: first.next_batch, filter })
      const room = gap.rooms.join[roomId]
      expect(room?.timeline.limited).toBe(true)
      expect(bodies(room?.timeline.events ?? [])).toEqual(['m16', 'm17', 'm18', 'm19'])
      // The topic changed in the gap: the delta says so.
      expect(room?.state?.events.map((e) => [e.type, e.content])).toEqual([
        ['m.room.topic', { topic: 'T' }],
      ])
      const prevBatch = room?.timeline.prev_batch ?? ''
      const back = await t.call(
        'GET',
        `${path(roomId, 'messages')}?dir=b&limit=3&from=${encodeURIComponent(prevBatch)}`,
        { user: alice },
      )
      expect(back.status).toBe(200)
      const chunk = (back.body as { chunk: Event[] }).chunk
      expect(bodies(chunk)).toEqual(['m15', undefined, 'm14'])
      expect(chunk[1]?.type).toBe('m.room.topic')

      // The spec's way to fill the gap: from the since token up to prev_batch, forwards.
      const fill = await t.call(
        'GET',
        `${path(roomId, 'messages')}?dir=f&limit=50&from=${first.next_batch}&to=${prevBatch}`,
        { user: alice },
      )
      const filled = (fill.body as { chunk: Event[] }).chunk
      expect(filled.map((e) => e.event_id)).toEqual([
        ...sent.slice(0, 15),
        chunk[1]?.event_id,
        sent[15],
      ])
    })

    it('long-polls until another user sends, and returns at once with the event', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const bob = await t.users.user('bob')
      const roomId = await createRoom(t, alice, { preset: 'public_chat' })
      await post(t, bob, path(roomId, 'join'))
      const first = await sync(t, alice)

      const started = performance.now()
      const waiting = sync(t, alice, { since: first.next_batch, timeout: '30000' })
      await new Promise((resolve) => setTimeout(resolve, 100))
      expect(t.wakeups.waiting).toBe(1)
      const sentAt = performance.now()
      const eventId = await send(t, bob, roomId, 'wake up')
      const woke = await waiting
      const latency = performance.now() - sentAt
      expect(performance.now() - started).toBeLessThan(2000)
      expect(latency).toBeLessThan(2000)
      expect(woke.rooms.join[roomId]?.timeline.events.map((e) => e.event_id)).toEqual([eventId])
      expect(t.wakeups.waiting).toBe(0)
    })

    it('stops a long-poll whose client hung up, without waiting for the timeout', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const first = await sync(t, alice)
      const url = new URL(`${t.server.url}${V3}/sync?since=${first.next_batch}&timeout=30000`)
      const request = httpRequest(url, {
        headers: { authorization: `Bearer ${alice.accessToken}` },
      })
      request.on('error', () => undefined)
      request.end()
      while (t.wakeups.waiting === 0) await new Promise((resolve) => setTimeout(resolve, 5))
      request.destroy()
      const deadline = performance.now() + 5000
      while (t.wakeups.waiting > 0 && performance.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
      expect(t.wakeups.waiting).toBe(0)
    })

    it('wakes a long-poll for an invite to a room it did not know', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const bob = await t.users.user('bob')
      const roomId = await createRoom(t, alice, { name: 'Secret' })
      const first = await sync(t, bob)
      const waiting = sync(t, bob, { since: first.next_batch, timeout: '30000' })
      await new Promise((resolve) => setTimeout(resolve, 50))
      await post(t, alice, path(roomId, 'invite'), { user_id: bob.userId })
      const woke = await waiting
      const invite = woke.rooms.invite[roomId]
      const stripped = invite?.invite_state.events ?? []
      expect(stripped.map((e) => e.type)).toEqual(
        expect.arrayContaining([
          'm.room.create',
          'm.room.join_rules',
          'm.room.name',
          'm.room.member',
        ]),
      )
      expect(stripped.at(-1)).toEqual({
        type: 'm.room.member',
        state_key: bob.userId,
        sender: alice.userId,
        content: { membership: 'invite' },
      })
      for (const event of stripped)
        expect(Object.keys(event).sort()).toEqual(['content', 'sender', 'state_key', 'type'])
      expect(woke.rooms.join).toEqual({})

      // Joining brings the whole room: full state, as for a room new to the client.
      await post(t, bob, path(roomId, 'join'))
      const joined = await sync(t, bob, { since: woke.next_batch })
      const room = joined.rooms.join[roomId]
      const all = [...(room?.state?.events ?? []), ...(room?.timeline.events ?? [])]
      expect(types(all)).toEqual(expect.arrayContaining(['m.room.create', 'm.room.name']))
      expect(room?.timeline.events.at(-1)).toMatchObject({
        type: 'm.room.member',
        state_key: bob.userId,
      })
      expect(room?.summary).toMatchObject({
        'm.joined_member_count': 2,
        'm.heroes': [alice.userId],
      })
      expect(room?.timeline.limited).toBe(true)
      expect(joined.rooms.invite).toEqual({})

      // A room created after the since point is all in its timeline: nothing is missing.
      const mine = await createRoom(t, bob)
      const created = await sync(t, bob, {
        since: joined.next_batch,
        filter: JSON.stringify({ room: { timeline: { limit: 50 } } }),
      })
      expect(created.rooms.join[mine]?.timeline.limited).toBe(false)
      expect(created.rooms.join[mine]?.timeline.events[0]?.type).toBe('m.room.create')
      expect(created.rooms.join[mine]?.state?.events).toEqual([])
    })

    it('times out with an empty, valid response that continues where it was', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const roomId = await createRoom(t, alice)
      const first = await sync(t, alice)
      const started = performance.now()
      const empty = await sync(t, alice, { since: first.next_batch, timeout: '300' })
      expect(performance.now() - started).toBeGreaterThanOrEqual(290)
      expect(empty).toEqual({
        next_batch: first.next_batch,
        rooms: { join: {}, invite: {}, knock: {}, leave: {} },
        account_data: { events: [] },
      })
      await send(t, alice, roomId, 'after')
      const next = await sync(t, alice, { since: empty.next_batch })
      expect(bodies(next.rooms.join[roomId]?.timeline.events ?? [])).toEqual(['after'])
    })

    it('keeps waiting through news it filters out', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const roomId = await createRoom(t, alice)
      const first = await sync(t, alice)
      const filter = JSON.stringify({ room: { timeline: { types: ['m.room.topic'] } } })
      const waiting = sync(t, alice, { since: first.next_batch, timeout: '30000', filter })
      await new Promise((resolve) => setTimeout(resolve, 50))
      await send(t, alice, roomId, 'filtered out')
      await new Promise((resolve) => setTimeout(resolve, 100))
      expect(t.wakeups.waiting).toBe(1)
      await t.call('PUT', path(roomId, 'state/m.room.topic/'), {
        user: alice,
        body: { topic: 'x' },
      })
      const woke = await waiting
      expect(types(woke.rooms.join[roomId]?.timeline.events ?? [])).toEqual(['m.room.topic'])
    })

    it('moves a room the user left to the leave section, up to the leave', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const bob = await t.users.user('bob')
      const roomId = await createRoom(t, alice, { preset: 'public_chat' })
      await post(t, bob, path(roomId, 'join'))
      const first = await sync(t, bob)
      await send(t, alice, roomId, 'before')
      await post(t, bob, path(roomId, 'leave'))
      await send(t, alice, roomId, 'after')
      const left = await sync(t, bob, { since: first.next_batch })
      expect(left.rooms.join).toEqual({})
      const room = left.rooms.leave[roomId]
      expect(bodies(room?.timeline.events ?? [])).toEqual(['before', undefined])
      expect(room?.timeline.events.at(-1)).toMatchObject({
        type: 'm.room.member',
        state_key: bob.userId,
        content: { membership: 'leave' },
      })
      // Only the next sync after the leave reports it.
      expect((await sync(t, bob, { since: left.next_batch })).rooms.leave).toEqual({})
      // An initial sync shows left rooms only when the filter asks.
      expect((await sync(t, bob)).rooms.leave).toEqual({})
      const withLeave = await sync(t, bob, {
        filter: JSON.stringify({ room: { include_leave: true } }),
      })
      expect(withLeave.rooms.leave[roomId]?.timeline.events.at(-1)?.content).toEqual({
        membership: 'leave',
      })
      expect(bodies(withLeave.rooms.leave[roomId]?.timeline.events ?? [])).not.toContain('after')
      // Once forgotten, the room is gone from the leave section too.
      await post(t, bob, path(roomId, 'forget'))
      const forgotten = await sync(t, bob, {
        filter: JSON.stringify({ room: { include_leave: true } }),
      })
      expect(forgotten.rooms.leave).toEqual({})
    })

    it('shows a rejected invite as a leave holding only the leave', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const bob = await t.users.user('bob')
      const roomId = await createRoom(t, alice)
      await post(t, alice, path(roomId, 'invite'), { user_id: bob.userId })
      const invited = await sync(t, bob)
      expect(Object.keys(invited.rooms.invite)).toEqual([roomId])
      await send(t, alice, roomId, 'private')
      await post(t, bob, path(roomId, 'leave'))
      const rejected = await sync(t, bob, { since: invited.next_batch })
      const room = rejected.rooms.leave[roomId]
      expect(room?.timeline.events.map((e) => [e.type, e.content['membership']])).toEqual([
        ['m.room.member', 'leave'],
      ])
      expect(room?.state?.events).toEqual([])
      expect(rejected.rooms.invite).toEqual({})
    })

    it('returns the full state on full_state, at once despite a timeout', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const roomId = await createRoom(t, alice, { name: 'Full' })
      const first = await sync(t, alice)
      const started = performance.now()
      const full = await sync(t, alice, {
        since: first.next_batch,
        full_state: 'true',
        timeout: '10000',
      })
      expect(performance.now() - started).toBeLessThan(2000)
      const room = full.rooms.join[roomId]
      expect(room?.timeline.events).toEqual([])
      expect(types(room?.state?.events ?? [])).toEqual(
        expect.arrayContaining(['m.room.create', 'm.room.member', 'm.room.name']),
      )
    })

    it('answers use_state_after with state_after, the state at the end of the timeline', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const roomId = await createRoom(t, alice)
      const first = await sync(t, alice)
      await t.call('PUT', path(roomId, 'state/m.room.topic/'), {
        user: alice,
        body: { topic: 'A' },
      })
      await send(t, alice, roomId, 'hi')
      const after = await sync(t, alice, { since: first.next_batch, use_state_after: 'true' })
      const room = after.rooms.join[roomId]
      expect(room?.state).toBeUndefined()
      expect(room?.state_after?.events.map((e) => e.content)).toEqual([{ topic: 'A' }])
      expect(types(room?.timeline.events ?? [])).toEqual(['m.room.topic', 'm.room.message'])
      // A filtered timeline hides the topic change; state_after still carries it.
      await t.call('PUT', path(roomId, 'state/m.room.topic/'), {
        user: alice,
        body: { topic: 'B' },
      })
      const filtered = await sync(t, alice, {
        since: after.next_batch,
        use_state_after: 'true',
        filter: JSON.stringify({ room: { timeline: { types: ['m.room.message'] } } }),
      })
      const hidden = filtered.rooms.join[roomId]
      expect(hidden?.timeline.events).toEqual([])
      expect(hidden?.state_after?.events.map((e) => e.content)).toEqual([{ topic: 'B' }])
    })

    it('applies stored and inline filters: limit, types, senders, rooms, fields, format', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const bob = await t.users.user('bob')
      const roomId = await createRoom(t, alice, { preset: 'public_chat' })
      const other = await createRoom(t, alice)
      await post(t, bob, path(roomId, 'join'))
      await send(t, alice, roomId, 'from alice')
      await send(t, bob, roomId, 'from bob')
      const created = await t.call(
        'POST',
        `${V3}/user/${encodeURIComponent(alice.userId)}/filter`,
        {
          user: alice,
          body: { room: { timeline: { limit: 1, types: ['m.room.mess*'] }, not_rooms: [other] } },
        },
      )
      const filterId = (created.body as { filter_id: string }).filter_id
      const stored = await sync(t, alice, { filter: filterId })
      expect(Object.keys(stored.rooms.join)).toEqual([roomId])
      expect(bodies(stored.rooms.join[roomId]?.timeline.events ?? [])).toEqual(['from bob'])

      const bySender = await sync(t, alice, {
        filter: JSON.stringify({ room: { timeline: { senders: [alice.userId], limit: 50 } } }),
      })
      const senders = new Set(bySender.rooms.join[roomId]?.timeline.events.map((e) => e.sender))
      expect([...senders]).toEqual([alice.userId])

      const notTypes = await sync(t, alice, {
        filter: JSON.stringify({ room: { timeline: { not_types: ['m.room.*'] } } }),
      })
      expect(notTypes.rooms.join[roomId]?.timeline.events).toEqual([])

      // Fields left out on request break the schema's required fields, so it is not checked.
      const fields = await sync(
        t,
        alice,
        {
          filter: JSON.stringify({
            event_fields: ['type', 'content.body'],
            room: { rooms: [roomId], timeline: { limit: 1 } },
          }),
        },
        false,
      )
      expect(fields.rooms.join[roomId]?.timeline.events).toEqual([
        { type: 'm.room.message', content: { body: 'from bob' } },
      ])

      // The federation format is the PDU, which has no event_id from room version 3 on.
      const federation = await sync(
        t,
        alice,
        {
          filter: JSON.stringify({
            event_format: 'federation',
            room: { rooms: [roomId], timeline: { limit: 1 } },
          }),
        },
        false,
      )
      const raw = federation.rooms.join[roomId]?.timeline.events[0] as unknown as Record<
        string,
        unknown
      >
      expect(raw).toMatchObject({ room_id: roomId, type: 'm.room.message' })
      expect(raw).toHaveProperty('hashes')
      expect(raw).toHaveProperty('auth_events')
    })

    it('lazy-loads members: only the timeline senders and the user', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const bob = await t.users.user('bob')
      const carol = await t.users.user('carol')
      const roomId = await createRoom(t, alice, { preset: 'public_chat', name: 'Named' })
      await post(t, bob, path(roomId, 'join'))
      await post(t, carol, path(roomId, 'join'))
      await send(t, carol, roomId, 'carol speaks')
      await send(t, bob, roomId, 'bob speaks')
      const lazy = JSON.stringify({
        room: { state: { lazy_load_members: true }, timeline: { limit: 1 } },
      })
      const initial = await sync(t, alice, { filter: lazy })
      const room = initial.rooms.join[roomId]
      const members = (room?.state?.events ?? []).filter((e) => e.type === 'm.room.member')
      // Heroes (bob, carol by join order) are included too, as the spec asks.
      expect(members.map((e) => e.state_key).sort()).toEqual(
        [alice.userId, bob.userId, carol.userId].sort(),
      )
      expect(room?.summary).toMatchObject({ 'm.joined_member_count': 3 })

      const later = await Promise.all(
        ['dave', 'ernie', 'fred', 'gina'].map((name) => t.users.user(name)),
      )
      for (const u of later) await post(t, u, path(roomId, 'join'))
      const gina = later[3] as TestUser
      await send(t, bob, roomId, 'bob again')
      const named = await sync(t, alice, {
        filter: JSON.stringify({
          room: { state: { lazy_load_members: true }, timeline: { limit: 1 } },
        }),
      })
      const namedMembers = (named.rooms.join[roomId]?.state?.events ?? [])
        .filter((e) => e.type === 'm.room.member')
        .map((e) => e.state_key)
      expect(namedMembers).toContain(bob.userId)
      expect(namedMembers).toContain(alice.userId)

      // Without lazy loading every member comes.
      const eager = await sync(t, alice, {
        filter: JSON.stringify({ room: { timeline: { limit: 1 } } }),
      })
      const everyone = (eager.rooms.join[roomId]?.state?.events ?? []).filter(
        (e) => e.type === 'm.room.member',
      )
      expect(everyone).toHaveLength(7)
      // Heroes are the first five to join: gina, the sixth, is none, and did not speak.
      expect(namedMembers).not.toContain(gina.userId)

      // Incremental: a new member's join in the gap comes even though they did not speak.
      const since = named.next_batch
      const harry = await t.users.user('harry')
      await post(t, harry, path(roomId, 'join'))
      for (let i = 0; i < 3; i++) await send(t, bob, roomId, `b${i}`)
      const gap = await sync(t, alice, {
        since,
        filter: JSON.stringify({
          room: { state: { lazy_load_members: true }, timeline: { limit: 2 } },
        }),
      })
      const gapMembers = (gap.rooms.join[roomId]?.state?.events ?? [])
        .filter((e) => e.type === 'm.room.member')
        .map((e) => e.state_key)
      expect(gapMembers).toContain(harry.userId)
      expect(gapMembers).toContain(bob.userId)
      expect(gapMembers).not.toContain(gina.userId)
    })

    it('delivers global and room account data once each', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const roomId = await createRoom(t, alice)
      const first = await sync(t, alice)
      const user = encodeURIComponent(alice.userId)
      await t.call('PUT', `${V3}/user/${user}/account_data/org.example.setting`, {
        user: alice,
        body: { theme: 'dark' },
      })
      await t.call(
        'PUT',
        `${V3}/user/${user}/rooms/${encodeURIComponent(roomId)}/account_data/m.tag`,
        { user: alice, body: { tags: { 'm.favourite': {} } } },
      )
      const next = await sync(t, alice, { since: first.next_batch })
      expect(next.account_data.events).toEqual([
        { type: 'org.example.setting', content: { theme: 'dark' } },
      ])
      expect(next.rooms.join[roomId]?.account_data?.events).toEqual([
        { type: 'm.tag', content: { tags: { 'm.favourite': {} } } },
      ])
      expect(next.rooms.join[roomId]?.timeline.events).toEqual([])
      const again = await sync(t, alice, { since: next.next_batch })
      expect(again.account_data.events).toEqual([])
      expect(again.rooms.join).toEqual({})
      // An initial sync has all of it (and the push rules); the account_data filter narrows it.
      expect((await sync(t, alice)).account_data.events.map((e) => e.type)).toEqual([
        'm.push_rules',
        'org.example.setting',
      ])
      const none = await sync(t, alice, {
        filter: JSON.stringify({
          account_data: { not_types: ['*'] },
          room: { account_data: { types: [] } },
        }),
      })
      expect(none.account_data.events).toEqual([])
      expect(none.rooms.join[roomId]?.account_data).toBeUndefined()
    })

    it('gives the sending device its transaction ID, and nobody else', async () => {
      const t = await start()
      const phone = await t.users.user('alice', { deviceId: 'PHONE' })
      const laptop = await t.users.user('alice', { deviceId: 'LAPTOP' })
      const roomId = await createRoom(t, phone)
      const first = await sync(t, phone)
      const sent = await t.call('PUT', path(roomId, 'send/m.room.message/my-txn'), {
        user: phone,
        body: { msgtype: 'm.text', body: 'echo' },
      })
      expect(sent.status).toBe(200)
      const onPhone = await sync(t, phone, { since: first.next_batch })
      expect(onPhone.rooms.join[roomId]?.timeline.events[0]?.unsigned?.['transaction_id']).toBe(
        'my-txn',
      )
      const onLaptop = await sync(t, laptop, { since: first.next_batch })
      expect(onLaptop.rooms.join[roomId]?.timeline.events[0]?.unsigned).not.toHaveProperty(
        'transaction_id',
      )
    })

    it('wakes a long-poll for account data', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const first = await sync(t, alice)
      const waiting = sync(t, alice, { since: first.next_batch, timeout: '30000' })
      await new Promise((resolve) => setTimeout(resolve, 50))
      await t.call('PUT', `${V3}/user/${encodeURIComponent(alice.userId)}/account_data/x.y`, {
        user: alice,
        body: { a: 1 },
      })
      expect((await waiting).account_data.events).toEqual([{ type: 'x.y', content: { a: 1 } }])
    })

    it('hides history from before the join in a joined-only room', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const bob = await t.users.user('bob')
      const roomId = await createRoom(t, alice, { preset: 'public_chat' })
      await t.call('PUT', path(roomId, 'state/m.room.history_visibility/'), {
        user: alice,
        body: { history_visibility: 'joined' },
      })
      await send(t, alice, roomId, 'before bob')
      await post(t, bob, path(roomId, 'join'))
      await send(t, alice, roomId, 'after bob')
      const seen = await sync(t, bob)
      const events = seen.rooms.join[roomId]?.timeline.events ?? []
      expect(bodies(events)).not.toContain('before bob')
      expect(bodies(events)).toContain('after bob')
    })

    it('does a constant amount of storage work for an incremental sync with no news', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const bob = await t.users.user('bob')
      const measure = async (rooms: number): Promise<{ calls: number; sql: number }> => {
        for (let i = 0; i < rooms; i++) await createRoom(t, alice)
        const first = await sync(t, alice)
        // Somebody else's activity moves the stream without concerning alice.
        const elsewhere = await createRoom(t, bob)
        await send(t, bob, elsewhere, 'not for alice')
        t.calls.reset()
        let quiet: SyncBody | undefined
        const sql = await countSqlStatements(async () => {
          quiet = await sync(t, alice, { since: first.next_batch })
        })
        expect(quiet?.rooms.join).toEqual({})
        return { calls: t.calls.total(), sql }
      }
      const few = await measure(2)
      const many = await measure(20)
      console.log('incremental sync without news:', { few, many })
      expect(many.calls).toBe(few.calls)
      expect(many.calls).toBeLessThanOrEqual(5)
      expect(many.sql).toBe(few.sql)
      // The position, memberships and their changes, account data, the rooms with news, and one
      // read per kind of ephemeral event (typing, receipts), each for all rooms at once; for the
      // device, its acknowledged to-device messages, its key counts and queue in one read, and
      // the device list changes of room-mates.
      expect(many.sql).toBeLessThanOrEqual(10)

      // One new message in one of 22 rooms: a few more reads, for that room only.
      const before = await sync(t, alice)
      const busy = Object.keys(before.rooms.join)[0] ?? ''
      await send(t, alice, busy, 'news')
      let news: SyncBody | undefined
      const newsSql = await countSqlStatements(async () => {
        news = await sync(t, alice, { since: before.next_batch })
      })
      expect(Object.keys(news?.rooms.join ?? {})).toEqual([busy])
      console.log('incremental sync with one message in one of 22 rooms:', { sql: newsSql })
      // (A room with news may hold membership changes: who shares a room with alice is read too.)
      expect(newsSql).toBeLessThanOrEqual(15)

      // At the position it was given, a sync answers without reading anything but the position.
      const now = await sync(t, alice)
      t.calls.reset()
      await sync(t, alice, { since: now.next_batch })
      expect(Object.fromEntries(t.calls.counts)).toEqual({ 'streams.currentPosition': 1 })
    })

    it('costs no storage reads while it waits, whatever happens elsewhere', async () => {
      const t = await start()
      // Names of this test's own: on PostgreSQL, other tests' storages share the notification
      // channel, and their wake-ups for an @alice of theirs would wake this one's polls too.
      const tag = randomUUID().slice(0, 8)
      const alice = await t.users.user(`alice-${tag}`)
      const bob = await t.users.user(`bob-${tag}`)
      const mine = await createRoom(t, alice)
      const first = await sync(t, alice)
      let waiting = sync(t, alice, { since: first.next_batch, timeout: '30000' })
      // Background work on alice's own room (the push processor's counts) may still wake the
      // first poll; poll again from where it ended until one is parked.
      for (;;) {
        const ended = await Promise.race([
          waiting,
          new Promise<undefined>((resolve) =>
            setTimeout(() => {
              resolve(undefined)
            }, 5),
          ),
        ])
        if (ended === undefined && t.wakeups.waiting === 1) break
        if (ended !== undefined) {
          waiting = sync(t, alice, { since: ended.next_batch, timeout: '30000' })
        }
      }
      t.calls.reset()
      const theirs = await createRoom(t, bob)
      for (let i = 0; i < 5; i++) await send(t, bob, theirs, `elsewhere ${i}`)
      await t.call('PUT', `${V3}/user/${encodeURIComponent(bob.userId)}/account_data/x`, {
        user: bob,
        body: {},
      })
      await new Promise((resolve) => setTimeout(resolve, 50))
      expect(t.calls.total()).toBe(0)
      expect(t.wakeups.waiting).toBe(1)
      await send(t, alice, mine, 'mine')
      expect(bodies((await waiting).rooms.join[mine]?.timeline.events ?? [])).toEqual(['mine'])
    })

    it('refuses bad parameters and unknown filters', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const bob = await t.users.user('bob')
      const expectError = async (query: string, status: number, errcode: string): Promise<void> => {
        const reply = await t.call('GET', `${V3}/sync?${query}`, { user: alice })
        expect(reply, query).toMatchObject({ status, body: { errcode } })
      }
      await expectError('since=garbage', 400, 'M_INVALID_PARAM')
      await expectError('since=s1', 400, 'M_INVALID_PARAM')
      await expectError('since=t999999', 400, 'M_INVALID_PARAM')
      await expectError('timeout=soon', 400, 'M_INVALID_PARAM')
      await expectError('timeout=-1', 400, 'M_INVALID_PARAM')
      await expectError('full_state=yes', 400, 'M_INVALID_PARAM')
      await expectError('set_presence=busy', 400, 'M_INVALID_PARAM')
      await expectError(`filter=${encodeURIComponent('{nope')}`, 400, 'M_NOT_JSON')
      await expectError(`filter=${encodeURIComponent('{"room":[]}')}`, 400, 'M_BAD_JSON')
      await expectError('filter=12345', 400, 'M_INVALID_PARAM')
      // Another user's filter is not yours.
      const created = await t.call('POST', `${V3}/user/${encodeURIComponent(bob.userId)}/filter`, {
        user: bob,
        body: {},
      })
      const bobsFilter = (created.body as { filter_id: string }).filter_id
      await expectError(`filter=${bobsFilter}`, 400, 'M_INVALID_PARAM')
      const anonymous = await t.call('GET', `${V3}/sync`)
      expect(anonymous).toMatchObject({ status: 401, body: { errcode: 'M_MISSING_TOKEN' } })
      // set_presence is accepted; presence itself is not built.
      expect((await t.call('GET', `${V3}/sync?set_presence=offline`, { user: alice })).status).toBe(
        200,
      )
      expect((await t.call('GET', '/_matrix/client/r0/sync', { user: alice })).status).toBe(200)
    })
  })
}

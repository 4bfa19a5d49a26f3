import { describe, expect, it } from 'vitest'
import { expectMatchesSpec } from '../../testing/openapi-spec.js'
import { roomTestStorages } from '../../testing/room-storages.js'
import {
  useRoomTestServer,
  type RoomTestServer,
  type TestUser,
} from '../../testing/room-test-server.js'

const V3 = '/_matrix/client/v3'
const MESSAGES = `${V3}/rooms/{roomId}/messages`
const CONTEXT = `${V3}/rooms/{roomId}/context/{eventId}`

interface Event {
  event_id: string
  type: string
  sender: string
  state_key?: string
  content: Record<string, unknown>
  unsigned?: Record<string, unknown>
}

interface Page {
  start: string
  end?: string
  chunk: Event[]
  state?: Event[]
}

async function createRoom(t: RoomTestServer, user: TestUser, body: object = {}): Promise<string> {
  const reply = await t.call('POST', `${V3}/createRoom`, { user, body })
  expect(reply.status).toBe(200)
  return (reply.body as { room_id: string }).room_id
}

function room(roomId: string, rest: string): string {
  return `${V3}/rooms/${encodeURIComponent(roomId)}/${rest}`
}

let txn = 0
async function say(
  t: RoomTestServer,
  user: TestUser,
  roomId: string,
  body: string,
): Promise<string> {
  const reply = await t.call('PUT', room(roomId, `send/m.room.message/t${++txn}`), {
    user,
    body: { msgtype: 'm.text', body },
  })
  expect(reply.status).toBe(200)
  return (reply.body as { event_id: string }).event_id
}

async function messages(
  t: RoomTestServer,
  user: TestUser,
  roomId: string,
  query: string,
): Promise<{ status: number; body: Page }> {
  const reply = await t.call('GET', room(roomId, `messages?${query}`), { user })
  if (reply.status === 200)
    expectMatchesSpec('client-server', 'message_pagination.yaml', 'GET', MESSAGES, 200, reply.body)
  return reply as { status: number; body: Page }
}

const bodies = (page: Page): unknown[] =>
  page.chunk.filter((e) => e.type === 'm.room.message').map((e) => e.content['body'])

for (const kind of roomTestStorages()) {
  describe(`reading rooms on ${kind.name}`, () => {
    const start = useRoomTestServer(kind)

    it('paginates backwards from the end and forwards from the start with tokens', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const roomId = await createRoom(t, alice)
      for (let i = 1; i <= 7; i++) await say(t, alice, roomId, `m${i}`)

      const first = await messages(t, alice, roomId, 'dir=b&limit=3')
      expect(bodies(first.body)).toEqual(['m7', 'm6', 'm5'])
      expect(first.body.end).toBeDefined()
      const second = await messages(t, alice, roomId, `dir=b&limit=3&from=${first.body.end}`)
      expect(second.body.start).toBe(first.body.end)
      expect(bodies(second.body)).toEqual(['m4', 'm3', 'm2'])
      // Forwards from the token of the first page's end gives back what came after it.
      const forwards = await messages(t, alice, roomId, `dir=f&limit=10&from=${first.body.end}`)
      expect(bodies(forwards.body)).toEqual(['m5', 'm6', 'm7'])
      expect(forwards.body.end).toBeUndefined()

      const fromStart = await messages(t, alice, roomId, 'dir=f&limit=2')
      expect(fromStart.body.chunk.map((e) => e.type)).toEqual(['m.room.create', 'm.room.member'])
      const all = await messages(t, alice, roomId, 'dir=b&limit=100')
      expect(all.body.end).toBeUndefined()
      expect(all.body.chunk.at(-1)?.type).toBe('m.room.create')
      // `to` stops the page.
      const bounded = await messages(t, alice, roomId, `dir=b&to=${second.body.end}`)
      expect(bodies(bounded.body)).toEqual(['m7', 'm6', 'm5', 'm4', 'm3', 'm2'])
    })

    it('filters messages by type and sender, and lazy-loads the senders', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const bob = await t.users.user('bob')
      const roomId = await createRoom(t, alice, { preset: 'public_chat' })
      await t.call('POST', room(roomId, 'join'), { user: bob })
      await say(t, alice, roomId, 'from alice')
      await say(t, bob, roomId, 'from bob')

      const filter = encodeURIComponent(
        JSON.stringify({ types: ['m.room.mess*'], senders: [bob.userId], lazy_load_members: true }),
      )
      const page = await messages(t, alice, roomId, `dir=b&filter=${filter}`)
      expect(bodies(page.body)).toEqual(['from bob'])
      expect(page.body.state?.map((e) => [e.type, e.state_key])).toEqual([
        ['m.room.member', bob.userId],
      ])

      const notAlice = encodeURIComponent(
        JSON.stringify({ not_senders: [alice.userId], not_types: ['m.room.member'] }),
      )
      const others = await messages(t, alice, roomId, `dir=b&filter=${notAlice}`)
      expect(bodies(others.body)).toEqual(['from bob'])
      expect(others.body.chunk).toHaveLength(1)

      for (const bad of ['{', '[]', '{"types":"x"}', '{"limit":0}', '{"lazy_load_members":1}']) {
        const reply = await messages(t, alice, roomId, `dir=b&filter=${encodeURIComponent(bad)}`)
        expect(reply).toMatchObject({ status: 400, body: { errcode: 'M_INVALID_PARAM' } })
      }
      for (const bad of ['dir=x', 'dir=b&from=nonsense', 'dir=b&limit=-1', 'dir=b&limit=ten']) {
        const reply = await messages(t, alice, roomId, bad)
        expect(reply).toMatchObject({ status: 400, body: { errcode: 'M_INVALID_PARAM' } })
      }
    })

    it('hides history per history visibility and stops at a departure', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const bob = await t.users.user('bob')
      const carol = await t.users.user('carol')
      const roomId = await createRoom(t, alice, {
        preset: 'public_chat',
        initial_state: [
          { type: 'm.room.history_visibility', content: { history_visibility: 'joined' } },
        ],
      })
      const before = await say(t, alice, roomId, 'before bob')
      await t.call('POST', room(roomId, 'join'), { user: bob })
      await say(t, alice, roomId, 'while bob is here')
      await t.call('POST', room(roomId, 'leave'), { user: bob })
      const after = await say(t, alice, roomId, 'after bob left')

      const seen = await messages(t, bob, roomId, 'dir=b&limit=50')
      expect(bodies(seen.body)).toEqual(['while bob is here'])
      // Their own join and leave are visible to them.
      expect(
        seen.body.chunk
          .filter((e) => e.state_key === bob.userId)
          .map((e) => e.content['membership']),
      ).toEqual(['leave', 'join'])
      for (const id of [before, after]) {
        const reply = await t.call('GET', room(roomId, `event/${id}`), { user: bob })
        expect(reply).toMatchObject({ status: 404, body: { errcode: 'M_NOT_FOUND' } })
      }
      const outsider = await messages(t, carol, roomId, 'dir=b')
      expect(outsider).toMatchObject({ status: 403, body: { errcode: 'M_FORBIDDEN' } })
      const stateForOutsider = await t.call('GET', room(roomId, 'state'), { user: carol })
      expect(stateForOutsider).toMatchObject({ status: 403, body: { errcode: 'M_FORBIDDEN' } })
      const unknownRoom = await t.call('GET', room('!nope:example.org', 'state'), { user: carol })
      expect(unknownRoom.status).toBe(403)
    })

    it('shows shared history to those who join later, and world_readable rooms to anyone', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const bob = await t.users.user('bob')
      const carol = await t.users.user('carol')
      const roomId = await createRoom(t, alice, { preset: 'public_chat' })
      const early = await say(t, alice, roomId, 'early')
      expect((await t.call('GET', room(roomId, `event/${early}`), { user: bob })).status).toBe(404)
      await t.call('POST', room(roomId, 'join'), { user: bob })
      const shown = await t.call('GET', room(roomId, `event/${early}`), { user: bob })
      expect(shown).toMatchObject({ status: 200, body: { content: { body: 'early' } } })

      await t.call('PUT', room(roomId, 'state/m.room.history_visibility'), {
        user: alice,
        body: { history_visibility: 'world_readable' },
      })
      const open = await say(t, alice, roomId, 'for everyone')
      const page = await messages(t, carol, roomId, 'dir=b&limit=1')
      expect(bodies(page.body)).toEqual(['for everyone'])
      expect((await t.call('GET', room(roomId, `event/${open}`), { user: carol })).status).toBe(200)
      expect((await t.call('GET', room(roomId, `event/${early}`), { user: carol })).status).toBe(
        404,
      )
      const state = await t.call('GET', room(roomId, 'state/m.room.history_visibility'), {
        user: carol,
      })
      expect(state).toEqual({ status: 200, body: { history_visibility: 'world_readable' } })
    })

    it('serves the state and members as they were when a user left', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const bob = await t.users.user('bob')
      const carol = await t.users.user('carol')
      const roomId = await createRoom(t, alice, { preset: 'public_chat', name: 'Old name' })
      await t.call('POST', room(roomId, 'join'), { user: bob })
      await t.call('POST', room(roomId, 'leave'), { user: bob })
      await t.call('PUT', room(roomId, 'state/m.room.name'), {
        user: alice,
        body: { name: 'New name' },
      })
      await t.call('POST', room(roomId, 'join'), { user: carol })

      const name = await t.call('GET', room(roomId, 'state/m.room.name'), { user: bob })
      expect(name).toEqual({ status: 200, body: { name: 'Old name' } })
      const members = await t.call('GET', room(roomId, 'members'), { user: bob })
      expect(members.status).toBe(200)
      expectMatchesSpec(
        'client-server',
        'rooms.yaml',
        'GET',
        `${V3}/rooms/{roomId}/members`,
        200,
        members.body,
      )
      const chunk = (members.body as { chunk: Event[] }).chunk
      expect(chunk.map((e) => [e.state_key, e.content['membership']]).sort()).toEqual(
        [
          [alice.userId, 'join'],
          [bob.userId, 'leave'],
        ].sort(),
      )
      const joined = await t.call('GET', room(roomId, 'joined_members'), { user: bob })
      expect(joined).toMatchObject({ status: 403, body: { errcode: 'M_FORBIDDEN' } })

      const state = await t.call('GET', room(roomId, 'state'), { user: bob })
      expect((state.body as Event[]).find((e) => e.type === 'm.room.name')?.content).toEqual({
        name: 'Old name',
      })
    })

    it('lists members with filters and at a token, and joined members with profiles', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const bob = await t.users.user('bob')
      const carol = await t.users.user('carol')
      const roomId = await createRoom(t, alice, { preset: 'public_chat', invite: [carol.userId] })
      const token = (await messages(t, alice, roomId, 'dir=b&limit=1')).body.start
      await t.call('PUT', room(roomId, `state/m.room.member/${bob.userId}`), {
        user: bob,
        body: { membership: 'join', displayname: 'Bob', avatar_url: 'mxc://example.org/abc' },
      })

      const list = async (query: string): Promise<string[]> => {
        const reply = await t.call('GET', room(roomId, `members?${query}`), { user: alice })
        expect(reply.status).toBe(200)
        return (reply.body as { chunk: Event[] }).chunk.map((e) => e.state_key ?? '').sort()
      }
      expect(await list('')).toEqual([alice.userId, bob.userId, carol.userId].sort())
      expect(await list('membership=join')).toEqual([alice.userId, bob.userId].sort())
      expect(await list('not_membership=join')).toEqual([carol.userId])
      expect(await list('membership=invite&not_membership=invite')).toEqual(
        [alice.userId, bob.userId, carol.userId].sort(),
      )
      expect(await list(`at=${token}`)).toEqual([alice.userId, carol.userId].sort())
      const bad = await t.call('GET', room(roomId, 'members?membership=party'), { user: alice })
      expect(bad).toMatchObject({ status: 400, body: { errcode: 'M_INVALID_PARAM' } })

      const joined = await t.call('GET', room(roomId, 'joined_members'), { user: alice })
      expect(joined).toEqual({
        status: 200,
        body: {
          joined: {
            [alice.userId]: {},
            [bob.userId]: { display_name: 'Bob', avatar_url: 'mxc://example.org/abc' },
          },
        },
      })
      expectMatchesSpec(
        'client-server',
        'rooms.yaml',
        'GET',
        `${V3}/rooms/{roomId}/joined_members`,
        200,
        joined.body,
      )
    })

    it('gives the context of an event with tokens that continue in /messages', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const roomId = await createRoom(t, alice)
      const ids: string[] = []
      for (let i = 1; i <= 9; i++) ids.push(await say(t, alice, roomId, `m${i}`))

      const reply = await t.call('GET', room(roomId, `context/${ids[4]}?limit=4`), { user: alice })
      expect(reply.status).toBe(200)
      expectMatchesSpec('client-server', 'event_context.yaml', 'GET', CONTEXT, 200, reply.body)
      const context = reply.body as {
        start: string
        end: string
        events_before: Event[]
        event: Event
        events_after: Event[]
        state: Event[]
      }
      expect(context.event.content['body']).toBe('m5')
      expect(context.events_before.map((e) => e.content['body'])).toEqual(['m4', 'm3'])
      expect(context.events_after.map((e) => e.content['body'])).toEqual(['m6', 'm7'])
      expect(context.state.some((e) => e.type === 'm.room.create')).toBe(true)

      const back = await messages(t, alice, roomId, `dir=b&limit=2&from=${context.start}`)
      expect(bodies(back.body)).toEqual(['m2', 'm1'])
      const forward = await messages(t, alice, roomId, `dir=f&limit=2&from=${context.end}`)
      expect(bodies(forward.body)).toEqual(['m8', 'm9'])

      const lazy = encodeURIComponent(JSON.stringify({ lazy_load_members: true }))
      const lazyReply = await t.call('GET', room(roomId, `context/${ids[4]}?filter=${lazy}`), {
        user: alice,
      })
      expect((lazyReply.body as { state: Event[] }).state.map((e) => e.state_key)).toEqual([
        alice.userId,
      ])

      const missing = await t.call('GET', room(roomId, `context/$${'C'.repeat(42)}A`), {
        user: alice,
      })
      expect(missing).toMatchObject({ status: 404, body: { errcode: 'M_NOT_FOUND' } })
    })

    it('shows the sending device, and only it, its transaction ID', async () => {
      const t = await start()
      const alice = await t.users.user('alice', { deviceId: 'PHONE' })
      const laptop = await t.users.user('alice', { deviceId: 'LAPTOP' })
      const roomId = await createRoom(t, alice)
      const sent = await t.call('PUT', room(roomId, 'send/m.room.message/my-txn'), {
        user: alice,
        body: { msgtype: 'm.text', body: 'mine' },
      })
      const id = (sent.body as { event_id: string }).event_id
      const own = await t.call('GET', room(roomId, `event/${id}`), { user: alice })
      expect((own.body as Event).unsigned?.['transaction_id']).toBe('my-txn')
      expect(typeof (own.body as Event).unsigned?.['age']).toBe('number')
      const other = await t.call('GET', room(roomId, `event/${id}`), { user: laptop })
      expect((other.body as Event).unsigned?.['transaction_id']).toBeUndefined()
      const page = await messages(t, alice, roomId, 'dir=b&limit=1')
      expect(page.body.chunk[0]?.unsigned?.['transaction_id']).toBe('my-txn')
    })
  })
}

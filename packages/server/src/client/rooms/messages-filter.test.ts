/**
 * The RoomEventFilter of `/messages` and `/context` (client-server-api §Filtering): every field,
 * applied before the page's limit so that a page is full whenever the room has the events.
 */
import { describe, expect, it } from 'vitest'
import type { TestUser } from '../../testing/fake-authenticate.js'
import { expectMatchesSpec } from '../../testing/openapi-spec.js'
import { roomTestStorages } from '../../testing/room-storages.js'
import { useSyncTestServer, type SyncTestServer } from '../../testing/sync-test-server.js'

const V3 = '/_matrix/client/v3'

interface ClientEvent {
  readonly type: string
  readonly sender: string
  readonly state_key?: string
  readonly content: Record<string, unknown>
}
interface Page {
  readonly chunk: ClientEvent[]
  readonly state?: ClientEvent[]
  readonly end?: string
}

function room(roomId: string, rest: string): string {
  return `${V3}/rooms/${encodeURIComponent(roomId)}/${rest}`
}

let txn = 0
async function send(t: SyncTestServer, user: TestUser, roomId: string, content: object) {
  const reply = await t.call('PUT', room(roomId, `send/m.room.message/f${++txn}`), {
    user,
    body: content,
  })
  expect(reply.status).toBe(200)
  return (reply.body as { event_id: string }).event_id
}

async function page(
  t: SyncTestServer,
  user: TestUser,
  roomId: string,
  filter: object,
  query = 'dir=b',
): Promise<Page> {
  const reply = await t.call(
    'GET',
    room(roomId, `messages?${query}&filter=${encodeURIComponent(JSON.stringify(filter))}`),
    { user },
  )
  expect(reply.status).toBe(200)
  expectMatchesSpec(
    'client-server',
    'message_pagination.yaml',
    'GET',
    `${V3}/rooms/{roomId}/messages`,
    200,
    reply.body,
  )
  return reply.body as Page
}

const bodies = (events: readonly ClientEvent[]): unknown[] =>
  events.filter((e) => e.type === 'm.room.message').map((e) => e.content['body'])

for (const kind of roomTestStorages()) {
  describe(`/messages filters on ${kind.name}`, () => {
    const start = useSyncTestServer(kind)

    async function setup(t: SyncTestServer) {
      const alice = await t.users.user('alice')
      const bob = await t.users.user('bob')
      const created = await t.call('POST', `${V3}/createRoom`, {
        user: alice,
        body: { preset: 'public_chat' },
      })
      const roomId = (created.body as { room_id: string }).room_id
      await send(t, alice, roomId, { msgtype: 'm.image', body: 'a.png', url: 'mxc://x/a' })
      expect((await t.call('POST', room(roomId, 'join'), { user: bob })).status).toBe(200)
      await send(t, bob, roomId, { msgtype: 'm.text', body: 'hello' })
      await send(t, bob, roomId, { msgtype: 'm.file', body: 'b.pdf', url: 'mxc://x/b' })
      await send(t, alice, roomId, { msgtype: 'm.text', body: 'odd url', url: 7 })
      await send(t, alice, roomId, { msgtype: 'm.text', body: 'bye' })
      return { alice, bob, roomId }
    }

    it('applies contains_url both ways, before the limit', async () => {
      const t = await start()
      const { alice, roomId } = await setup(t)
      const withUrl = await page(t, alice, roomId, { contains_url: true }, 'dir=b&limit=2')
      expect(bodies(withUrl.chunk)).toEqual(['b.pdf', 'a.png'])
      const first = await page(t, alice, roomId, { contains_url: true, limit: 1 })
      expect(bodies(first.chunk)).toEqual(['b.pdf'])
      expect(first.end).toBeDefined()
      const without = await page(t, alice, roomId, {
        contains_url: false,
        types: ['m.room.message'],
      })
      expect(bodies(without.chunk)).toEqual(['bye', 'odd url', 'hello'])
    })

    it('applies senders, not_senders, types and not_types with wildcards', async () => {
      const t = await start()
      const { alice, bob, roomId } = await setup(t)
      const ofBob = await page(t, alice, roomId, { senders: [bob.userId] })
      expect(ofBob.chunk.map((e) => e.type)).toEqual([
        'm.room.message',
        'm.room.message',
        'm.room.member',
      ])
      const notBob = await page(t, alice, roomId, {
        not_senders: [bob.userId],
        types: ['m.room.mess*'],
        contains_url: true,
      })
      expect(bodies(notBob.chunk)).toEqual(['a.png'])
      const noMembers = await page(t, alice, roomId, {
        types: ['m.*'],
        not_types: ['m.room.member', 'm.room.power*'],
      })
      expect(noMembers.chunk.some((e) => e.type === 'm.room.member')).toBe(false)
      expect(noMembers.chunk.some((e) => e.type === 'm.room.power_levels')).toBe(false)
      expect(noMembers.chunk.some((e) => e.type === 'm.room.create')).toBe(true)
    })

    it('matches no event of a room its rooms leave out', async () => {
      const t = await start()
      const { alice, roomId } = await setup(t)
      expect((await page(t, alice, roomId, { not_rooms: [roomId] })).chunk).toEqual([])
      expect((await page(t, alice, roomId, { rooms: ['!other:example.org'] })).chunk).toEqual([])
      expect(bodies((await page(t, alice, roomId, { rooms: [roomId] })).chunk)).toHaveLength(5)
    })

    it('lazy-loads the member events of the senders of the chunk, both ways', async () => {
      const t = await start()
      const { alice, bob, roomId } = await setup(t)
      // Backwards, the chunk's oldest event predates bob's join: his member event is still found.
      const back = await page(t, alice, roomId, {
        lazy_load_members: true,
        types: ['m.room.message'],
      })
      const members = (p: Page): [unknown, unknown][] =>
        (p.state ?? []).map((e) => [e.state_key, e.content['membership']] as [unknown, unknown])
      expect(members(back).sort()).toEqual([
        [alice.userId, 'join'],
        [bob.userId, 'join'],
      ])
      const onlyBob = await page(t, alice, roomId, {
        lazy_load_members: true,
        include_redundant_members: true,
        senders: [bob.userId],
        types: ['m.room.message'],
      })
      expect(members(onlyBob)).toEqual([[bob.userId, 'join']])
      const forwards = await page(
        t,
        alice,
        roomId,
        { lazy_load_members: true, types: ['m.room.message'] },
        'dir=f',
      )
      expect(members(forwards).sort()).toEqual([
        [alice.userId, 'join'],
        [bob.userId, 'join'],
      ])
      // Without lazy loading, /messages sends no state.
      const plain = await page(t, alice, roomId, { types: ['m.room.message'] })
      expect(plain.state ?? []).toEqual([])
    })

    it('filters /context the same way', async () => {
      const t = await start()
      const { alice, bob, roomId } = await setup(t)
      const hello = await page(t, alice, roomId, { senders: [bob.userId], contains_url: false })
      expect(bodies(hello.chunk)).toEqual(['hello'])
      const target = await send(t, alice, roomId, { msgtype: 'm.text', body: 'target' })
      const filter = encodeURIComponent(JSON.stringify({ contains_url: true }))
      const reply = await t.call(
        'GET',
        room(roomId, `context/${target}?limit=4&filter=${filter}`),
        {
          user: alice,
        },
      )
      expect(reply.status).toBe(200)
      expectMatchesSpec(
        'client-server',
        'event_context.yaml',
        'GET',
        `${V3}/rooms/{roomId}/context/{eventId}`,
        200,
        reply.body,
      )
      const context = reply.body as { events_before: ClientEvent[]; events_after: ClientEvent[] }
      expect(bodies(context.events_before)).toEqual(['b.pdf', 'a.png'])
      expect(context.events_after).toEqual([])
      const bad = await t.call('GET', room(roomId, `context/${target}?filter=%7B`), { user: alice })
      expect(bad).toMatchObject({ status: 400, body: { errcode: 'M_INVALID_PARAM' } })
    })
  })
}

/**
 * Ignoring users (client-server-api §Ignoring Users) end to end over HTTP: the list's shape, and
 * what sync, `/messages` and `/context` stop showing once it names someone.
 */
import { describe, expect, it } from 'vitest'
import type { TestUser } from '../../testing/fake-authenticate.js'
import {
  useEphemeralTestServer,
  type EphemeralTestServer,
} from '../../testing/ephemeral-test-server.js'
import { expectMatchesSpec } from '../../testing/openapi-spec.js'
import { roomTestStorages } from '../../testing/room-storages.js'

const V3 = '/_matrix/client/v3'

interface ClientEvent {
  readonly type: string
  readonly sender: string
  readonly event_id: string
  readonly state_key?: string
  readonly content: Record<string, unknown>
}
interface SyncBody {
  readonly next_batch: string
  readonly account_data?: { events: { type: string }[] }
  readonly rooms: {
    readonly join: Record<
      string,
      {
        readonly timeline: { events: ClientEvent[] }
        readonly ephemeral?: { events: { type: string; content: { user_ids?: string[] } }[] }
      }
    >
    readonly invite: Record<string, unknown>
  }
}

async function sync(t: EphemeralTestServer, user: TestUser, since?: string): Promise<SyncBody> {
  const query = since === undefined ? '' : `?since=${since}`
  const reply = await t.call('GET', `${V3}/sync${query}`, { user })
  expect(reply.status).toBe(200)
  expectMatchesSpec('client-server', 'sync.yaml', 'GET', `${V3}/sync`, 200, reply.body)
  return reply.body as SyncBody
}

function room(roomId: string, rest: string): string {
  return `${V3}/rooms/${encodeURIComponent(roomId)}/${rest}`
}

function ignorePath(user: TestUser): string {
  return `${V3}/user/${encodeURIComponent(user.userId)}/account_data/m.ignored_user_list`
}

async function ignore(t: EphemeralTestServer, user: TestUser, ...others: TestUser[]) {
  const ignored = Object.fromEntries(others.map((o) => [o.userId, {}]))
  const put = await t.call('PUT', ignorePath(user), { user, body: { ignored_users: ignored } })
  expect(put.status).toBe(200)
}

let txn = 0
async function say(t: EphemeralTestServer, user: TestUser, roomId: string, body: string) {
  const reply = await t.call('PUT', room(roomId, `send/m.room.message/t${++txn}`), {
    user,
    body: { msgtype: 'm.text', body },
  })
  expect(reply.status).toBe(200)
  return (reply.body as { event_id: string }).event_id
}

async function createRoom(t: EphemeralTestServer, user: TestUser, body: object = {}) {
  const reply = await t.call('POST', `${V3}/createRoom`, { user, body })
  expect(reply.status).toBe(200)
  return (reply.body as { room_id: string }).room_id
}

const bodies = (events: readonly ClientEvent[]): unknown[] =>
  events.filter((e) => e.type === 'm.room.message').map((e) => e.content['body'])

for (const kind of roomTestStorages()) {
  describe(`ignoring users on ${kind.name}`, () => {
    const start = useEphemeralTestServer(kind)

    it('checks the shape of m.ignored_user_list, and only that type', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      for (const body of [
        {},
        { ignored_users: [] },
        { ignored_users: { bob: {} } },
        { ignored_users: { '@bob:example.org': 1 } },
      ]) {
        const bad = await t.call('PUT', ignorePath(alice), { user: alice, body })
        expect(bad, JSON.stringify(body)).toMatchObject({
          status: 400,
          body: { errcode: 'M_BAD_JSON' },
        })
      }
      expect((await t.call('GET', ignorePath(alice), { user: alice })).status).toBe(404)

      const good = { ignored_users: { '@bob:example.org': {} } }
      const put = await t.call('PUT', ignorePath(alice), { user: alice, body: good })
      expect(put).toEqual({ status: 200, body: {} })
      expectMatchesSpec(
        'client-server',
        'account-data.yaml',
        'PUT',
        `${V3}/user/{userId}/account_data/{type}`,
        200,
        put.body,
      )
      expect(await t.call('GET', ignorePath(alice), { user: alice })).toEqual({
        status: 200,
        body: good,
      })
      // Room account data of that name means nothing to the server.
      const inRoom = await t.call(
        'PUT',
        `${V3}/user/${encodeURIComponent(alice.userId)}/rooms/${encodeURIComponent('!r:example.org')}/account_data/m.ignored_user_list`,
        { user: alice, body: { anything: 1 } },
      )
      expect(inRoom.status).toBe(200)
    })

    it("hides an ignored user's messages from sync, /messages and /context, not their state", async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const bob = await t.users.user('bob')
      const carol = await t.users.user('carol')
      const roomId = await createRoom(t, alice, {
        preset: 'public_chat',
        power_level_content_override: { state_default: 0 },
      })
      for (const user of [bob, carol]) {
        expect((await t.call('POST', room(roomId, 'join'), { user })).status).toBe(200)
      }
      const first = await sync(t, alice)
      await ignore(t, alice, bob)

      const b1 = await say(t, bob, roomId, 'b1')
      const c1 = await say(t, carol, roomId, 'c1')
      const topic = await t.call('PUT', room(roomId, 'state/m.room.topic'), {
        user: bob,
        body: { topic: 'set by bob' },
      })
      expect(topic.status).toBe(200)
      await say(t, bob, roomId, 'b2')
      await say(t, carol, roomId, 'c2')

      // The change applies at once: the sync that brings the new list already hides bob.
      const next = await sync(t, alice, first.next_batch)
      expect(next.account_data?.events.map((e) => e.type)).toContain('m.ignored_user_list')
      const timeline = next.rooms.join[roomId]?.timeline.events ?? []
      expect(bodies(timeline)).toEqual(['c1', 'c2'])
      expect(timeline.find((e) => e.type === 'm.room.topic')?.sender).toBe(bob.userId)
      expect(bodies((await sync(t, alice)).rooms.join[roomId]?.timeline.events ?? [])).toEqual([
        'c1',
        'c2',
      ])
      // Bob sees everything.
      expect(bodies((await sync(t, bob)).rooms.join[roomId]?.timeline.events ?? [])).toEqual([
        'b1',
        'c1',
        'b2',
        'c2',
      ])

      // A page is full though bob's messages sit between carol's.
      const filter = encodeURIComponent(JSON.stringify({ types: ['m.room.message'] }))
      const page = await t.call('GET', room(roomId, `messages?dir=b&limit=2&filter=${filter}`), {
        user: alice,
      })
      expect(page.status).toBe(200)
      expectMatchesSpec(
        'client-server',
        'message_pagination.yaml',
        'GET',
        `${V3}/rooms/{roomId}/messages`,
        200,
        page.body,
      )
      expect(bodies((page.body as { chunk: ClientEvent[] }).chunk)).toEqual(['c2', 'c1'])

      const context = await t.call('GET', room(roomId, `context/${c1}?limit=10`), { user: alice })
      expect(context.status).toBe(200)
      expectMatchesSpec(
        'client-server',
        'event_context.yaml',
        'GET',
        `${V3}/rooms/{roomId}/context/{eventId}`,
        200,
        context.body,
      )
      const around = context.body as { events_before: ClientEvent[]; events_after: ClientEvent[] }
      expect(bodies([...around.events_before, ...around.events_after])).toEqual(['c2'])
      expect(around.events_after.some((e) => e.type === 'm.room.topic')).toBe(true)
      const ofBob = await t.call('GET', room(roomId, `context/${b1}`), { user: alice })
      expect(ofBob).toMatchObject({ status: 404, body: { errcode: 'M_NOT_FOUND' } })

      // Typing: bob's notice is not shown to alice, carol's is.
      const before = await sync(t, alice)
      for (const user of [bob, carol]) {
        const typed = await t.call(
          'PUT',
          room(roomId, `typing/${encodeURIComponent(user.userId)}`),
          { user, body: { typing: true, timeout: 30_000 } },
        )
        expect(typed.status).toBe(200)
      }
      const typing = await sync(t, alice, before.next_batch)
      const notice = typing.rooms.join[roomId]?.ephemeral?.events.find((e) => e.type === 'm.typing')
      expect(notice?.content.user_ids).toEqual([carol.userId])

      // Un-ignoring shows what bob sends from then on; what he sent meanwhile stays unsent.
      await ignore(t, alice)
      await say(t, bob, roomId, 'b3')
      const after = await sync(t, alice, typing.next_batch)
      expect(bodies(after.rooms.join[roomId]?.timeline.events ?? [])).toEqual(['b3'])
      const all = await t.call('GET', room(roomId, `messages?dir=b&limit=3&filter=${filter}`), {
        user: alice,
      })
      expect(bodies((all.body as { chunk: ClientEvent[] }).chunk)).toEqual(['b3', 'c2', 'b2'])
    })

    it('does not show invites from ignored users', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const bob = await t.users.user('bob')
      const carol = await t.users.user('carol')
      await ignore(t, alice, bob)
      const first = await sync(t, alice)
      const fromBob = await createRoom(t, bob, { invite: [alice.userId] })
      const fromCarol = await createRoom(t, carol, { invite: [alice.userId] })
      const next = await sync(t, alice, first.next_batch)
      expect(Object.keys(next.rooms.invite)).toEqual([fromCarol])
      expect(Object.keys((await sync(t, alice)).rooms.invite)).toEqual([fromCarol])
      // The invite stands: alice may still accept it if she wants.
      expect(fromBob).toMatch(/^!/)
      expect((await t.call('POST', room(fromBob, 'join'), { user: alice })).status).toBe(200)
    })
  })
}

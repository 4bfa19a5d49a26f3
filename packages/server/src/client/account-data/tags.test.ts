import { describe, expect, it } from 'vitest'
import type { TestUser } from '../../testing/fake-authenticate.js'
import {
  useEphemeralTestServer,
  type EphemeralTestServer,
} from '../../testing/ephemeral-test-server.js'
import { expectMatchesSpec } from '../../testing/openapi-spec.js'
import { roomTestStorages } from '../../testing/room-storages.js'
import { parseTagBody, tagsOf } from './tags.js'

const V3 = '/_matrix/client/v3'
const TAGS = `${V3}/user/{userId}/rooms/{roomId}/tags`
const TAG = `${V3}/user/{userId}/rooms/{roomId}/tags/{tag}`

interface SyncBody {
  readonly next_batch: string
  readonly rooms: {
    readonly join: Record<
      string,
      { readonly account_data?: { events: { type: string; content: unknown }[] } }
    >
  }
}

async function sync(t: EphemeralTestServer, user: TestUser, since?: string): Promise<SyncBody> {
  const query = since === undefined ? '' : `?since=${since}`
  const reply = await t.call('GET', `${V3}/sync${query}`, { user })
  expect(reply.status).toBe(200)
  expectMatchesSpec('client-server', 'sync.yaml', 'GET', `${V3}/sync`, 200, reply.body)
  return reply.body as SyncBody
}

function tagEvent(body: SyncBody, roomId: string): unknown {
  return body.rooms.join[roomId]?.account_data?.events.find((e) => e.type === 'm.tag')?.content
}

async function roomOf(t: EphemeralTestServer, user: TestUser): Promise<string> {
  const reply = await t.call('POST', `${V3}/createRoom`, { user, body: {} })
  return (reply.body as { room_id: string }).room_id
}

const tagsPath = (userId: string, roomId: string, tag?: string): string =>
  `${V3}/user/${encodeURIComponent(userId)}/rooms/${encodeURIComponent(roomId)}/tags` +
  (tag === undefined ? '' : `/${encodeURIComponent(tag)}`)

describe('tag bodies', () => {
  it('accept an order from 0 to 1 and keep other keys', () => {
    expect(parseTagBody({ order: 0 })).toEqual({ ok: true, value: { order: 0 } })
    expect(parseTagBody({ order: 1, x: 'y' })).toEqual({ ok: true, value: { order: 1, x: 'y' } })
    expect(parseTagBody({})).toEqual({ ok: true, value: {} })
    for (const order of [-0.1, 1.5, '0.5', null]) {
      expect(parseTagBody({ order })).toMatchObject({ ok: false, error: { errcode: 'M_BAD_JSON' } })
    }
  })

  it('read malformed m.tag content as no tags', () => {
    expect(tagsOf(undefined)).toEqual({})
    expect(tagsOf({ tags: [1] })).toEqual({})
    expect(tagsOf({ tags: { a: {}, b: 3 } })).toEqual({ a: {} })
    const proto = tagsOf(JSON.parse('{"tags": {"__proto__": {"order": 0.5}}}') as never)
    expect(Object.keys(proto)).toEqual(['__proto__'])
  })
})

for (const kind of roomTestStorages()) {
  describe(`room tags on ${kind.name}`, () => {
    const start = useEphemeralTestServer(kind)

    it('adds, lists and removes tags', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const roomId = await roomOf(t, alice)
      const none = await t.call('GET', tagsPath(alice.userId, roomId), { user: alice })
      expect(none).toEqual({ status: 200, body: { tags: {} } })
      expectMatchesSpec('client-server', 'tags.yaml', 'GET', TAGS, 200, none.body)

      const put = await t.call('PUT', tagsPath(alice.userId, roomId, 'm.favourite'), {
        user: alice,
        body: { order: 0.25 },
      })
      expect(put).toEqual({ status: 200, body: {} })
      expectMatchesSpec('client-server', 'tags.yaml', 'PUT', TAG, 200, put.body)
      await t.call('PUT', tagsPath(alice.userId, roomId, 'u.work'), { user: alice, body: {} })
      const listed = await t.call('GET', tagsPath(alice.userId, roomId), { user: alice })
      expectMatchesSpec('client-server', 'tags.yaml', 'GET', TAGS, 200, listed.body)
      expect(listed.body).toEqual({ tags: { 'm.favourite': { order: 0.25 }, 'u.work': {} } })
      // The same data through the account data API.
      const raw = await t.call(
        'GET',
        `${V3}/user/${encodeURIComponent(alice.userId)}/rooms/${encodeURIComponent(roomId)}/account_data/m.tag`,
        { user: alice },
      )
      expect(raw.body).toEqual({ tags: { 'm.favourite': { order: 0.25 }, 'u.work': {} } })

      const removed = await t.call('DELETE', tagsPath(alice.userId, roomId, 'm.favourite'), {
        user: alice,
      })
      expect(removed).toEqual({ status: 200, body: {} })
      expectMatchesSpec('client-server', 'tags.yaml', 'DELETE', TAG, 200, removed.body)
      const position = await t.storage.streams.currentPosition()
      // Removing a tag that is not there changes nothing.
      const again = await t.call('DELETE', tagsPath(alice.userId, roomId, 'm.favourite'), {
        user: alice,
      })
      expect(again.status).toBe(200)
      expect(await t.storage.streams.currentPosition()).toBe(position)
      const left = await t.call('GET', tagsPath(alice.userId, roomId), { user: alice })
      expect(left.body).toEqual({ tags: { 'u.work': {} } })
    })

    it("reach the user's other clients through sync as m.tag room account data", async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const laptop = await t.users.user('alice', { deviceId: 'LAPTOP' })
      const roomId = await roomOf(t, alice)
      const first = await sync(t, laptop)
      expect(tagEvent(first, roomId)).toBeUndefined()
      await t.call('PUT', tagsPath(alice.userId, roomId, 'u.later'), {
        user: alice,
        body: { order: 0.5 },
      })
      const next = await sync(t, laptop, first.next_batch)
      expect(tagEvent(next, roomId)).toEqual({ tags: { 'u.later': { order: 0.5 } } })
      await t.call('DELETE', tagsPath(alice.userId, roomId, 'u.later'), { user: alice })
      const after = await sync(t, laptop, next.next_batch)
      expect(tagEvent(after, roomId)).toEqual({ tags: {} })
    })

    it('concurrent tags on one room are all kept', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const roomId = await roomOf(t, alice)
      const names = ['u.a', 'u.b', 'u.c', 'u.d', 'u.e', 'u.f']
      const replies = await Promise.all(
        names.map((name) =>
          t.call('PUT', tagsPath(alice.userId, roomId, name), { user: alice, body: {} }),
        ),
      )
      expect(replies.map((r) => r.status)).toEqual(names.map(() => 200))
      const listed = await t.call('GET', tagsPath(alice.userId, roomId), { user: alice })
      expect(Object.keys((listed.body as { tags: object }).tags).sort()).toEqual(names)
    })

    it("refuses another user's tags, bad names and bad bodies", async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const bob = await t.users.user('bob')
      const roomId = await roomOf(t, alice)
      for (const [method, path] of [
        ['GET', tagsPath(alice.userId, roomId)],
        ['PUT', tagsPath(alice.userId, roomId, 'u.x')],
        ['DELETE', tagsPath(alice.userId, roomId, 'u.x')],
      ] as const) {
        const reply = await t.call(method, path, {
          user: bob,
          ...(method === 'PUT' ? { body: {} } : {}),
        })
        expect(reply, `${method} ${path}`).toMatchObject({
          status: 403,
          body: { errcode: 'M_FORBIDDEN' },
        })
      }
      const long = await t.call('PUT', tagsPath(alice.userId, roomId, 'x'.repeat(256)), {
        user: alice,
        body: {},
      })
      expect(long).toMatchObject({ status: 400, body: { errcode: 'M_INVALID_PARAM' } })
      const badOrder = await t.call('PUT', tagsPath(alice.userId, roomId, 'u.x'), {
        user: alice,
        body: { order: 2 },
      })
      expect(badOrder).toMatchObject({ status: 400, body: { errcode: 'M_BAD_JSON' } })
      const notObject = await t.call('PUT', tagsPath(alice.userId, roomId, 'u.x'), {
        user: alice,
        raw: '[0.5]',
      })
      expect(notObject).toMatchObject({ status: 400, body: { errcode: 'M_BAD_JSON' } })
      const badRoom = await t.call('GET', tagsPath(alice.userId, 'nope'), { user: alice })
      expect(badRoom).toMatchObject({ status: 400, body: { errcode: 'M_INVALID_PARAM' } })
      const anonymous = await t.call('GET', tagsPath(alice.userId, roomId))
      expect(anonymous).toMatchObject({ status: 401, body: { errcode: 'M_MISSING_TOKEN' } })
      const listed = await t.call('GET', tagsPath(alice.userId, roomId), { user: alice })
      expect(listed.body).toEqual({ tags: {} })
    })
  })
}

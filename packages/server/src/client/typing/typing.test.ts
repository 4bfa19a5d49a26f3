import type { RoomId } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import type { TestUser } from '../../testing/fake-authenticate.js'
import {
  useEphemeralTestServer,
  type EphemeralTestServer,
} from '../../testing/ephemeral-test-server.js'
import { expectMatchesSpec } from '../../testing/openapi-spec.js'
import { roomTestStorages } from '../../testing/room-storages.js'
import { MAX_TYPING_TIMEOUT_MS } from '../../typing/typing-service.js'

const V3 = '/_matrix/client/v3'
const SPEC_PATH = `${V3}/rooms/{roomId}/typing/{userId}`

interface EphemeralEvent {
  readonly type: string
  readonly content: { readonly user_ids?: string[] }
}
interface SyncBody {
  readonly next_batch: string
  readonly rooms: {
    readonly join: Record<
      string,
      {
        readonly ephemeral?: { events: EphemeralEvent[] }
        readonly timeline: { events: unknown[]; limited: boolean }
      }
    >
  }
}

async function sync(
  t: EphemeralTestServer,
  user: TestUser,
  params: Record<string, string> = {},
): Promise<SyncBody> {
  const reply = await t.call('GET', `${V3}/sync?${new URLSearchParams(params).toString()}`, {
    user,
  })
  if (reply.status !== 200) throw new Error(`sync failed: ${JSON.stringify(reply)}`)
  expectMatchesSpec('client-server', 'sync.yaml', 'GET', `${V3}/sync`, 200, reply.body)
  return reply.body as SyncBody
}

function typingIn(body: SyncBody, roomId: string): string[] | undefined {
  const events = body.rooms.join[roomId]?.ephemeral?.events ?? []
  return events.find((e) => e.type === 'm.typing')?.content.user_ids
}

/** Alice's room with bob joined; both have synced once. */
async function room(t: EphemeralTestServer): Promise<{
  alice: TestUser
  bob: TestUser
  roomId: RoomId
}> {
  const alice = await t.users.user('alice')
  const bob = await t.users.user('bob')
  const created = await t.call('POST', `${V3}/createRoom`, {
    user: alice,
    body: { preset: 'public_chat' },
  })
  const roomId = (created.body as { room_id: RoomId }).room_id
  const joined = await t.call('POST', `${V3}/rooms/${encodeURIComponent(roomId)}/join`, {
    user: bob,
  })
  expect(joined.status).toBe(200)
  return { alice, bob, roomId }
}

function typingPath(roomId: string, userId: string): string {
  return `${V3}/rooms/${encodeURIComponent(roomId)}/typing/${encodeURIComponent(userId)}`
}

for (const kind of roomTestStorages()) {
  describe(`typing notifications on ${kind.name}`, () => {
    const start = useEphemeralTestServer(kind)

    it('a start reaches the other member through sync, and a stop clears it', async () => {
      const t = await start()
      const { alice, bob, roomId } = await room(t)
      const first = await sync(t, bob)
      expect(typingIn(first, roomId)).toBeUndefined()

      const put = await t.call('PUT', typingPath(roomId, alice.userId), {
        user: alice,
        body: { typing: true, timeout: 30_000 },
      })
      expect(put.status).toBe(200)
      expectMatchesSpec('client-server', 'typing.yaml', 'PUT', SPEC_PATH, 200, put.body)
      expect(put.body).toEqual({})

      const started = await sync(t, bob, { since: first.next_batch })
      expect(typingIn(started, roomId)).toEqual([alice.userId])
      // Nothing but typing happened: the room comes with an empty timeline.
      expect(started.rooms.join[roomId]?.timeline).toMatchObject({ events: [], limited: false })
      // An initial sync shows who is typing now too.
      expect(typingIn(await sync(t, bob), roomId)).toEqual([alice.userId])

      const stop = await t.call('PUT', typingPath(roomId, alice.userId), {
        user: alice,
        body: { typing: false },
      })
      expect(stop.status).toBe(200)
      const stopped = await sync(t, bob, { since: started.next_batch })
      expect(typingIn(stopped, roomId)).toEqual([])
      expect(typingIn(await sync(t, bob), roomId)).toBeUndefined()
    })

    it('wakes a waiting sync of the other member', async () => {
      const t = await start()
      const { alice, bob, roomId } = await room(t)
      const { next_batch } = await sync(t, bob)
      const waiting = sync(t, bob, { since: next_batch, timeout: '20000' })
      while (t.wakeups.waiting === 0) await new Promise((resolve) => setTimeout(resolve, 2))
      await t.call('PUT', typingPath(roomId, alice.userId), {
        user: alice,
        body: { typing: true, timeout: 10_000 },
      })
      const woken = await waiting
      expect(typingIn(woken, roomId)).toEqual([alice.userId])
    })

    it('an expired notice is gone from the next sync, and its end wakes waiters', async () => {
      const t = await start()
      const { alice, bob, roomId } = await room(t)
      await t.call('PUT', typingPath(roomId, alice.userId), {
        user: alice,
        body: { typing: true, timeout: 300 },
      })
      const typing = await sync(t, bob)
      expect(typingIn(typing, roomId)).toEqual([alice.userId])
      // The long-poll wakes when the notice ends, with the empty list the client needs.
      const ended = await sync(t, bob, { since: typing.next_batch, timeout: '20000' })
      expect(typingIn(ended, roomId)).toEqual([])
      expect(typingIn(await sync(t, bob), roomId)).toBeUndefined()
    })

    it('caps the timeout and defaults it when absent', async () => {
      const t = await start()
      const { alice, roomId } = await room(t)
      const before = Date.now()
      await t.call('PUT', typingPath(roomId, alice.userId), {
        user: alice,
        body: { typing: true, timeout: 3_600_000 },
      })
      const capped = await t.storage.typing.nextExpiry()
      expect(capped).toBeGreaterThanOrEqual(before + MAX_TYPING_TIMEOUT_MS)
      expect(capped).toBeLessThanOrEqual(Date.now() + MAX_TYPING_TIMEOUT_MS)
      await t.call('PUT', typingPath(roomId, alice.userId), {
        user: alice,
        body: { typing: false },
      })
      const again = Date.now()
      await t.call('PUT', typingPath(roomId, alice.userId), { user: alice, body: { typing: true } })
      const defaulted = await t.storage.typing.nextExpiry()
      expect(defaulted).toBeGreaterThanOrEqual(again + 30_000)
      expect(defaulted).toBeLessThanOrEqual(Date.now() + 30_000)
    })

    it('the ephemeral filter can leave typing out', async () => {
      const t = await start()
      const { alice, bob, roomId } = await room(t)
      await t.call('PUT', typingPath(roomId, alice.userId), { user: alice, body: { typing: true } })
      const filter = JSON.stringify({ room: { ephemeral: { not_types: ['m.typing'] } } })
      expect(typingIn(await sync(t, bob, { filter }), roomId)).toBeUndefined()
      const notRoom = JSON.stringify({ room: { ephemeral: { not_rooms: [roomId] } } })
      expect(typingIn(await sync(t, bob, { filter: notRoom }), roomId)).toBeUndefined()
      expect(typingIn(await sync(t, bob), roomId)).toEqual([alice.userId])
    })

    it('refuses other users, non-members and bad bodies', async () => {
      const t = await start()
      const { alice, bob, roomId } = await room(t)
      const carol = await t.users.user('carol')
      const forOther = await t.call('PUT', typingPath(roomId, alice.userId), {
        user: bob,
        body: { typing: true },
      })
      expect(forOther).toMatchObject({ status: 403, body: { errcode: 'M_FORBIDDEN' } })
      const outsider = await t.call('PUT', typingPath(roomId, carol.userId), {
        user: carol,
        body: { typing: true },
      })
      expect(outsider).toMatchObject({ status: 403, body: { errcode: 'M_FORBIDDEN' } })
      const unknownRoom = await t.call('PUT', typingPath('!nowhere:example.org', alice.userId), {
        user: alice,
        body: { typing: true },
      })
      expect(unknownRoom).toMatchObject({ status: 403, body: { errcode: 'M_FORBIDDEN' } })

      const bad: [unknown, string][] = [
        [{}, 'M_MISSING_PARAM'],
        [{ typing: 'yes' }, 'M_BAD_JSON'],
        [{ typing: true, timeout: -1 }, 'M_BAD_JSON'],
        [{ typing: true, timeout: 1.5 }, 'M_BAD_JSON'],
        [{ typing: true, timeout: '1000' }, 'M_BAD_JSON'],
      ]
      for (const [body, errcode] of bad) {
        const reply = await t.call('PUT', typingPath(roomId, alice.userId), { user: alice, body })
        expect(reply, JSON.stringify(body)).toMatchObject({ status: 400, body: { errcode } })
      }
      const notJson = await t.call('PUT', typingPath(roomId, alice.userId), {
        user: alice,
        raw: 'typing',
      })
      expect(notJson).toMatchObject({ status: 400, body: { errcode: 'M_NOT_JSON' } })
      const badRoom = await t.call('PUT', typingPath('room', alice.userId), {
        user: alice,
        body: { typing: true },
      })
      expect(badRoom.status).toBe(400)
      const anonymous = await t.call('PUT', typingPath(roomId, alice.userId), {
        body: { typing: true },
      })
      expect(anonymous).toMatchObject({ status: 401, body: { errcode: 'M_MISSING_TOKEN' } })
      // Nothing of it reached the room.
      expect(typingIn(await sync(t, bob), roomId)).toBeUndefined()
    })
  })
}

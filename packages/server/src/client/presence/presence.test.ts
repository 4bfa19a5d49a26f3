import type { RoomId } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import type { TestUser } from '../../testing/fake-authenticate.js'
import {
  useEphemeralTestServer,
  type EphemeralTestServer,
} from '../../testing/ephemeral-test-server.js'
import { expectMatchesSpec } from '../../testing/openapi-spec.js'
import { roomTestStorages } from '../../testing/room-storages.js'

const V3 = '/_matrix/client/v3'
const SPEC_PATH = `${V3}/presence/{userId}/status`

interface PresenceEvent {
  readonly type: string
  readonly sender: string
  readonly content: {
    readonly presence: string
    readonly status_msg?: string
    readonly last_active_ago?: number
    readonly currently_active?: boolean
  }
}
interface SyncBody {
  readonly next_batch: string
  readonly presence?: { events: PresenceEvent[] }
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

function presenceOf(body: SyncBody, userId: string): PresenceEvent | undefined {
  return body.presence?.events.find((e) => e.sender === userId)
}

const statusPath = (userId: string): string => `${V3}/presence/${encodeURIComponent(userId)}/status`

async function shareRoom(t: EphemeralTestServer, a: TestUser, b: TestUser): Promise<RoomId> {
  const created = await t.call('POST', `${V3}/createRoom`, {
    user: a,
    body: { preset: 'public_chat' },
  })
  const roomId = (created.body as { room_id: RoomId }).room_id
  await t.call('POST', `${V3}/rooms/${encodeURIComponent(roomId)}/join`, { user: b })
  return roomId
}

for (const kind of roomTestStorages()) {
  describe(`presence on ${kind.name}`, () => {
    const start = useEphemeralTestServer(kind)

    it('sets and reads your own presence', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const unset = await t.call('GET', statusPath(alice.userId), { user: alice })
      expect(unset).toEqual({ status: 200, body: { presence: 'offline' } })
      expectMatchesSpec('client-server', 'presence.yaml', 'GET', SPEC_PATH, 200, unset.body)

      const put = await t.call('PUT', statusPath(alice.userId), {
        user: alice,
        body: { presence: 'online', status_msg: 'Making cupcakes' },
      })
      expect(put).toEqual({ status: 200, body: {} })
      expectMatchesSpec('client-server', 'presence.yaml', 'PUT', SPEC_PATH, 200, put.body)
      const got = await t.call('GET', statusPath(alice.userId), { user: alice })
      expectMatchesSpec('client-server', 'presence.yaml', 'GET', SPEC_PATH, 200, got.body)
      expect(got.body).toMatchObject({
        presence: 'online',
        status_msg: 'Making cupcakes',
        currently_active: true,
      })
      expect((got.body as { last_active_ago: number }).last_active_ago).toBeGreaterThanOrEqual(0)

      // A new state without a message clears the message.
      await t.call('PUT', statusPath(alice.userId), {
        user: alice,
        body: { presence: 'unavailable' },
      })
      const idle = await t.call('GET', `/_matrix/client/r0/presence/${alice.userId}/status`, {
        user: alice,
      })
      expect(idle.body).toEqual({
        presence: 'unavailable',
        last_active_ago: expect.any(Number) as number,
      })
    })

    it('a status reaches a room-mate through sync, and nobody else', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const bob = await t.users.user('bob')
      const carol = await t.users.user('carol')
      await shareRoom(t, alice, bob)
      const bobFirst = await sync(t, bob)
      const carolFirst = await sync(t, carol)
      await t.call('PUT', statusPath(alice.userId), {
        user: alice,
        body: { presence: 'online', status_msg: 'at lunch' },
      })
      const bobNext = await sync(t, bob, { since: bobFirst.next_batch })
      expect(presenceOf(bobNext, alice.userId)).toMatchObject({
        type: 'm.presence',
        content: { presence: 'online', status_msg: 'at lunch', currently_active: true },
      })
      expect(presenceOf(bobNext, alice.userId)?.content.last_active_ago).toBeGreaterThanOrEqual(0)
      const carolNext = await sync(t, carol, { since: carolFirst.next_batch })
      expect(presenceOf(carolNext, alice.userId)).toBeUndefined()
      // Carol may not read it either; bob may.
      const peek = await t.call('GET', statusPath(alice.userId), { user: carol })
      expect(peek).toMatchObject({ status: 403, body: { errcode: 'M_FORBIDDEN' } })
      const mate = await t.call('GET', statusPath(alice.userId), { user: bob })
      expect(mate.body).toMatchObject({ presence: 'online', status_msg: 'at lunch' })
      // An initial sync shows it too.
      expect(presenceOf(await sync(t, bob), alice.userId)?.content.status_msg).toBe('at lunch')
    })

    it('syncing brings a user online unless set_presence says otherwise', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const bob = await t.users.user('bob')
      await shareRoom(t, alice, bob)
      const quiet = await sync(t, alice, { set_presence: 'offline' })
      expect(presenceOf(quiet, alice.userId)).toBeUndefined()
      const bobFirst = await sync(t, bob)
      // Bob's own sync brought him online, and he sees that.
      expect(presenceOf(bobFirst, bob.userId)?.content.presence).toBe('online')

      const idle = await sync(t, alice, { set_presence: 'unavailable' })
      expect(presenceOf(idle, alice.userId)?.content.presence).toBe('unavailable')
      const seen = await sync(t, bob, { since: bobFirst.next_batch })
      expect(presenceOf(seen, alice.userId)?.content.presence).toBe('unavailable')
      // Syncing alone does not undo an unavailable; only activity does.
      const still = await sync(t, alice)
      expect(presenceOf(still, alice.userId)?.content.presence).toBe('unavailable')
      const refused = await t.call('GET', `${V3}/sync?set_presence=away`, { user: alice })
      expect(refused).toMatchObject({ status: 400, body: { errcode: 'M_INVALID_PARAM' } })
    })

    it('sending a message brings an unavailable user back online', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const bob = await t.users.user('bob')
      const roomId = await shareRoom(t, alice, bob)
      await t.call('PUT', statusPath(alice.userId), {
        user: alice,
        body: { presence: 'unavailable' },
      })
      const sent = await t.call(
        'PUT',
        `${V3}/rooms/${encodeURIComponent(roomId)}/send/m.room.message/t1`,
        { user: alice, body: { msgtype: 'm.text', body: 'back' } },
      )
      expect(sent.status).toBe(200)
      // Activity is recorded in the background.
      for (let i = 0; i < 200; i++) {
        if ((await t.storage.presence.get(alice.userId))?.state === 'online') break
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
      const got = await t.call('GET', statusPath(alice.userId), { user: bob })
      expect(got.body).toMatchObject({ presence: 'online', currently_active: true })
    })

    it('refuses other users and bad bodies', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const bob = await t.users.user('bob')
      const forOther = await t.call('PUT', statusPath(alice.userId), {
        user: bob,
        body: { presence: 'online' },
      })
      expect(forOther).toMatchObject({ status: 403, body: { errcode: 'M_FORBIDDEN' } })
      const bad: [unknown, string][] = [
        [{}, 'M_MISSING_PARAM'],
        [{ presence: 'away' }, 'M_BAD_JSON'],
        [{ presence: 1 }, 'M_BAD_JSON'],
        [{ presence: 'online', status_msg: 5 }, 'M_BAD_JSON'],
      ]
      for (const [body, errcode] of bad) {
        const reply = await t.call('PUT', statusPath(alice.userId), { user: alice, body })
        expect(reply, JSON.stringify(body)).toMatchObject({ status: 400, body: { errcode } })
      }
      const badUser = await t.call('GET', statusPath('alice'), { user: alice })
      expect(badUser.status).toBe(400)
      const anonymous = await t.call('GET', statusPath(alice.userId))
      expect(anonymous).toMatchObject({ status: 401, body: { errcode: 'M_MISSING_TOKEN' } })
      expect(await t.storage.presence.get(alice.userId)).toBeUndefined()
    })

    it('when disabled: both endpoints answer 403 and sync carries no presence', async () => {
      const t = await start({ presence: false })
      const alice = await t.users.user('alice')
      const bob = await t.users.user('bob')
      await shareRoom(t, alice, bob)
      const put = await t.call('PUT', statusPath(alice.userId), {
        user: alice,
        body: { presence: 'online', status_msg: 'hi' },
      })
      expect(put).toMatchObject({ status: 403, body: { errcode: 'M_FORBIDDEN' } })
      const get = await t.call('GET', statusPath(alice.userId), { user: alice })
      expect(get).toMatchObject({ status: 403, body: { errcode: 'M_FORBIDDEN' } })
      const first = await sync(t, alice)
      expect(first.presence).toBeUndefined()
      expect((await sync(t, bob)).presence).toBeUndefined()
      expect(await t.storage.presence.get(alice.userId)).toBeUndefined()
      expect(await t.storage.presence.get(bob.userId)).toBeUndefined()
    })
  })
}

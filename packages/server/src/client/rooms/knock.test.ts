import { describe, expect, it } from 'vitest'
import type { TestUser } from '../../testing/fake-authenticate.js'
import { expectMatchesSpec } from '../../testing/openapi-spec.js'
import { roomTestStorages } from '../../testing/room-storages.js'
import { useSyncTestServer, type SyncTestServer } from '../../testing/sync-test-server.js'

const V3 = '/_matrix/client/v3'
const KNOCK_PATH = `${V3}/knock/{roomIdOrAlias}`

interface StrippedEvent {
  readonly type: string
  readonly state_key: string
  readonly sender: string
  readonly content: Record<string, unknown>
}
interface Event extends StrippedEvent {
  readonly event_id: string
}
interface SyncBody {
  readonly next_batch: string
  readonly rooms: {
    readonly join: Record<string, { timeline: { events: Event[] } }>
    readonly invite: Record<string, { invite_state: { events: StrippedEvent[] } }>
    readonly knock: Record<string, { knock_state: { events: StrippedEvent[] } }>
    readonly leave: Record<string, { timeline: { events: Event[] } }>
  }
}

const room = (roomId: string, rest: string): string =>
  `${V3}/rooms/${encodeURIComponent(roomId)}/${rest}`

async function createRoom(t: SyncTestServer, user: TestUser, body: object = {}): Promise<string> {
  const reply = await t.call('POST', `${V3}/createRoom`, { user, body })
  expect(reply.status, JSON.stringify(reply.body)).toBe(200)
  return (reply.body as { room_id: string }).room_id
}

const knockable = (rule = 'knock', version?: string): Record<string, unknown> => ({
  name: 'Knock here',
  ...(version === undefined ? {} : { room_version: version }),
  initial_state: [{ type: 'm.room.join_rules', content: { join_rule: rule } }],
})

async function knock(
  t: SyncTestServer,
  user: TestUser,
  target: string,
  body: unknown = {},
  query = '',
): Promise<{ status: number; body: unknown }> {
  const reply = await t.call('POST', `${V3}/knock/${encodeURIComponent(target)}${query}`, {
    user,
    body,
  })
  expectMatchesSpec('client-server', 'knocking.yaml', 'POST', KNOCK_PATH, reply.status, reply.body)
  return reply
}

async function sync(t: SyncTestServer, user: TestUser, since?: string): Promise<SyncBody> {
  const query = since === undefined ? '' : `?since=${encodeURIComponent(since)}`
  const reply = await t.call('GET', `${V3}/sync${query}`, { user })
  expect(reply.status).toBe(200)
  expectMatchesSpec('client-server', 'sync.yaml', 'GET', `${V3}/sync`, 200, reply.body)
  return reply.body as SyncBody
}

async function act(
  t: SyncTestServer,
  user: TestUser,
  roomId: string,
  action: string,
  body: object = {},
): Promise<void> {
  const reply = await t.call('POST', room(roomId, action), { user, body })
  expect(reply.status, `${action}: ${JSON.stringify(reply.body)}`).toBe(200)
}

for (const kind of roomTestStorages()) {
  describe(`POST /knock on ${kind.name}`, () => {
    const start = useSyncTestServer(kind)

    it('knocks; the moderator sees it and invites; the knocker follows it in sync and joins', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const bob = await t.users.user('bob')
      const roomId = await createRoom(t, alice, knockable())
      const aliceSince = (await sync(t, alice)).next_batch
      const bobSince = (await sync(t, bob)).next_batch

      const knocked = await knock(t, bob, roomId, { reason: 'Let me in' }, '?via=example.org')
      expect(knocked).toMatchObject({ status: 200, body: { room_id: roomId } })

      const bobView = await sync(t, bob, bobSince)
      const knockState = bobView.rooms.knock[roomId]?.knock_state.events ?? []
      expect(knockState.map((e) => e.type)).toEqual(
        expect.arrayContaining(['m.room.create', 'm.room.join_rules', 'm.room.name']),
      )
      expect(knockState.at(-1)).toEqual({
        type: 'm.room.member',
        state_key: bob.userId,
        sender: bob.userId,
        content: { membership: 'knock', reason: 'Let me in' },
      })
      expect(bobView.rooms.join[roomId]).toBeUndefined()

      const aliceView = await sync(t, alice, aliceSince)
      const seen = aliceView.rooms.join[roomId]?.timeline.events.find(
        (e) => e.type === 'm.room.member' && e.state_key === bob.userId,
      )
      expect(seen?.content).toEqual({ membership: 'knock', reason: 'Let me in' })

      await act(t, alice, roomId, 'invite', { user_id: bob.userId })
      const invitedView = await sync(t, bob, bobView.next_batch)
      expect(invitedView.rooms.invite[roomId]).toBeDefined()
      expect(invitedView.rooms.knock[roomId]).toBeUndefined()

      await act(t, bob, roomId, 'join')
      const joinedView = await sync(t, bob, invitedView.next_batch)
      expect(joinedView.rooms.join[roomId]).toBeDefined()
      expect(joinedView.rooms.knock[roomId]).toBeUndefined()
      expect((await t.storage.rooms.getMembership(roomId as never, bob.userId))?.membership).toBe(
        'join',
      )
    })

    it('moves a rejected knock to leave, and lets a knock be retracted', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const carol = await t.users.user('carol')
      const dave = await t.users.user('dave')
      const roomId = await createRoom(t, alice, knockable('knock_restricted'))
      const since = (await sync(t, carol)).next_batch
      expect((await knock(t, carol, roomId)).status).toBe(200)
      const knocking = await sync(t, carol, since)
      expect(knocking.rooms.knock[roomId]).toBeDefined()

      await act(t, alice, roomId, 'kick', { user_id: carol.userId, reason: 'Not today' })
      const rejected = await sync(t, carol, knocking.next_batch)
      expect(rejected.rooms.knock[roomId]).toBeUndefined()
      const leave = rejected.rooms.leave[roomId]?.timeline.events.at(-1)
      expect(leave).toMatchObject({
        type: 'm.room.member',
        state_key: carol.userId,
        content: { membership: 'leave', reason: 'Not today' },
      })

      expect((await knock(t, dave, roomId)).status).toBe(200)
      await act(t, dave, roomId, 'leave')
      expect((await t.storage.rooms.getMembership(roomId as never, dave.userId))?.membership).toBe(
        'leave',
      )
      // A rejected knocker may knock again.
      expect((await knock(t, carol, roomId, { reason: 'Please' })).status).toBe(200)
    })

    it('knocks by alias', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const bob = await t.users.user('bob')
      const roomId = await createRoom(t, alice, { ...knockable(), room_alias_name: 'door' })
      expect(await knock(t, bob, '#door:example.org')).toMatchObject({
        status: 200,
        body: { room_id: roomId },
      })
      expect((await t.storage.rooms.getMembership(roomId as never, bob.userId))?.membership).toBe(
        'knock',
      )
    })

    it('refuses knocks the room does not take, with the spec errors', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const bob = await t.users.user('bob')
      const carol = await t.users.user('carol')
      const eve = await t.users.user('eve')
      const guest = await t.users.user('guest', { isGuest: true })
      const forbidden = { status: 403, body: { errcode: 'M_FORBIDDEN' } }

      const open = await createRoom(t, alice, { preset: 'public_chat' })
      const closed = await createRoom(t, alice, { preset: 'private_chat' })
      const tooOld = await createRoom(t, alice, knockable('knock', '6'))
      const noKnockRestricted = await createRoom(t, alice, knockable('knock_restricted', '9'))
      for (const roomId of [open, closed, tooOld, noKnockRestricted]) {
        expect(await knock(t, bob, roomId), roomId).toMatchObject(forbidden)
      }

      const roomId = await createRoom(t, alice, knockable())
      expect(await knock(t, alice, roomId)).toMatchObject(forbidden)
      await act(t, alice, roomId, 'invite', { user_id: carol.userId })
      expect(await knock(t, carol, roomId)).toMatchObject(forbidden)
      await act(t, alice, roomId, 'ban', { user_id: eve.userId })
      expect(await knock(t, eve, roomId)).toMatchObject(forbidden)
      expect(await knock(t, guest, roomId)).toMatchObject({
        status: 403,
        body: { errcode: 'M_GUEST_ACCESS_FORBIDDEN' },
      })

      for (const target of ['!unknown:example.org', '#nowhere:example.org', '#far:other.example']) {
        expect(await knock(t, bob, target), target).toMatchObject({
          status: 404,
          body: { errcode: 'M_NOT_FOUND' },
        })
      }
      const badReason = await t.call('POST', `${V3}/knock/${encodeURIComponent(roomId)}`, {
        user: bob,
        body: { reason: 42 },
      })
      expect(badReason).toMatchObject({ status: 400, body: { errcode: 'M_BAD_JSON' } })
      const badTarget = await t.call('POST', `${V3}/knock/nonsense`, { user: bob, body: {} })
      expect(badTarget).toMatchObject({ status: 400, body: { errcode: 'M_INVALID_PARAM' } })
      const anonymous = await t.call('POST', `${V3}/knock/${encodeURIComponent(roomId)}`, {
        body: {},
      })
      expect(anonymous).toMatchObject({ status: 401, body: { errcode: 'M_MISSING_TOKEN' } })
      expect(await t.storage.rooms.getMembership(roomId as never, bob.userId)).toBeUndefined()
    })
  })
}

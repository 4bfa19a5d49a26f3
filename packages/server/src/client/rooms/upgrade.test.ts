import { describe, expect, it } from 'vitest'
import type { TestUser } from '../../testing/fake-authenticate.js'
import { expectMatchesSpec } from '../../testing/openapi-spec.js'
import { roomTestStorages } from '../../testing/room-storages.js'
import { useSyncTestServer, type SyncTestServer } from '../../testing/sync-test-server.js'

const V3 = '/_matrix/client/v3'
const UPGRADE_PATH = `${V3}/rooms/{roomId}/upgrade`

const room = (roomId: string, rest: string): string =>
  `${V3}/rooms/${encodeURIComponent(roomId)}/${rest}`

async function createRoom(t: SyncTestServer, user: TestUser, body: object = {}): Promise<string> {
  const reply = await t.call('POST', `${V3}/createRoom`, { user, body })
  expect(reply.status, JSON.stringify(reply.body)).toBe(200)
  return (reply.body as { room_id: string }).room_id
}

async function putState(
  t: SyncTestServer,
  user: TestUser,
  roomId: string,
  type: string,
  content: object,
  stateKey = '',
): Promise<void> {
  const reply = await t.call('PUT', room(roomId, `state/${type}/${encodeURIComponent(stateKey)}`), {
    user,
    body: content,
  })
  expect(reply.status, JSON.stringify(reply.body)).toBe(200)
}

async function upgrade(
  t: SyncTestServer,
  user: TestUser,
  roomId: string,
  body: unknown,
): Promise<{ status: number; body: unknown }> {
  const reply = await t.call('POST', room(roomId, 'upgrade'), { user, body })
  expectMatchesSpec(
    'client-server',
    'room_upgrades.yaml',
    'POST',
    UPGRADE_PATH,
    reply.status,
    reply.body,
  )
  return reply
}

async function upgraded(
  t: SyncTestServer,
  user: TestUser,
  roomId: string,
  body: unknown,
): Promise<string> {
  const reply = await upgrade(t, user, roomId, body)
  expect(reply.status, JSON.stringify(reply.body)).toBe(200)
  return (reply.body as { replacement_room: string }).replacement_room
}

async function content(
  t: SyncTestServer,
  roomId: string,
  type: string,
  stateKey = '',
): Promise<Record<string, unknown> | undefined> {
  const event = await t.storage.rooms.getCurrentStateEvent(roomId as never, type, stateKey)
  return event?.pdu.content
}

const STATE = {
  'm.room.name': { name: 'Lounge' },
  'm.room.topic': { topic: 'Sofas' },
  'm.room.avatar': { url: 'mxc://example.org/sofa' },
  'm.room.encryption': { algorithm: 'm.megolm.v1.aes-sha2' },
  'm.room.server_acl': { allow: ['*'], deny: ['bad.example'], allow_ip_literals: false },
  'm.room.history_visibility': { history_visibility: 'world_readable' },
  'm.room.guest_access': { guest_access: 'can_join' },
  'm.room.join_rules': { join_rule: 'public' },
} as const

for (const kind of roomTestStorages()) {
  describe(`POST /upgrade on ${kind.name}`, () => {
    const start = useSyncTestServer(kind)

    it('replaces a v10 room with a v12 one: state, bans, aliases and directory move', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const bob = await t.users.user('bob')
      const carol = await t.users.user('carol')
      const dave = await t.users.user('dave')
      const old = await createRoom(t, alice, {
        room_version: '10',
        preset: 'public_chat',
        visibility: 'public',
        room_alias_name: 'lounge',
        power_level_content_override: { users: { [alice.userId]: 100, [bob.userId]: 50 } },
      })
      for (const [type, value] of Object.entries(STATE)) await putState(t, alice, old, type, value)
      await putState(t, alice, old, 'org.example.custom', { sender_sensitive: true })
      expect((await t.call('POST', room(old, 'join'), { user: bob })).status).toBe(200)
      expect(
        (
          await t.call('POST', room(old, 'ban'), {
            user: alice,
            body: { user_id: carol.userId, reason: 'spam' },
          })
        ).status,
      ).toBe(200)

      const replacement = await upgraded(t, alice, old, {
        new_version: '12',
        additional_creators: [dave.userId, alice.userId],
      })
      expect(replacement).not.toBe(old)

      // The old room: tombstoned, quietened, without its canonical alias or directory listing.
      expect(await content(t, old, 'm.room.tombstone')).toEqual({
        body: 'This room has been replaced',
        replacement_room: replacement,
      })
      expect(await content(t, old, 'm.room.power_levels')).toMatchObject({
        events_default: 50,
        invite: 50,
      })
      expect(await content(t, old, 'm.room.canonical_alias')).toEqual({})
      expect((await t.storage.rooms.getRoom(old as never))?.isPublic).toBe(false)

      // The new room.
      const record = await t.storage.rooms.getRoom(replacement as never)
      expect(record).toMatchObject({ version: '12', isPublic: true })
      const create = await content(t, replacement, 'm.room.create')
      expect(create).toEqual({
        room_version: '12',
        predecessor: { room_id: old },
        additional_creators: [dave.userId],
      })
      for (const [type, value] of Object.entries(STATE)) {
        expect(await content(t, replacement, type), type).toEqual(value)
      }
      expect(await content(t, replacement, 'm.room.canonical_alias')).toEqual({
        alias: '#lounge:example.org',
      })
      expect(await content(t, replacement, 'org.example.custom')).toBeUndefined()
      const powerLevels = await content(t, replacement, 'm.room.power_levels')
      // Creators have infinite power in v12 and are not listed.
      expect(powerLevels?.['users']).toEqual({ [bob.userId]: 50 })
      expect(powerLevels?.['events']).toMatchObject({ 'm.room.tombstone': 100 })
      expect(await content(t, replacement, 'm.room.member', alice.userId)).toMatchObject({
        membership: 'join',
      })
      expect(await content(t, replacement, 'm.room.member', carol.userId)).toEqual({
        membership: 'ban',
        reason: 'spam',
      })
      // bob is not carried over: he follows the tombstone.
      expect(await content(t, replacement, 'm.room.member', bob.userId)).toBeUndefined()
      const alias = await t.storage.roomAliases.getAlias('#lounge:example.org' as never)
      expect(alias).toMatchObject({ roomId: replacement, creator: alice.userId })

      // Others can follow: bob joins the new room and the alias leads there.
      const joined = await t.call(
        'POST',
        `${V3}/join/${encodeURIComponent('#lounge:example.org')}`,
        {
          user: bob,
        },
      )
      expect(joined).toMatchObject({ status: 200, body: { room_id: replacement } })
    })

    it('lets a moderator who may tombstone upgrade, raising then restoring their power', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const bob = await t.users.user('bob')
      const override = {
        users: { [alice.userId]: 100, [bob.userId]: 50 },
        events: { 'm.room.tombstone': 50, 'm.room.power_levels': 100 },
      }
      const old = await createRoom(t, alice, {
        room_version: '11',
        preset: 'public_chat',
        power_level_content_override: override,
      })
      expect((await t.call('POST', room(old, 'join'), { user: bob })).status).toBe(200)
      const latest = await t.storage.events.roomTimeline(old as never, { direction: 'b', limit: 1 })
      const lastEventId = latest.events[0]?.pdu.eventId

      const replacement = await upgraded(t, bob, old, { new_version: '11' })
      const create = await content(t, replacement, 'm.room.create')
      // Before v12 the predecessor names the old room's last event too.
      expect(create).toEqual({
        room_version: '11',
        predecessor: { room_id: old, event_id: lastEventId },
      })
      const powerLevels = await content(t, replacement, 'm.room.power_levels')
      expect(powerLevels).toMatchObject(override)
      const history = await t.storage.events.roomTimeline(replacement as never, {
        direction: 'f',
        limit: 50,
        filter: { types: ['m.room.power_levels'] },
      })
      const levels = history.events.map(
        (e) => (e.pdu.content['users'] as Record<string, number>)[bob.userId],
      )
      expect(levels).toEqual([100, 50])
      // bob may not change the old room's power levels: it keeps them, and the upgrade stands.
      expect(await content(t, old, 'm.room.power_levels')).toMatchObject({ events_default: 0 })
      expect(await content(t, old, 'm.room.tombstone')).toMatchObject({
        replacement_room: replacement,
      })
    })

    it('keeps a space a space, with its children', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const space = await createRoom(t, alice, {
        preset: 'public_chat',
        creation_content: { type: 'm.space' },
      })
      const child = await createRoom(t, alice, { preset: 'public_chat' })
      const gone = await createRoom(t, alice, { preset: 'public_chat' })
      await putState(t, alice, space, 'm.space.child', { via: ['example.org'], order: 'x' }, child)
      await putState(t, alice, space, 'm.space.child', {}, gone)
      const replacement = await upgraded(t, alice, space, { new_version: '12' })
      expect(await content(t, replacement, 'm.room.create')).toMatchObject({ type: 'm.space' })
      expect(await content(t, replacement, 'm.space.child', child)).toEqual({
        via: ['example.org'],
        order: 'x',
      })
      expect(await content(t, replacement, 'm.space.child', gone)).toBeUndefined()
    })

    it('refuses bad requests and users without the power to upgrade', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const bob = await t.users.user('bob')
      const carol = await t.users.user('carol')
      const roomId = await createRoom(t, alice, { preset: 'public_chat' })
      expect((await t.call('POST', room(roomId, 'join'), { user: bob })).status).toBe(200)

      expect(await upgrade(t, alice, roomId, { new_version: '99' })).toMatchObject({
        status: 400,
        body: { errcode: 'M_UNSUPPORTED_ROOM_VERSION' },
      })
      const forbidden = { status: 403, body: { errcode: 'M_FORBIDDEN' } }
      expect(await upgrade(t, bob, roomId, { new_version: '12' })).toMatchObject(forbidden)
      expect(await upgrade(t, carol, roomId, { new_version: '12' })).toMatchObject(forbidden)
      expect(await upgrade(t, alice, '!unknown:example.org', { new_version: '12' })).toMatchObject(
        forbidden,
      )
      expect(await content(t, roomId, 'm.room.tombstone')).toBeUndefined()

      for (const [body, errcode] of [
        [{}, 'M_MISSING_PARAM'],
        [{ new_version: 12 }, 'M_BAD_JSON'],
        [{ new_version: '12', additional_creators: 'bob' }, 'M_BAD_JSON'],
        [{ new_version: '12', additional_creators: [7] }, 'M_BAD_JSON'],
        [{ new_version: '12', additional_creators: ['not a user'] }, 'M_INVALID_PARAM'],
      ] as const) {
        const reply = await t.call('POST', room(roomId, 'upgrade'), { user: alice, body })
        expect(reply, JSON.stringify(body)).toMatchObject({ status: 400, body: { errcode } })
      }
      const notJson = await t.call('POST', room(roomId, 'upgrade'), { user: alice, raw: 'nope' })
      expect(notJson).toMatchObject({ status: 400, body: { errcode: 'M_NOT_JSON' } })
      const anonymous = await t.call('POST', room(roomId, 'upgrade'), {
        body: { new_version: '12' },
      })
      expect(anonymous).toMatchObject({ status: 401, body: { errcode: 'M_MISSING_TOKEN' } })
    })
  })
}

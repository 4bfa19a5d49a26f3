import type { JsonObject, RoomId } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import { expectMatchesSpec } from '../../testing/openapi-spec.js'
import {
  useProfileDirectoryTestServer,
  type ProfileDirectoryTestServer,
  type TestUser,
} from '../../testing/profile-directory-test-server.js'
import { roomTestStorages } from '../../testing/room-storages.js'

const V3 = '/_matrix/client/v3'
const ALIAS = `${V3}/directory/room/{roomAlias}`
const LOCAL = `${V3}/rooms/{roomId}/aliases`

const aliasPath = (alias: string): string => `${V3}/directory/room/${encodeURIComponent(alias)}`
const roomPath = (roomId: string, rest: string): string =>
  `${V3}/rooms/${encodeURIComponent(roomId)}/${rest}`

async function createRoom(
  t: ProfileDirectoryTestServer,
  user: TestUser,
  body: object = { preset: 'public_chat' },
): Promise<RoomId> {
  const reply = await t.call('POST', `${V3}/createRoom`, { user, body })
  expect(reply.status).toBe(200)
  return (reply.body as { room_id: RoomId }).room_id
}

async function join(t: ProfileDirectoryTestServer, user: TestUser, roomId: RoomId): Promise<void> {
  expect((await t.call('POST', roomPath(roomId, 'join'), { user })).status).toBe(200)
}

async function canonicalAlias(
  t: ProfileDirectoryTestServer,
  user: TestUser,
  roomId: RoomId,
): Promise<JsonObject> {
  const reply = await t.call('GET', roomPath(roomId, 'state/m.room.canonical_alias'), { user })
  expect(reply.status).toBe(200)
  return reply.body as JsonObject
}

for (const kind of roomTestStorages()) {
  describe(`room alias endpoints on ${kind.name}`, () => {
    const start = useProfileDirectoryTestServer(kind)

    it('creates, resolves, lists and deletes an alias', async () => {
      const t = await start()
      const alice = await t.user('alice')
      const roomId = await createRoom(t, alice, { preset: 'public_chat', room_alias_name: 'home' })

      const put = await t.call('PUT', aliasPath('#other:example.org'), {
        user: alice,
        body: { room_id: roomId },
      })
      expect(put).toEqual({ status: 200, body: {} })
      expectMatchesSpec('client-server', 'directory.yaml', 'PUT', ALIAS, 200, put.body)

      // Resolving needs no token.
      const got = await t.call('GET', aliasPath('#other:example.org'))
      expect(got).toEqual({ status: 200, body: { room_id: roomId, servers: ['example.org'] } })
      expectMatchesSpec('client-server', 'directory.yaml', 'GET', ALIAS, 200, got.body)

      const listed = await t.call('GET', roomPath(roomId, 'aliases'), { user: alice })
      expect(listed).toEqual({
        status: 200,
        body: { aliases: ['#home:example.org', '#other:example.org'] },
      })
      expectMatchesSpec('client-server', 'directory.yaml', 'GET', LOCAL, 200, listed.body)

      const deleted = await t.call('DELETE', aliasPath('#other:example.org'), { user: alice })
      expect(deleted).toEqual({ status: 200, body: {} })
      expectMatchesSpec('client-server', 'directory.yaml', 'DELETE', ALIAS, 200, deleted.body)
      const gone = await t.call('GET', aliasPath('#other:example.org'))
      expect(gone).toMatchObject({ status: 404, body: { errcode: 'M_NOT_FOUND' } })
      expectMatchesSpec('client-server', 'directory.yaml', 'GET', ALIAS, 404, gone.body)
      const again = await t.call('DELETE', aliasPath('#other:example.org'), { user: alice })
      expect(again).toMatchObject({ status: 404, body: { errcode: 'M_NOT_FOUND' } })
      expectMatchesSpec('client-server', 'directory.yaml', 'DELETE', ALIAS, 404, again.body)
      // The alias is free again.
      expect(
        (
          await t.call('PUT', aliasPath('#other:example.org'), {
            user: alice,
            body: { room_id: roomId },
          })
        ).status,
      ).toBe(200)
    })

    it('refuses taken, invalid and foreign aliases, and unknown rooms', async () => {
      const t = await start()
      const alice = await t.user('alice')
      const roomId = await createRoom(t, alice, { room_alias_name: 'home' })
      const put = (alias: string, body: unknown): ReturnType<typeof t.call> =>
        t.call('PUT', aliasPath(alias), { user: alice, body })

      const taken = await put('#home:example.org', { room_id: roomId })
      expect(taken).toMatchObject({ status: 409, body: { errcode: 'M_UNKNOWN' } })
      expectMatchesSpec('client-server', 'directory.yaml', 'PUT', ALIAS, 409, taken.body)

      for (const alias of [
        'home',
        '#home',
        '#:example.org',
        '#two words:example.org',
        '#x:bad host',
      ]) {
        const reply = await put(alias, { room_id: roomId })
        expect({ alias, reply }).toMatchObject({
          reply: { status: 400, body: { errcode: 'M_INVALID_PARAM' } },
        })
        expectMatchesSpec('client-server', 'directory.yaml', 'PUT', ALIAS, 400, reply.body)
      }
      const foreign = await put('#home:elsewhere.test', { room_id: roomId })
      expect(foreign).toMatchObject({ status: 400, body: { errcode: 'M_INVALID_PARAM' } })

      expect(await put('#a:example.org', {})).toMatchObject({
        status: 400,
        body: { errcode: 'M_MISSING_PARAM' },
      })
      expect(await put('#a:example.org', { room_id: 7 })).toMatchObject({
        status: 400,
        body: { errcode: 'M_BAD_JSON' },
      })
      expect(await put('#a:example.org', { room_id: 'not a room' })).toMatchObject({
        status: 400,
        body: { errcode: 'M_INVALID_PARAM' },
      })
      expect(await put('#a:example.org', { room_id: '!unknown:example.org' })).toMatchObject({
        status: 404,
        body: { errcode: 'M_NOT_FOUND' },
      })
      const anonymous = await t.call('PUT', aliasPath('#a:example.org'), {
        body: { room_id: roomId },
      })
      expect(anonymous).toMatchObject({ status: 401, body: { errcode: 'M_MISSING_TOKEN' } })

      const bad = await t.call('GET', aliasPath('nope'))
      expect(bad).toMatchObject({ status: 400, body: { errcode: 'M_INVALID_PARAM' } })
      expectMatchesSpec('client-server', 'directory.yaml', 'GET', ALIAS, 400, bad.body)
      const remote = await t.call('GET', aliasPath('#home:elsewhere.test'))
      expect(remote).toMatchObject({ status: 404, body: { errcode: 'M_NOT_FOUND' } })
    })

    it('lets only members, and any server admin, create aliases', async () => {
      const t = await start()
      const alice = await t.user('alice')
      const bob = await t.user('bob')
      const roomId = await createRoom(t, alice)
      const outsider = await t.call('PUT', aliasPath('#bobs:example.org'), {
        user: bob,
        body: { room_id: roomId },
      })
      expect(outsider).toMatchObject({ status: 403, body: { errcode: 'M_FORBIDDEN' } })
      await join(t, bob, roomId)
      expect(
        (
          await t.call('PUT', aliasPath('#bobs:example.org'), {
            user: bob,
            body: { room_id: roomId },
          })
        ).status,
      ).toBe(200)
      const admin = await t.user('root', { admin: true })
      expect(
        (
          await t.call('PUT', aliasPath('#admins:example.org'), {
            user: admin,
            body: { room_id: roomId },
          })
        ).status,
      ).toBe(200)
      const guest = await t.user('visitor', { isGuest: true })
      const byGuest = await t.call('PUT', aliasPath('#guests:example.org'), {
        user: guest,
        body: { room_id: roomId },
      })
      expect(byGuest).toMatchObject({ status: 403, body: { errcode: 'M_GUEST_ACCESS_FORBIDDEN' } })
    })

    it("lets an alias's creator, the room's moderators and server admins delete it", async () => {
      const t = await start()
      const alice = await t.user('alice')
      const bob = await t.user('bob')
      const carol = await t.user('carol')
      const admin = await t.user('root', { admin: true })
      const roomId = await createRoom(t, alice)
      await join(t, bob, roomId)
      await join(t, carol, roomId)
      for (const name of ['one', 'two', 'three']) {
        const made = await t.call('PUT', aliasPath(`#${name}:example.org`), {
          user: bob,
          body: { room_id: roomId },
        })
        expect(made.status).toBe(200)
      }
      // Carol has no power in the room and did not make the alias.
      const refused = await t.call('DELETE', aliasPath('#one:example.org'), { user: carol })
      expect(refused).toMatchObject({ status: 403, body: { errcode: 'M_FORBIDDEN' } })
      expect((await t.call('DELETE', aliasPath('#one:example.org'), { user: bob })).status).toBe(
        200,
      )
      // Alice created the room, so she may change its canonical alias.
      expect((await t.call('DELETE', aliasPath('#two:example.org'), { user: alice })).status).toBe(
        200,
      )
      expect(
        (await t.call('DELETE', aliasPath('#three:example.org'), { user: admin })).status,
      ).toBe(200)
      const listed = await t.call('GET', roomPath(roomId, 'aliases'), { user: alice })
      expect(listed.body).toEqual({ aliases: [] })
      const foreign = await t.call('DELETE', aliasPath('#x:elsewhere.test'), { user: admin })
      expect(foreign).toMatchObject({ status: 404, body: { errcode: 'M_NOT_FOUND' } })
    })

    it("takes a deleted alias out of the room's canonical alias when it may", async () => {
      const t = await start()
      const alice = await t.user('alice')
      const bob = await t.user('bob')
      const roomId = await createRoom(t, alice, { preset: 'public_chat', room_alias_name: 'main' })
      await join(t, bob, roomId)
      for (const [user, name] of [
        [alice, 'alt'],
        [bob, 'bobs'],
      ] as const) {
        const made = await t.call('PUT', aliasPath(`#${name}:example.org`), {
          user,
          body: { room_id: roomId },
        })
        expect(made.status).toBe(200)
      }
      const set = await t.call('PUT', roomPath(roomId, 'state/m.room.canonical_alias'), {
        user: alice,
        body: {
          alias: '#main:example.org',
          alt_aliases: ['#alt:example.org', '#bobs:example.org'],
        },
      })
      expect(set.status).toBe(200)

      // Bob made #bobs, so he may delete it, but he may not change the canonical alias event.
      expect((await t.call('DELETE', aliasPath('#bobs:example.org'), { user: bob })).status).toBe(
        200,
      )
      expect(await canonicalAlias(t, alice, roomId)).toEqual({
        alias: '#main:example.org',
        alt_aliases: ['#alt:example.org', '#bobs:example.org'],
      })
      expect((await t.call('DELETE', aliasPath('#alt:example.org'), { user: alice })).status).toBe(
        200,
      )
      expect(await canonicalAlias(t, alice, roomId)).toEqual({
        alias: '#main:example.org',
        alt_aliases: ['#bobs:example.org'],
      })
      expect((await t.call('DELETE', aliasPath('#main:example.org'), { user: alice })).status).toBe(
        200,
      )
      expect(await canonicalAlias(t, alice, roomId)).toEqual({ alt_aliases: ['#bobs:example.org'] })
    })

    it('lists local aliases to members, to anyone for world-readable rooms, and to admins', async () => {
      const t = await start()
      const alice = await t.user('alice')
      const bob = await t.user('bob')
      const admin = await t.user('root', { admin: true })
      const roomId = await createRoom(t, alice, { preset: 'private_chat', room_alias_name: 'priv' })
      const refused = await t.call('GET', roomPath(roomId, 'aliases'), { user: bob })
      expect(refused).toMatchObject({ status: 403, body: { errcode: 'M_FORBIDDEN' } })
      expectMatchesSpec('client-server', 'directory.yaml', 'GET', LOCAL, 403, refused.body)
      const unknown = await t.call('GET', roomPath('!unknown:example.org', 'aliases'), {
        user: bob,
      })
      expect(unknown).toMatchObject({ status: 403, body: { errcode: 'M_FORBIDDEN' } })
      expect((await t.call('GET', roomPath(roomId, 'aliases'), { user: admin })).body).toEqual({
        aliases: ['#priv:example.org'],
      })
      const readable = await t.call('PUT', roomPath(roomId, 'state/m.room.history_visibility'), {
        user: alice,
        body: { history_visibility: 'world_readable' },
      })
      expect(readable.status).toBe(200)
      expect((await t.call('GET', roomPath(roomId, 'aliases'), { user: bob })).body).toEqual({
        aliases: ['#priv:example.org'],
      })
      const anonymous = await t.call('GET', roomPath(roomId, 'aliases'))
      expect(anonymous).toMatchObject({ status: 401, body: { errcode: 'M_MISSING_TOKEN' } })
    })

    it('joins a room by an alias made through the directory', async () => {
      const t = await start()
      const alice = await t.user('alice')
      const bob = await t.user('bob')
      const roomId = await createRoom(t, alice)
      await t.call('PUT', aliasPath('#lobby:example.org'), {
        user: alice,
        body: { room_id: roomId },
      })
      const joined = await t.call(
        'POST',
        `${V3}/join/${encodeURIComponent('#lobby:example.org')}`,
        {
          user: bob,
        },
      )
      expect(joined).toEqual({ status: 200, body: { room_id: roomId } })
      const resolved = await t.call('GET', aliasPath('#lobby:example.org'))
      expect(resolved.body).toEqual({ room_id: roomId, servers: ['example.org'] })
    })
  })
}

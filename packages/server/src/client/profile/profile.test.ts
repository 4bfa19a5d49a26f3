import type { JsonObject, RoomId, UserId } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import { DEFAULTS } from '../../config/defaults.js'
import { createMemoryRateLimiter } from '../../rate-limit/memory-rate-limiter.js'
import { expectMatchesSpec } from '../../testing/openapi-spec.js'
import {
  useProfileDirectoryTestServer,
  type ProfileDirectoryTestServer,
  type TestUser,
} from '../../testing/profile-directory-test-server.js'
import { roomTestStorages } from '../../testing/room-storages.js'

const V3 = '/_matrix/client/v3'
const PROFILE = `${V3}/profile/{userId}`
const FIELD = `${V3}/profile/{userId}/{keyName}`

function profilePath(userId: string, field?: string): string {
  return `${V3}/profile/${encodeURIComponent(userId)}${field === undefined ? '' : `/${field}`}`
}

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
  const reply = await t.call('POST', `${V3}/rooms/${encodeURIComponent(roomId)}/join`, { user })
  expect(reply.status).toBe(200)
}

/** The member event content of `userId` as another member reads it. */
async function memberContent(
  t: ProfileDirectoryTestServer,
  reader: TestUser,
  roomId: RoomId,
  userId: UserId,
): Promise<JsonObject> {
  const reply = await t.call(
    'GET',
    `${V3}/rooms/${encodeURIComponent(roomId)}/state/m.room.member/${encodeURIComponent(userId)}`,
    { user: reader },
  )
  expect(reply.status).toBe(200)
  return reply.body as JsonObject
}

async function putField(
  t: ProfileDirectoryTestServer,
  user: TestUser,
  target: string,
  field: string,
  body: unknown,
): Promise<{ status: number; body: unknown }> {
  return t.call('PUT', profilePath(target, field), { user, body })
}

for (const kind of roomTestStorages()) {
  describe(`profile endpoints on ${kind.name}`, () => {
    const start = useProfileDirectoryTestServer(kind)

    it('gives a new user their localpart as display name, and reads profiles without a token', async () => {
      const t = await start()
      const alice = await t.user('alice')
      const profile = await t.call('GET', profilePath(alice.userId))
      expect(profile).toEqual({ status: 200, body: { displayname: 'alice' } })
      expectMatchesSpec('client-server', 'profile.yaml', 'GET', PROFILE, 200, profile.body)

      const name = await t.call('GET', profilePath(alice.userId, 'displayname'))
      expect(name).toEqual({ status: 200, body: { displayname: 'alice' } })
      expectMatchesSpec('client-server', 'profile.yaml', 'GET', FIELD, 200, name.body)

      // An unset field is not found.
      const avatar = await t.call('GET', profilePath(alice.userId, 'avatar_url'))
      expect(avatar).toMatchObject({ status: 404, body: { errcode: 'M_NOT_FOUND' } })
    })

    it('sets, reads and clears each field', async () => {
      const t = await start()
      const alice = await t.user('alice')
      const set = await putField(t, alice, alice.userId, 'displayname', { displayname: 'Alice 🐇' })
      expect(set).toEqual({ status: 200, body: {} })
      expectMatchesSpec('client-server', 'profile.yaml', 'PUT', FIELD, 200, set.body)
      const avatar = await putField(t, alice, alice.userId, 'avatar_url', {
        avatar_url: 'mxc://example.org/abc_DEF-1',
      })
      expect(avatar.status).toBe(200)
      const profile = await t.call('GET', profilePath(alice.userId))
      expect(profile.body).toEqual({
        displayname: 'Alice 🐇',
        avatar_url: 'mxc://example.org/abc_DEF-1',
      })
      expectMatchesSpec('client-server', 'profile.yaml', 'GET', PROFILE, 200, profile.body)
      const url = await t.call('GET', profilePath(alice.userId, 'avatar_url'))
      expect(url.body).toEqual({ avatar_url: 'mxc://example.org/abc_DEF-1' })

      // DELETE removes a field; an empty string clears it too, as clients use it.
      const deleted = await t.call('DELETE', profilePath(alice.userId, 'displayname'), {
        user: alice,
      })
      expect(deleted).toEqual({ status: 200, body: {} })
      expectMatchesSpec('client-server', 'profile.yaml', 'DELETE', FIELD, 200, deleted.body)
      expect(
        (await putField(t, alice, alice.userId, 'avatar_url', { avatar_url: '' })).status,
      ).toBe(200)
      const empty = await t.call('GET', profilePath(alice.userId))
      expect(empty).toEqual({ status: 200, body: {} })
      expectMatchesSpec('client-server', 'profile.yaml', 'GET', PROFILE, 200, empty.body)
      expect((await t.call('GET', profilePath(alice.userId, 'displayname'))).status).toBe(404)
    })

    it('refuses bad values with the spec error codes', async () => {
      const t = await start()
      const alice = await t.user('alice')
      const cases: [string, unknown, string][] = [
        ['displayname', {}, 'M_MISSING_PARAM'],
        ['displayname', { avatar_url: 'mxc://example.org/a' }, 'M_MISSING_PARAM'],
        ['displayname', { displayname: 42 }, 'M_INVALID_PARAM'],
        ['displayname', { displayname: null }, 'M_INVALID_PARAM'],
        ['displayname', { displayname: 'x'.repeat(257) }, 'M_INVALID_PARAM'],
        ['avatar_url', { avatar_url: 'https://example.org/a.png' }, 'M_INVALID_PARAM'],
        ['avatar_url', { avatar_url: 'mxc://example.org/' }, 'M_INVALID_PARAM'],
        ['avatar_url', { avatar_url: 'mxc://not a server/abc' }, 'M_INVALID_PARAM'],
        ['avatar_url', { avatar_url: ['mxc://example.org/a'] }, 'M_INVALID_PARAM'],
        ['avatar_url', { avatar_url: `mxc://example.org/${'a'.repeat(1000)}` }, 'M_INVALID_PARAM'],
      ]
      for (const [field, body, errcode] of cases) {
        const reply = await putField(t, alice, alice.userId, field, body)
        expect({ field, body, reply }).toMatchObject({
          reply: { status: 400, body: { errcode } },
        })
        expectMatchesSpec('client-server', 'profile.yaml', 'PUT', FIELD, 400, reply.body)
      }
      const notJson = await t.call('PUT', profilePath(alice.userId, 'displayname'), {
        user: alice,
        raw: '{"displayname": ',
      })
      expect(notJson).toMatchObject({ status: 400, body: { errcode: 'M_NOT_JSON' } })
      // 256 characters (not UTF-16 units) is the limit.
      const longest = await putField(t, alice, alice.userId, 'displayname', {
        displayname: '🐇'.repeat(256),
      })
      expect(longest.status).toBe(200)
      expect((await t.call('GET', profilePath(alice.userId))).body).toEqual({
        displayname: '🐇'.repeat(256),
      })
    })

    it("refuses changes to another user's profile, except from a server admin", async () => {
      const t = await start()
      const alice = await t.user('alice')
      const bob = await t.user('bob')
      const forbidden = await putField(t, bob, alice.userId, 'displayname', { displayname: 'Evil' })
      expect(forbidden).toMatchObject({ status: 403, body: { errcode: 'M_FORBIDDEN' } })
      expectMatchesSpec('client-server', 'profile.yaml', 'PUT', FIELD, 403, forbidden.body)
      const deleting = await t.call('DELETE', profilePath(alice.userId, 'displayname'), {
        user: bob,
      })
      expect(deleting).toMatchObject({ status: 403, body: { errcode: 'M_FORBIDDEN' } })
      expectMatchesSpec('client-server', 'profile.yaml', 'DELETE', FIELD, 403, deleting.body)
      const remote = await putField(t, bob, '@bob:elsewhere.test', 'displayname', {
        displayname: 'x',
      })
      expect(remote).toMatchObject({ status: 403, body: { errcode: 'M_FORBIDDEN' } })
      const anonymous = await t.call('PUT', profilePath(alice.userId, 'displayname'), {
        body: { displayname: 'x' },
      })
      expect(anonymous).toMatchObject({ status: 401, body: { errcode: 'M_MISSING_TOKEN' } })
      expect((await t.call('GET', profilePath(alice.userId))).body).toEqual({
        displayname: 'alice',
      })

      const admin = await t.user('root', { admin: true })
      const roomId = await createRoom(t, alice)
      const byAdmin = await putField(t, admin, alice.userId, 'displayname', {
        displayname: 'Renamed',
      })
      expect(byAdmin.status).toBe(200)
      expect((await t.call('GET', profilePath(alice.userId))).body).toEqual({
        displayname: 'Renamed',
      })
      expect(await memberContent(t, alice, roomId, alice.userId)).toEqual({
        membership: 'join',
        displayname: 'Renamed',
      })
      const unknown = await putField(t, admin, '@nobody:example.org', 'displayname', {
        displayname: 'x',
      })
      expect(unknown).toMatchObject({ status: 404, body: { errcode: 'M_NOT_FOUND' } })
    })

    it('answers M_NOT_FOUND for unknown and remote users, M_INVALID_PARAM for bad IDs', async () => {
      const t = await start()
      for (const userId of ['@nobody:example.org', '@alice:elsewhere.test']) {
        const reply = await t.call('GET', profilePath(userId))
        expect(reply).toMatchObject({ status: 404, body: { errcode: 'M_NOT_FOUND' } })
        expectMatchesSpec('client-server', 'profile.yaml', 'GET', PROFILE, 404, reply.body)
        const field = await t.call('GET', profilePath(userId, 'displayname'))
        expect(field).toMatchObject({ status: 404, body: { errcode: 'M_NOT_FOUND' } })
      }
      const bad = await t.call('GET', profilePath('alice'))
      expect(bad).toMatchObject({ status: 400, body: { errcode: 'M_INVALID_PARAM' } })
      // Only the two fields this server stores are served.
      const other = await t.call('GET', profilePath('@alice:example.org', 'm.tz'))
      expect(other).toMatchObject({ status: 404, body: { errcode: 'M_UNRECOGNIZED' } })
    })

    it('lets a guest name themselves', async () => {
      const t = await start()
      const guest = await t.user('guest', { isGuest: true })
      const set = await putField(t, guest, guest.userId, 'displayname', { displayname: 'Visitor' })
      expect(set.status).toBe(200)
      expect((await t.call('GET', profilePath(guest.userId))).body).toEqual({
        displayname: 'Visitor',
      })
    })
  })

  describe(`profiles in member events on ${kind.name}`, () => {
    const start = useProfileDirectoryTestServer(kind)

    it('puts the profile into the joins and invites the server makes', async () => {
      const t = await start()
      const alice = await t.user('alice')
      const bob = await t.user('bob')
      const carol = await t.user('carol')
      await putField(t, bob, bob.userId, 'avatar_url', { avatar_url: 'mxc://example.org/bob' })
      await putField(t, carol, carol.userId, 'displayname', { displayname: 'Carol' })

      const roomId = await createRoom(t, alice, { preset: 'private_chat', invite: [bob.userId] })
      expect(await memberContent(t, alice, roomId, alice.userId)).toEqual({
        membership: 'join',
        displayname: 'alice',
      })
      expect(await memberContent(t, alice, roomId, bob.userId)).toEqual({
        membership: 'invite',
        displayname: 'bob',
        avatar_url: 'mxc://example.org/bob',
      })
      const invited = await t.call('POST', `${V3}/rooms/${encodeURIComponent(roomId)}/invite`, {
        user: alice,
        body: { user_id: carol.userId },
      })
      expect(invited.status).toBe(200)
      expect(await memberContent(t, alice, roomId, carol.userId)).toEqual({
        membership: 'invite',
        displayname: 'Carol',
      })
      await join(t, carol, roomId)
      expect(await memberContent(t, alice, roomId, carol.userId)).toEqual({
        membership: 'join',
        displayname: 'Carol',
      })
    })

    it('carries a change into every room the user is joined to, and no other', async () => {
      const t = await start()
      const alice = await t.user('alice')
      const bob = await t.user('bob')
      const first = await createRoom(t, alice)
      const second = await createRoom(t, alice)
      const left = await createRoom(t, alice)
      for (const roomId of [first, second, left]) await join(t, bob, roomId)
      const leave = await t.call('POST', `${V3}/rooms/${encodeURIComponent(left)}/leave`, {
        user: bob,
      })
      expect(leave.status).toBe(200)
      const beforeLeft = await memberContent(t, alice, left, bob.userId)

      await putField(t, bob, bob.userId, 'displayname', { displayname: 'Bobby' })
      await putField(t, bob, bob.userId, 'avatar_url', { avatar_url: 'mxc://example.org/b' })
      for (const roomId of [first, second]) {
        expect(await memberContent(t, alice, roomId, bob.userId)).toEqual({
          membership: 'join',
          displayname: 'Bobby',
          avatar_url: 'mxc://example.org/b',
        })
      }
      expect(await memberContent(t, alice, left, bob.userId)).toEqual(beforeLeft)

      // Setting the same value again sends nothing.
      const position = await t.storage.streams.currentPosition()
      await putField(t, bob, bob.userId, 'displayname', { displayname: 'Bobby' })
      expect(await t.storage.streams.currentPosition()).toBe(position)

      // A cleared field leaves the member events.
      await t.call('DELETE', profilePath(bob.userId, 'avatar_url'), { user: bob })
      expect(await memberContent(t, alice, first, bob.userId)).toEqual({
        membership: 'join',
        displayname: 'Bobby',
      })
    })
  })

  describe(`profile change rate limit on ${kind.name}`, () => {
    const start = useProfileDirectoryTestServer(kind, {
      rateLimiter: createMemoryRateLimiter({
        enabled: true,
        rules: { ...DEFAULTS.rateLimits, profile: { perSecond: 0.001, burstCount: 2 } },
      }),
    })

    it('counts profile changes per user', async () => {
      const t = await start()
      const alice = await t.user('alice')
      const bob = await t.user('bob')
      const rename = (user: TestUser, name: string): ReturnType<typeof putField> =>
        putField(t, user, user.userId, 'displayname', { displayname: name })
      expect((await rename(alice, 'A')).status).toBe(200)
      expect((await rename(alice, 'B')).status).toBe(200)
      const third = await rename(alice, 'C')
      expect(third).toMatchObject({ status: 429, body: { errcode: 'M_LIMIT_EXCEEDED' } })
      expectMatchesSpec('client-server', 'profile.yaml', 'PUT', FIELD, 429, third.body)
      expect((await rename(bob, 'Bob')).status).toBe(200)
      // Reading is not limited.
      expect((await t.call('GET', profilePath(alice.userId))).body).toEqual({ displayname: 'B' })
    })
  })
}

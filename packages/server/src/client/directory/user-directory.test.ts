import type { RoomId } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import { expectMatchesSpec } from '../../testing/openapi-spec.js'
import {
  useProfileDirectoryTestServer,
  type ProfileDirectoryTestServer,
  type TestUser,
} from '../../testing/profile-directory-test-server.js'
import { roomTestStorages } from '../../testing/room-storages.js'

const V3 = '/_matrix/client/v3'
const SEARCH = `${V3}/user_directory/search`

interface SearchReply {
  results: { user_id: string; display_name?: string; avatar_url?: string }[]
  limited: boolean
}

async function search(
  t: ProfileDirectoryTestServer,
  user: TestUser,
  body: object,
): Promise<SearchReply> {
  const reply = await t.call('POST', SEARCH, { user, body })
  expect(reply.status).toBe(200)
  expectMatchesSpec('client-server', 'users.yaml', 'POST', SEARCH, 200, reply.body)
  return reply.body as SearchReply
}

async function found(
  t: ProfileDirectoryTestServer,
  user: TestUser,
  term: string,
): Promise<string[]> {
  return (await search(t, user, { search_term: term })).results.map((r) => r.user_id)
}

async function createRoom(
  t: ProfileDirectoryTestServer,
  user: TestUser,
  body: object,
): Promise<RoomId> {
  const reply = await t.call('POST', `${V3}/createRoom`, { user, body })
  expect(reply.status).toBe(200)
  return (reply.body as { room_id: RoomId }).room_id
}

async function join(t: ProfileDirectoryTestServer, user: TestUser, roomId: RoomId): Promise<void> {
  expect(
    (await t.call('POST', `${V3}/rooms/${encodeURIComponent(roomId)}/join`, { user })).status,
  ).toBe(200)
}

async function rename(t: ProfileDirectoryTestServer, user: TestUser, name: string): Promise<void> {
  const reply = await t.call(
    'PUT',
    `${V3}/profile/${encodeURIComponent(user.userId)}/displayname`,
    {
      user,
      body: { displayname: name },
    },
  )
  expect(reply.status).toBe(200)
}

for (const kind of roomTestStorages()) {
  describe(`user directory search on ${kind.name}`, () => {
    const start = useProfileDirectoryTestServer(kind)

    it('finds room-mates and members of public rooms by name or ID, case-insensitively', async () => {
      const t = await start()
      const me = await t.user('me')
      const mate = await t.user('mate')
      const stranger = await t.user('stranger')
      const open = await t.user('open.door')
      await rename(t, mate, 'Wilhelmina Mate')
      await t.call('PUT', `${V3}/profile/${encodeURIComponent(mate.userId)}/avatar_url`, {
        user: mate,
        body: { avatar_url: 'mxc://example.org/mina' },
      })
      const shared = await createRoom(t, me, { preset: 'private_chat', invite: [mate.userId] })
      await join(t, mate, shared)
      await createRoom(t, stranger, { preset: 'private_chat' })
      await createRoom(t, open, { preset: 'public_chat' })

      const mina = await search(t, me, { search_term: 'WILHEL' })
      expect(mina).toEqual({
        results: [
          {
            user_id: mate.userId,
            display_name: 'Wilhelmina Mate',
            avatar_url: 'mxc://example.org/mina',
          },
        ],
        limited: false,
      })
      expect(await found(t, me, 'mate')).toEqual([mate.userId])
      expect(await found(t, me, 'helm')).toEqual([])
      expect(await found(t, me, 'door')).toEqual([open.userId])
      expect(await found(t, me, '@open.door:example.org')).toEqual([open.userId])
      expect(await found(t, me, 'stranger')).toEqual([])
      expect(await found(t, me, '')).toEqual([])
      // The stranger finds the open room's member, but not the private room's.
      expect(await found(t, stranger, 'door')).toEqual([open.userId])
      expect(await found(t, stranger, 'mate')).toEqual([])
    })

    it('limits the results and says so', async () => {
      const t = await start()
      const me = await t.user('me')
      const names = ['sam', 'samantha', 'samuel', 'samir']
      const users = await Promise.all(names.map((name) => t.user(name)))
      const roomId = await createRoom(t, me, { preset: 'public_chat' })
      for (const user of users) await join(t, user, roomId)

      const cut = await search(t, me, { search_term: 'sam', limit: 2 })
      expect(cut.limited).toBe(true)
      expect(cut.results).toHaveLength(2)
      // The exact word first.
      expect(cut.results[0]?.user_id).toBe('@sam:example.org')
      const whole = await search(t, me, { search_term: 'sam' })
      expect(whole.limited).toBe(false)
      expect(whole.results).toHaveLength(4)
      const none = await search(t, me, { search_term: 'sam', limit: 0 })
      expect(none).toEqual({ results: [], limited: true })
    })

    it('follows profile changes and departures', async () => {
      const t = await start()
      const me = await t.user('me')
      const bob = await t.user('bob')
      const roomId = await createRoom(t, me, { preset: 'public_chat' })
      await join(t, bob, roomId)
      await rename(t, bob, 'Robert')
      expect(await found(t, me, 'robert')).toEqual([bob.userId])
      const left = await t.call('POST', `${V3}/rooms/${encodeURIComponent(roomId)}/leave`, {
        user: bob,
      })
      expect(left.status).toBe(200)
      expect(await found(t, me, 'robert')).toEqual([])
    })

    it('refuses bad requests and guests', async () => {
      const t = await start()
      const me = await t.user('me')
      const cases: [object, string][] = [
        [{}, 'M_MISSING_PARAM'],
        [{ search_term: 4 }, 'M_BAD_JSON'],
        [{ search_term: 'x', limit: 'ten' }, 'M_BAD_JSON'],
        [{ search_term: 'x', limit: 2.5 }, 'M_BAD_JSON'],
        [{ search_term: 'x', limit: -1 }, 'M_INVALID_PARAM'],
      ]
      for (const [body, errcode] of cases) {
        const reply = await t.call('POST', SEARCH, { user: me, body })
        expect({ body, reply }).toMatchObject({ reply: { status: 400, body: { errcode } } })
      }
      const anonymous = await t.call('POST', SEARCH, { body: { search_term: 'x' } })
      expect(anonymous).toMatchObject({ status: 401, body: { errcode: 'M_MISSING_TOKEN' } })
      const guest = await t.user('visitor', { isGuest: true })
      const byGuest = await t.call('POST', SEARCH, { user: guest, body: { search_term: 'me' } })
      expect(byGuest).toMatchObject({ status: 403, body: { errcode: 'M_GUEST_ACCESS_FORBIDDEN' } })
    })
  })
}

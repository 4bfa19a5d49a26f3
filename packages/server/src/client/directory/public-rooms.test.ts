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
const PUBLIC_ROOMS = `${V3}/publicRooms`
const VISIBILITY = `${V3}/directory/list/room/{roomId}`

const visibilityPath = (roomId: string): string =>
  `${V3}/directory/list/room/${encodeURIComponent(roomId)}`

interface Listing {
  chunk: { room_id: string; num_joined_members: number }[]
  next_batch?: string
  prev_batch?: string
  total_room_count_estimate?: number
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

async function joinAll(
  t: ProfileDirectoryTestServer,
  users: readonly TestUser[],
  roomId: RoomId,
): Promise<void> {
  for (const user of users) {
    const reply = await t.call('POST', `${V3}/rooms/${encodeURIComponent(roomId)}/join`, { user })
    expect(reply.status).toBe(200)
  }
}

async function listGet(t: ProfileDirectoryTestServer, query = ''): Promise<Listing> {
  const reply = await t.call('GET', `${PUBLIC_ROOMS}${query}`)
  expect(reply.status).toBe(200)
  expectMatchesSpec('client-server', 'list_public_rooms.yaml', 'GET', PUBLIC_ROOMS, 200, reply.body)
  return reply.body as Listing
}

async function listPost(
  t: ProfileDirectoryTestServer,
  user: TestUser,
  body: object,
): Promise<Listing> {
  const reply = await t.call('POST', PUBLIC_ROOMS, { user, body })
  expect(reply.status).toBe(200)
  expectMatchesSpec(
    'client-server',
    'list_public_rooms.yaml',
    'POST',
    PUBLIC_ROOMS,
    200,
    reply.body,
  )
  return reply.body as Listing
}

const roomIds = (listing: Listing): string[] => listing.chunk.map((room) => room.room_id)

for (const kind of roomTestStorages()) {
  describe(`published room directory on ${kind.name}`, () => {
    const start = useProfileDirectoryTestServer(kind)

    it('lists published rooms with what their state says, without a token', async () => {
      const t = await start()
      const alice = await t.user('alice')
      const bob = await t.user('bob')
      const cheese = await createRoom(t, alice, {
        visibility: 'public',
        preset: 'public_chat',
        name: 'Cheese',
        topic: 'Tasty tasty cheese',
        room_alias_name: 'cheese',
        initial_state: [
          { type: 'm.room.avatar', state_key: '', content: { url: 'mxc://example.org/cheddar' } },
          {
            type: 'm.room.history_visibility',
            state_key: '',
            content: { history_visibility: 'world_readable' },
          },
        ],
      })
      await joinAll(t, [bob], cheese)
      const space = await createRoom(t, alice, {
        visibility: 'public',
        preset: 'public_chat',
        creation_content: { type: 'm.space' },
      })
      // Private in the directory, or not reachable: not listed.
      await createRoom(t, alice, { visibility: 'private', preset: 'public_chat' })
      await createRoom(t, alice, { visibility: 'public', preset: 'private_chat' })

      const listing = await listGet(t)
      expect(listing).toEqual({
        chunk: [
          {
            room_id: cheese,
            num_joined_members: 2,
            world_readable: true,
            guest_can_join: false,
            join_rule: 'public',
            name: 'Cheese',
            topic: 'Tasty tasty cheese',
            canonical_alias: '#cheese:example.org',
            avatar_url: 'mxc://example.org/cheddar',
          },
          {
            room_id: space,
            num_joined_members: 1,
            world_readable: false,
            guest_can_join: false,
            join_rule: 'public',
            room_type: 'm.space',
          },
        ],
        total_room_count_estimate: 2,
      })
      // The authenticated POST with no filter lists the same.
      expect(await listPost(t, bob, {})).toEqual(listing)
    })

    it('pages with next_batch and prev_batch, most members first', async () => {
      const t = await start()
      const users = await Promise.all(['a', 'b', 'c', 'd'].map((name) => t.user(name)))
      const [alice, ...others] = users
      if (alice === undefined) throw new Error('no alice')
      const rooms: RoomId[] = []
      for (let members = 1; members <= 4; members++) {
        const roomId = await createRoom(t, alice, { visibility: 'public', preset: 'public_chat' })
        await joinAll(t, others.slice(0, members - 1), roomId)
        rooms.unshift(roomId)
      }
      const first = await listGet(t, '?limit=2')
      expect(roomIds(first)).toEqual(rooms.slice(0, 2))
      expect(first.chunk.map((room) => room.num_joined_members)).toEqual([4, 3])
      expect(first.prev_batch).toBeUndefined()
      expect(first.total_room_count_estimate).toBe(4)
      const next = first.next_batch ?? ''
      expect(next).not.toBe('')

      const second = await listGet(t, `?limit=2&since=${encodeURIComponent(next)}`)
      expect(roomIds(second)).toEqual(rooms.slice(2, 4))
      expect(second.next_batch).toBeUndefined()
      const back = await listGet(t, `?limit=2&since=${encodeURIComponent(second.prev_batch ?? '')}`)
      expect(roomIds(back)).toEqual(rooms.slice(0, 2))
      expect(back.prev_batch).toBeUndefined()
      expect(back.next_batch).toBeDefined()

      // The POST pages the same way.
      const alicePage = await listPost(t, alice, { limit: 3, since: next })
      expect(roomIds(alicePage)).toEqual(rooms.slice(2, 4))
      const all = await listPost(t, alice, { limit: 10 })
      expect(roomIds(all)).toEqual(rooms)
      expect(all.next_batch).toBeUndefined()
      expect(roomIds(await listGet(t, '?limit=0'))).toEqual([])
    })

    it('filters by search term and room type, and handles networks as the spec says', async () => {
      const t = await start()
      const alice = await t.user('alice')
      const chat = await createRoom(t, alice, {
        visibility: 'public',
        preset: 'public_chat',
        name: 'Gardening chat',
      })
      const topical = await createRoom(t, alice, {
        visibility: 'public',
        preset: 'public_chat',
        topic: 'All about GARDENS',
      })
      const aliased = await createRoom(t, alice, {
        visibility: 'public',
        preset: 'public_chat',
        room_alias_name: 'gardener',
      })
      const space = await createRoom(t, alice, {
        visibility: 'public',
        preset: 'public_chat',
        name: 'Space',
        creation_content: { type: 'm.space' },
      })
      const search = async (filter: object): Promise<string[]> =>
        roomIds(await listPost(t, alice, { filter })).sort()
      expect(await search({ generic_search_term: 'garden' })).toEqual(
        [chat, topical, aliased].sort(),
      )
      expect(await search({ generic_search_term: '  chat ' })).toEqual([chat])
      expect(await search({ generic_search_term: 'nothing' })).toEqual([])
      expect(await search({ room_types: ['m.space'] })).toEqual([space])
      expect(await search({ room_types: [null] })).toEqual([chat, topical, aliased].sort())
      expect(await search({ generic_search_term: 'spa', room_types: [null] })).toEqual([])
      const filtered = await listPost(t, alice, { filter: { generic_search_term: 'garden' } })
      expect(filtered.total_room_count_estimate).toBe(3)

      expect(roomIds(await listPost(t, alice, { include_all_networks: true }))).toHaveLength(4)
      expect(await listPost(t, alice, { third_party_instance_id: 'irc|freenode' })).toEqual({
        chunk: [],
        total_room_count_estimate: 0,
      })
      const both = await t.call('POST', PUBLIC_ROOMS, {
        user: alice,
        body: { include_all_networks: true, third_party_instance_id: 'irc|freenode' },
      })
      expect(both).toMatchObject({ status: 400, body: { errcode: 'M_INVALID_PARAM' } })
      expect(roomIds(await listPost(t, alice, {}))).toHaveLength(4)
    })

    it('refuses bad requests, and directories of other servers', async () => {
      const t = await start()
      const alice = await t.user('alice')
      for (const query of ['?limit=-1', '?limit=x', '?since=nonsense', '?server=bad%20host']) {
        const reply = await t.call('GET', `${PUBLIC_ROOMS}${query}`)
        expect({ query, reply }).toMatchObject({
          reply: { status: 400, body: { errcode: 'M_INVALID_PARAM' } },
        })
      }
      const remote = await t.call('GET', `${PUBLIC_ROOMS}?server=elsewhere.test`)
      expect(remote).toMatchObject({ status: 404, body: { errcode: 'M_NOT_FOUND' } })
      expect((await t.call('GET', `${PUBLIC_ROOMS}?server=example.org`)).status).toBe(200)
      const remotePost = await t.call('POST', `${PUBLIC_ROOMS}?server=elsewhere.test`, {
        user: alice,
        body: {},
      })
      expect(remotePost).toMatchObject({ status: 404, body: { errcode: 'M_NOT_FOUND' } })
      const cases: [object, string][] = [
        [{ limit: 'ten' }, 'M_BAD_JSON'],
        [{ limit: 1.5 }, 'M_INVALID_PARAM'],
        [{ limit: -3 }, 'M_INVALID_PARAM'],
        [{ since: 5 }, 'M_BAD_JSON'],
        [{ since: 'f.1.bm90IGEgcm9vbQ' }, 'M_INVALID_PARAM'],
        [{ filter: 'garden' }, 'M_BAD_JSON'],
        [{ filter: { generic_search_term: 3 } }, 'M_BAD_JSON'],
        [{ filter: { room_types: 'm.space' } }, 'M_BAD_JSON'],
        [{ filter: { room_types: [1] } }, 'M_BAD_JSON'],
        [{ include_all_networks: 'yes' }, 'M_BAD_JSON'],
        [{ third_party_instance_id: 1 }, 'M_BAD_JSON'],
      ]
      for (const [body, errcode] of cases) {
        const reply = await t.call('POST', PUBLIC_ROOMS, { user: alice, body })
        expect({ body, reply }).toMatchObject({ reply: { status: 400, body: { errcode } } })
      }
      const anonymous = await t.call('POST', PUBLIC_ROOMS, { body: {} })
      expect(anonymous).toMatchObject({ status: 401, body: { errcode: 'M_MISSING_TOKEN' } })
    })
  })

  describe(`directory visibility on ${kind.name}`, () => {
    const start = useProfileDirectoryTestServer(kind)

    it("reads and sets a room's visibility, for moderators and server admins", async () => {
      const t = await start()
      const alice = await t.user('alice')
      const bob = await t.user('bob')
      const admin = await t.user('root', { admin: true })
      const roomId = await createRoom(t, alice, { preset: 'public_chat' })

      const get = await t.call('GET', visibilityPath(roomId))
      expect(get).toEqual({ status: 200, body: { visibility: 'private' } })
      expectMatchesSpec('client-server', 'list_public_rooms.yaml', 'GET', VISIBILITY, 200, get.body)

      const put = await t.call('PUT', visibilityPath(roomId), {
        user: alice,
        body: { visibility: 'public' },
      })
      expect(put).toEqual({ status: 200, body: {} })
      expectMatchesSpec('client-server', 'list_public_rooms.yaml', 'PUT', VISIBILITY, 200, put.body)
      expect((await t.call('GET', visibilityPath(roomId))).body).toEqual({ visibility: 'public' })
      expect(roomIds(await listGet(t))).toEqual([roomId])

      // Bob, outside the room and then in it without power, may not.
      const outside = await t.call('PUT', visibilityPath(roomId), {
        user: bob,
        body: { visibility: 'private' },
      })
      expect(outside).toMatchObject({ status: 403, body: { errcode: 'M_FORBIDDEN' } })
      await joinAll(t, [bob], roomId)
      const member = await t.call('PUT', visibilityPath(roomId), {
        user: bob,
        body: { visibility: 'private' },
      })
      expect(member).toMatchObject({ status: 403, body: { errcode: 'M_FORBIDDEN' } })

      expect(
        (
          await t.call('PUT', visibilityPath(roomId), {
            user: admin,
            body: { visibility: 'private' },
          })
        ).status,
      ).toBe(200)
      expect(roomIds(await listGet(t))).toEqual([])
      // Without a body (or visibility), a room is published.
      expect((await t.call('PUT', visibilityPath(roomId), { user: alice })).status).toBe(200)
      expect((await t.call('GET', visibilityPath(roomId))).body).toEqual({ visibility: 'public' })
      // Setting what is already set is fine.
      expect(
        (
          await t.call('PUT', visibilityPath(roomId), {
            user: alice,
            body: { visibility: 'public' },
          })
        ).status,
      ).toBe(200)
    })

    it('answers the spec errors', async () => {
      const t = await start()
      const alice = await t.user('alice')
      const roomId = await createRoom(t, alice, { preset: 'public_chat' })
      const unknown = '!unknown:example.org'
      const get = await t.call('GET', visibilityPath(unknown))
      expect(get).toMatchObject({ status: 404, body: { errcode: 'M_NOT_FOUND' } })
      expectMatchesSpec('client-server', 'list_public_rooms.yaml', 'GET', VISIBILITY, 404, get.body)
      const put = await t.call('PUT', visibilityPath(unknown), {
        user: alice,
        body: { visibility: 'public' },
      })
      expect(put).toMatchObject({ status: 404, body: { errcode: 'M_NOT_FOUND' } })
      expectMatchesSpec('client-server', 'list_public_rooms.yaml', 'PUT', VISIBILITY, 404, put.body)
      for (const visibility of ['hidden', 1]) {
        const reply = await t.call('PUT', visibilityPath(roomId), {
          user: alice,
          body: { visibility },
        })
        expect(reply).toMatchObject({ status: 400, body: { errcode: 'M_INVALID_PARAM' } })
      }
      expect(await t.call('GET', visibilityPath('not-a-room'))).toMatchObject({
        status: 400,
        body: { errcode: 'M_INVALID_PARAM' },
      })
      const anonymous = await t.call('PUT', visibilityPath(roomId), { body: {} })
      expect(anonymous).toMatchObject({ status: 401, body: { errcode: 'M_MISSING_TOKEN' } })
      const guest = await t.user('visitor', { isGuest: true })
      const byGuest = await t.call('PUT', visibilityPath(roomId), { user: guest, body: {} })
      expect(byGuest).toMatchObject({ status: 403, body: { errcode: 'M_GUEST_ACCESS_FORBIDDEN' } })
    })
  })
}

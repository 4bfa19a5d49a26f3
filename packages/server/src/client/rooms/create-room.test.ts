import { describe, expect, it } from 'vitest'
import { expectMatchesSpec } from '../../testing/openapi-spec.js'
import { roomTestStorages } from '../../testing/room-storages.js'
import {
  useRoomTestServer,
  type RoomTestServer,
  type TestUser,
} from '../../testing/room-test-server.js'

const CREATE = '/_matrix/client/v3/createRoom'

interface StateEvent {
  type: string
  state_key: string
  sender: string
  content: Record<string, unknown>
}

async function stateOf(t: RoomTestServer, user: TestUser, roomId: string): Promise<StateEvent[]> {
  const reply = await t.call(
    'GET',
    `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state`,
    {
      user,
    },
  )
  expect(reply.status).toBe(200)
  expectMatchesSpec(
    'client-server',
    'rooms.yaml',
    'GET',
    '/_matrix/client/v3/rooms/{roomId}/state',
    200,
    reply.body,
  )
  return reply.body as StateEvent[]
}

function content(
  state: StateEvent[],
  type: string,
  stateKey = '',
): Record<string, unknown> | undefined {
  return state.find((e) => e.type === type && e.state_key === stateKey)?.content
}

for (const kind of roomTestStorages()) {
  describe(`POST /createRoom on ${kind.name}`, () => {
    const start = useRoomTestServer(kind)

    it('creates a v12 room whose ID is the create event hash, with the default preset', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const reply = await t.call('POST', CREATE, { user: alice, body: {} })
      expect(reply.status).toBe(200)
      expectMatchesSpec('client-server', 'create_room.yaml', 'POST', CREATE, 200, reply.body)
      const roomId = (reply.body as { room_id: string }).room_id
      expect(roomId).toMatch(/^![A-Za-z0-9_-]{43}$/)

      const state = await stateOf(t, alice, roomId)
      const create = state.find((e) => e.type === 'm.room.create')
      expect(create?.content).toEqual({ room_version: '12' })
      expect(create?.sender).toBe(alice.userId)
      expect(content(state, 'm.room.member', alice.userId)).toEqual({ membership: 'join' })
      expect(content(state, 'm.room.join_rules')).toEqual({ join_rule: 'invite' })
      expect(content(state, 'm.room.history_visibility')).toEqual({ history_visibility: 'shared' })
      expect(content(state, 'm.room.guest_access')).toEqual({ guest_access: 'can_join' })
      const pl = content(state, 'm.room.power_levels')
      expect(pl?.['users']).toEqual({})
      expect((pl?.['events'] as Record<string, number>)['m.room.tombstone']).toBe(150)
      expect(await t.storage.rooms.getRoom(roomId as never)).toMatchObject({ isPublic: false })
    })

    for (const version of ['10', '11', '12']) {
      it(`creates a public_chat room in version ${version} with name, topic and invites`, async () => {
        const t = await start()
        const alice = await t.users.user('alice')
        const bob = await t.users.user('bob')
        const reply = await t.call('POST', CREATE, {
          user: alice,
          body: {
            visibility: 'public',
            room_version: version,
            name: 'Lobby',
            topic: 'Say hi',
            invite: [bob.userId],
            is_direct: true,
            creation_content: { 'm.federate': false },
          },
        })
        expect(reply.status).toBe(200)
        const roomId = (reply.body as { room_id: string }).room_id
        if (version !== '12') expect(roomId).toMatch(/^![A-Za-z]+:example\.org$/)

        const state = await stateOf(t, alice, roomId)
        const create = content(state, 'm.room.create')
        expect(create?.['room_version']).toBe(version)
        expect(create?.['m.federate']).toBe(false)
        expect(create?.['creator']).toBe(version === '10' ? alice.userId : undefined)
        expect(content(state, 'm.room.join_rules')).toEqual({ join_rule: 'public' })
        expect(content(state, 'm.room.guest_access')).toEqual({ guest_access: 'forbidden' })
        expect(content(state, 'm.room.name')).toEqual({ name: 'Lobby' })
        expect(content(state, 'm.room.topic')?.['topic']).toBe('Say hi')
        expect(content(state, 'm.room.member', bob.userId)).toEqual({
          membership: 'invite',
          is_direct: true,
        })
        const pl = content(state, 'm.room.power_levels')
        expect(pl?.['users']).toEqual(version === '12' ? {} : { [alice.userId]: 100 })
        expect(pl?.['invite']).toBe(50)
        expect(await t.storage.rooms.getRoom(roomId as never)).toMatchObject({
          isPublic: true,
          version,
        })
      })
    }

    it('gives trusted_private_chat invitees the power of creators', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const bob = await t.users.user('bob')
      for (const version of ['11', '12']) {
        const reply = await t.call('POST', CREATE, {
          user: alice,
          body: { preset: 'trusted_private_chat', room_version: version, invite: [bob.userId] },
        })
        const roomId = (reply.body as { room_id: string }).room_id
        const state = await stateOf(t, alice, roomId)
        if (version === '12') {
          expect(content(state, 'm.room.create')?.['additional_creators']).toEqual([bob.userId])
        } else {
          expect(content(state, 'm.room.power_levels')?.['users']).toEqual({
            [alice.userId]: 100,
            [bob.userId]: 100,
          })
        }
      }
    })

    it('takes the alias of room_alias_name and makes it canonical, once', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const reply = await t.call('POST', CREATE, {
        user: alice,
        body: { room_alias_name: 'lobby', preset: 'public_chat' },
      })
      expect(reply.status).toBe(200)
      const roomId = (reply.body as { room_id: string }).room_id
      const state = await stateOf(t, alice, roomId)
      expect(content(state, 'm.room.canonical_alias')).toEqual({ alias: '#lobby:example.org' })
      expect(await t.storage.roomAliases.getAlias('#lobby:example.org' as never)).toMatchObject({
        roomId,
        creator: alice.userId,
      })
      const taken = await t.call('POST', CREATE, {
        user: alice,
        body: { room_alias_name: 'lobby' },
      })
      expect(taken).toMatchObject({ status: 400, body: { errcode: 'M_ROOM_IN_USE' } })
      for (const bad of ['a:b', 'white space', '']) {
        const reply = await t.call('POST', CREATE, { user: alice, body: { room_alias_name: bad } })
        expect(reply).toMatchObject({ status: 400, body: { errcode: 'M_INVALID_PARAM' } })
      }
      // Nothing was created by the refused requests.
      const joined = await t.call('GET', '/_matrix/client/v3/joined_rooms', { user: alice })
      expect(joined.body).toEqual({ joined_rooms: [roomId] })
    })

    it('answers M_UNSUPPORTED_ROOM_VERSION for a version it does not know', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const reply = await t.call('POST', CREATE, { user: alice, body: { room_version: '99' } })
      expect(reply).toMatchObject({ status: 400, body: { errcode: 'M_UNSUPPORTED_ROOM_VERSION' } })
    })

    it.each([
      [{ visibility: 'secret' }, 'M_BAD_JSON'],
      [{ preset: 'party' }, 'M_BAD_JSON'],
      [{ name: 7 }, 'M_BAD_JSON'],
      [{ invite: 'bob' }, 'M_BAD_JSON'],
      [{ invite: ['not a user'] }, 'M_INVALID_PARAM'],
      [{ initial_state: [{ type: 'x' }] }, 'M_BAD_JSON'],
      [{ initial_state: [{ type: 'm.room.create', content: {} }] }, 'M_BAD_JSON'],
      [{ is_direct: 'yes' }, 'M_BAD_JSON'],
      [{ creation_content: [] }, 'M_BAD_JSON'],
      [{ power_level_content_override: 1 }, 'M_BAD_JSON'],
    ])('refuses the body %j with %s', async (body, errcode) => {
      const t = await start()
      const alice = await t.users.user('alice')
      const reply = await t.call('POST', CREATE, { user: alice, body })
      expect(reply).toMatchObject({ status: 400, body: { errcode } })
    })

    it('refuses a body that is not JSON and requests without a token', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const notJson = await t.call('POST', CREATE, { user: alice, raw: '{nope' })
      expect(notJson).toMatchObject({ status: 400, body: { errcode: 'M_NOT_JSON' } })
      const anonymous = await t.call('POST', CREATE, { body: {} })
      expect(anonymous).toMatchObject({ status: 401, body: { errcode: 'M_MISSING_TOKEN' } })
    })

    it('answers M_INVALID_ROOM_STATE when the override locks the creator out', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const reply = await t.call('POST', CREATE, {
        user: alice,
        body: {
          room_version: '11',
          name: 'locked',
          power_level_content_override: { users: { [alice.userId]: 0 } },
        },
      })
      expect(reply).toMatchObject({ status: 400, body: { errcode: 'M_INVALID_ROOM_STATE' } })
      expect(await t.call('GET', '/_matrix/client/v3/joined_rooms', { user: alice })).toMatchObject(
        {
          body: { joined_rooms: [] },
        },
      )
    })

    it('refuses to list a v12 creator in the power levels', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const reply = await t.call('POST', CREATE, {
        user: alice,
        body: { power_level_content_override: { users: { [alice.userId]: 100 } } },
      })
      expect(reply).toMatchObject({ status: 400, body: { errcode: 'M_INVALID_ROOM_STATE' } })
    })

    it('refuses invitees of other servers and unknown users, and guests', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const remote = await t.call('POST', CREATE, {
        user: alice,
        body: { invite: ['@bob:elsewhere.example'] },
      })
      expect(remote).toMatchObject({ status: 403, body: { errcode: 'M_FORBIDDEN' } })
      const unknown = await t.call('POST', CREATE, {
        user: alice,
        body: { invite: ['@nobody:example.org'] },
      })
      expect(unknown).toMatchObject({ status: 404, body: { errcode: 'M_NOT_FOUND' } })
      const guest = await t.users.user('guest', { isGuest: true })
      const byGuest = await t.call('POST', CREATE, { user: guest, body: {} })
      expect(byGuest).toMatchObject({ status: 403, body: { errcode: 'M_GUEST_ACCESS_FORBIDDEN' } })
    })

    it('refuses a creation_content that makes the create event too large', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const reply = await t.call('POST', CREATE, {
        user: alice,
        body: { creation_content: { padding: 'x'.repeat(70_000) } },
      })
      expect(reply).toMatchObject({ status: 413, body: { errcode: 'M_TOO_LARGE' } })
    })
  })
}

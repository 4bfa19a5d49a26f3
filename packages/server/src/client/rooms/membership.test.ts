import { describe, expect, it } from 'vitest'
import { expectMatchesSpec } from '../../testing/openapi-spec.js'
import { roomTestStorages } from '../../testing/room-storages.js'
import {
  useRoomTestServer,
  type RoomTestServer,
  type TestUser,
} from '../../testing/room-test-server.js'

const V3 = '/_matrix/client/v3'

async function createRoom(t: RoomTestServer, user: TestUser, body: object = {}): Promise<string> {
  const reply = await t.call('POST', `${V3}/createRoom`, { user, body })
  expect(reply.status).toBe(200)
  return (reply.body as { room_id: string }).room_id
}

function room(roomId: string, rest: string): string {
  return `${V3}/rooms/${encodeURIComponent(roomId)}/${rest}`
}

async function membershipOf(
  t: RoomTestServer,
  roomId: string,
  user: TestUser,
): Promise<string | undefined> {
  const record = await t.storage.rooms.getMembership(roomId as never, user.userId)
  return record?.membership
}

async function joinedRooms(t: RoomTestServer, user: TestUser): Promise<string[]> {
  const reply = await t.call('GET', `${V3}/joined_rooms`, { user })
  expect(reply.status).toBe(200)
  expectMatchesSpec(
    'client-server',
    'list_joined_rooms.yaml',
    'GET',
    `${V3}/joined_rooms`,
    200,
    reply.body,
  )
  return (reply.body as { joined_rooms: string[] }).joined_rooms
}

for (const kind of roomTestStorages()) {
  describe(`membership endpoints on ${kind.name}`, () => {
    const start = useRoomTestServer(kind)

    it('joins a public room by ID through both join endpoints, idempotently', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const bob = await t.users.user('bob')
      const roomId = await createRoom(t, alice, { preset: 'public_chat' })

      const joined = await t.call('POST', room(roomId, 'join'), {
        user: bob,
        body: { reason: 'hi' },
      })
      expect(joined).toMatchObject({ status: 200, body: { room_id: roomId } })
      expectMatchesSpec(
        'client-server',
        'joining.yaml',
        'POST',
        `${V3}/rooms/{roomId}/join`,
        200,
        joined.body,
      )
      const position = await t.storage.streams.currentPosition()

      const again = await t.call('POST', `${V3}/join/${encodeURIComponent(roomId)}`, { user: bob })
      expect(again).toMatchObject({ status: 200, body: { room_id: roomId } })
      expectMatchesSpec(
        'client-server',
        'joining.yaml',
        'POST',
        `${V3}/join/{roomIdOrAlias}`,
        200,
        again.body,
      )
      expect(await t.storage.streams.currentPosition()).toBe(position)
      expect(await joinedRooms(t, bob)).toEqual([roomId])

      const member = await t.storage.rooms.getCurrentStateEvent(
        roomId as never,
        'm.room.member',
        bob.userId,
      )
      expect(member?.pdu.content).toEqual({ membership: 'join', reason: 'hi' })
    })

    it('refuses to join an invite-only room without an invite, and admits the invited', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const bob = await t.users.user('bob')
      const roomId = await createRoom(t, alice)
      const refused = await t.call('POST', room(roomId, 'join'), { user: bob })
      expect(refused).toMatchObject({ status: 403, body: { errcode: 'M_FORBIDDEN' } })

      const invited = await t.call('POST', room(roomId, 'invite'), {
        user: alice,
        body: { user_id: bob.userId, reason: 'come' },
      })
      expect(invited).toMatchObject({ status: 200, body: {} })
      expectMatchesSpec(
        'client-server',
        'inviting.yaml',
        'POST',
        `${V3}/rooms/{roomId}/invite`,
        200,
        invited.body,
      )
      // Inviting again is fine and sends nothing.
      const position = await t.storage.streams.currentPosition()
      expect(
        (
          await t.call('POST', room(roomId, 'invite'), {
            user: alice,
            body: { user_id: bob.userId },
          })
        ).status,
      ).toBe(200)
      expect(await t.storage.streams.currentPosition()).toBe(position)

      expect((await t.call('POST', room(roomId, 'join'), { user: bob })).status).toBe(200)
      expect(await membershipOf(t, roomId, bob)).toBe('join')
      // Inviting a member is refused by the auth rules.
      const joinedInvite = await t.call('POST', room(roomId, 'invite'), {
        user: alice,
        body: { user_id: bob.userId },
      })
      expect(joinedInvite).toMatchObject({ status: 403, body: { errcode: 'M_FORBIDDEN' } })
    })

    it('refuses invites from non-members, of remote and unknown users, and bad bodies', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const bob = await t.users.user('bob')
      const carol = await t.users.user('carol')
      const roomId = await createRoom(t, alice)
      const byOutsider = await t.call('POST', room(roomId, 'invite'), {
        user: bob,
        body: { user_id: carol.userId },
      })
      expect(byOutsider).toMatchObject({ status: 403, body: { errcode: 'M_FORBIDDEN' } })
      const remote = await t.call('POST', room(roomId, 'invite'), {
        user: alice,
        body: { user_id: '@x:other.example' },
      })
      expect(remote.status).toBe(403)
      const unknown = await t.call('POST', room(roomId, 'invite'), {
        user: alice,
        body: { user_id: '@ghost:example.org' },
      })
      expect(unknown).toMatchObject({ status: 404, body: { errcode: 'M_NOT_FOUND' } })
      const missing = await t.call('POST', room(roomId, 'invite'), { user: alice, body: {} })
      expect(missing).toMatchObject({ status: 400, body: { errcode: 'M_MISSING_PARAM' } })
      const wrongType = await t.call('POST', room(roomId, 'invite'), {
        user: alice,
        body: { user_id: 5 },
      })
      expect(wrongType).toMatchObject({ status: 400, body: { errcode: 'M_BAD_JSON' } })
      const badReason = await t.call('POST', room(roomId, 'invite'), {
        user: alice,
        body: { user_id: carol.userId, reason: [] },
      })
      expect(badReason).toMatchObject({ status: 400, body: { errcode: 'M_BAD_JSON' } })
      const unknownRoom = await t.call('POST', room('!nope:example.org', 'invite'), {
        user: alice,
        body: { user_id: carol.userId },
      })
      expect(unknownRoom).toMatchObject({ status: 404, body: { errcode: 'M_NOT_FOUND' } })
      const badRoomId = await t.call('POST', `${V3}/rooms/not-a-room/invite`, {
        user: alice,
        body: { user_id: carol.userId },
      })
      expect(badRoomId).toMatchObject({ status: 400, body: { errcode: 'M_INVALID_PARAM' } })
    })

    it('leaves, rejects invites, and refuses to leave twice', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const bob = await t.users.user('bob')
      const roomId = await createRoom(t, alice, { invite: [bob.userId] })
      const rejected = await t.call('POST', room(roomId, 'leave'), {
        user: bob,
        body: { reason: 'no' },
      })
      expect(rejected).toMatchObject({ status: 200, body: {} })
      expectMatchesSpec(
        'client-server',
        'leaving.yaml',
        'POST',
        `${V3}/rooms/{roomId}/leave`,
        200,
        rejected.body,
      )
      expect(await membershipOf(t, roomId, bob)).toBe('leave')
      const twice = await t.call('POST', room(roomId, 'leave'), { user: bob })
      expect(twice).toMatchObject({ status: 403, body: { errcode: 'M_FORBIDDEN' } })

      expect((await t.call('POST', room(roomId, 'leave'), { user: alice })).status).toBe(200)
      expect(await joinedRooms(t, alice)).toEqual([])
      const unknown = await t.call('POST', room('!nope:example.org', 'leave'), { user: alice })
      expect(unknown).toMatchObject({ status: 404, body: { errcode: 'M_NOT_FOUND' } })
    })

    it('kicks with a reason, and refuses kicks without power or of non-members', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const bob = await t.users.user('bob')
      const carol = await t.users.user('carol')
      const roomId = await createRoom(t, alice, { preset: 'public_chat' })
      for (const user of [bob, carol]) await t.call('POST', room(roomId, 'join'), { user })

      const byBob = await t.call('POST', room(roomId, 'kick'), {
        user: bob,
        body: { user_id: carol.userId },
      })
      expect(byBob).toMatchObject({ status: 403, body: { errcode: 'M_FORBIDDEN' } })

      const kicked = await t.call('POST', room(roomId, 'kick'), {
        user: alice,
        body: { user_id: carol.userId, reason: 'spam' },
      })
      expect(kicked).toMatchObject({ status: 200, body: {} })
      expectMatchesSpec(
        'client-server',
        'kicking.yaml',
        'POST',
        `${V3}/rooms/{roomId}/kick`,
        200,
        kicked.body,
      )
      const member = await t.storage.rooms.getCurrentStateEvent(
        roomId as never,
        'm.room.member',
        carol.userId,
      )
      expect(member?.pdu.content).toEqual({ membership: 'leave', reason: 'spam' })
      expect(member?.pdu.sender).toBe(alice.userId)

      const again = await t.call('POST', room(roomId, 'kick'), {
        user: alice,
        body: { user_id: carol.userId },
      })
      expect(again).toMatchObject({ status: 403, body: { errcode: 'M_FORBIDDEN' } })
      // Kicked from a public room, one may come back.
      expect((await t.call('POST', room(roomId, 'join'), { user: carol })).status).toBe(200)
    })

    it('bans and unbans, keeping the banned out in between', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const bob = await t.users.user('bob')
      const roomId = await createRoom(t, alice, { preset: 'public_chat' })
      await t.call('POST', room(roomId, 'join'), { user: bob })

      const byBob = await t.call('POST', room(roomId, 'ban'), {
        user: bob,
        body: { user_id: alice.userId },
      })
      expect(byBob).toMatchObject({ status: 403, body: { errcode: 'M_FORBIDDEN' } })

      const banned = await t.call('POST', room(roomId, 'ban'), {
        user: alice,
        body: { user_id: bob.userId, reason: 'rude' },
      })
      expect(banned).toMatchObject({ status: 200, body: {} })
      expectMatchesSpec(
        'client-server',
        'banning.yaml',
        'POST',
        `${V3}/rooms/{roomId}/ban`,
        200,
        banned.body,
      )
      expect(await membershipOf(t, roomId, bob)).toBe('ban')
      expect((await t.call('POST', room(roomId, 'join'), { user: bob })).status).toBe(403)

      const unbanned = await t.call('POST', room(roomId, 'unban'), {
        user: alice,
        body: { user_id: bob.userId, reason: 'sorry' },
      })
      expect(unbanned).toMatchObject({ status: 200, body: {} })
      expectMatchesSpec(
        'client-server',
        'banning.yaml',
        'POST',
        `${V3}/rooms/{roomId}/unban`,
        200,
        unbanned.body,
      )
      const member = await t.storage.rooms.getCurrentStateEvent(
        roomId as never,
        'm.room.member',
        bob.userId,
      )
      expect(member?.pdu.content).toEqual({ membership: 'leave', reason: 'sorry' })
      const notBanned = await t.call('POST', room(roomId, 'unban'), {
        user: alice,
        body: { user_id: bob.userId },
      })
      expect(notBanned).toMatchObject({ status: 403, body: { errcode: 'M_FORBIDDEN' } })
      expect((await t.call('POST', room(roomId, 'join'), { user: bob })).status).toBe(200)
    })

    it('answers honestly for rooms it does not hold and aliases it cannot resolve', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      for (const target of ['!elsewhere:other.example', '#nothing:example.org']) {
        const reply = await t.call('POST', `${V3}/join/${encodeURIComponent(target)}`, {
          user: alice,
        })
        expect(reply).toMatchObject({ status: 404, body: { errcode: 'M_NOT_FOUND' } })
      }
      const bad = await t.call('POST', `${V3}/join/${encodeURIComponent('nonsense')}`, {
        user: alice,
      })
      expect(bad).toMatchObject({ status: 400, body: { errcode: 'M_INVALID_PARAM' } })
    })

    it('admits members of an allowed room to a restricted room, vouched for by a local admin', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const bob = await t.users.user('bob')
      const carol = await t.users.user('carol')
      const space = await createRoom(t, alice, { preset: 'public_chat' })
      await t.call('POST', room(space, 'join'), { user: bob })
      for (const version of ['10', '12']) {
        const restricted = await createRoom(t, alice, {
          room_version: version,
          initial_state: [
            {
              type: 'm.room.join_rules',
              content: {
                join_rule: 'restricted',
                allow: [{ type: 'm.room_membership', room_id: space }],
              },
            },
          ],
        })
        expect((await t.call('POST', room(restricted, 'join'), { user: bob })).status).toBe(200)
        const join = await t.storage.rooms.getCurrentStateEvent(
          restricted as never,
          'm.room.member',
          bob.userId,
        )
        expect(join?.pdu.content).toEqual({
          membership: 'join',
          join_authorised_via_users_server: alice.userId,
        })
        const outsider = await t.call('POST', room(restricted, 'join'), { user: carol })
        expect(outsider).toMatchObject({ status: 403, body: { errcode: 'M_FORBIDDEN' } })
      }
    })

    it('joins by alias', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const bob = await t.users.user('bob')
      const roomId = await createRoom(t, alice, { preset: 'public_chat', room_alias_name: 'town' })
      const joined = await t.call('POST', `${V3}/join/${encodeURIComponent('#town:example.org')}`, {
        user: bob,
        body: {},
      })
      expect(joined).toMatchObject({ status: 200, body: { room_id: roomId } })
      const remote = await t.call(
        'POST',
        `${V3}/join/${encodeURIComponent('#town:other.example')}`,
        {
          user: bob,
        },
      )
      expect(remote).toMatchObject({ status: 404, body: { errcode: 'M_NOT_FOUND' } })
    })

    it('forgets a room only after leaving it, hiding its history until the user returns', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const bob = await t.users.user('bob')
      const roomId = await createRoom(t, alice, { preset: 'public_chat' })
      await t.call('POST', room(roomId, 'join'), { user: bob })
      const sent = await t.call('PUT', room(roomId, 'send/m.room.message/f1'), {
        user: alice,
        body: { msgtype: 'm.text', body: 'remember me' },
      })
      const eventId = (sent.body as { event_id: string }).event_id

      const stillIn = await t.call('POST', room(roomId, 'forget'), { user: bob })
      expect(stillIn).toMatchObject({ status: 400, body: { errcode: 'M_UNKNOWN' } })
      const stranger = await t.users.user('stranger')
      const never = await t.call('POST', room(roomId, 'forget'), { user: stranger })
      expect(never).toMatchObject({ status: 404, body: { errcode: 'M_NOT_FOUND' } })

      await t.call('POST', room(roomId, 'leave'), { user: bob })
      expect((await t.call('GET', room(roomId, `event/${eventId}`), { user: bob })).status).toBe(
        200,
      )
      const forgot = await t.call('POST', room(roomId, 'forget'), { user: bob })
      expect(forgot).toMatchObject({ status: 200, body: {} })
      expectMatchesSpec(
        'client-server',
        'leaving.yaml',
        'POST',
        `${V3}/rooms/{roomId}/forget`,
        200,
        forgot.body,
      )
      expect(await t.storage.forgottenRooms.forgottenRooms(bob.userId)).toEqual(new Set([roomId]))
      expect((await t.call('GET', room(roomId, `event/${eventId}`), { user: bob })).status).toBe(
        404,
      )
      expect((await t.call('GET', room(roomId, 'messages?dir=b'), { user: bob })).status).toBe(403)
      expect((await t.call('GET', room(roomId, 'state'), { user: bob })).status).toBe(403)

      await t.call('POST', room(roomId, 'join'), { user: bob })
      expect(await t.storage.forgottenRooms.forgottenRooms(bob.userId)).toEqual(new Set())
      expect((await t.call('GET', room(roomId, `event/${eventId}`), { user: bob })).status).toBe(
        200,
      )
    })

    it('lets guests join only rooms that admit guests', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const guest = await t.users.user('guest', { isGuest: true })
      const closed = await createRoom(t, alice, { preset: 'public_chat' })
      const refused = await t.call('POST', room(closed, 'join'), { user: guest })
      expect(refused).toMatchObject({ status: 403, body: { errcode: 'M_GUEST_ACCESS_FORBIDDEN' } })
      const open = await createRoom(t, alice, {
        preset: 'public_chat',
        initial_state: [{ type: 'm.room.guest_access', content: { guest_access: 'can_join' } }],
      })
      expect((await t.call('POST', room(open, 'join'), { user: guest })).status).toBe(200)
    })
  })
}

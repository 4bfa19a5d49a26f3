/**
 * Power levels on every moderation path (client-server-api §Room membership, §Redactions,
 * §m.room.power_levels): each refusal is 403 M_FORBIDDEN, and nothing is written for it.
 */
import { describe, expect, it } from 'vitest'
import { expectMatchesSpec } from '../../testing/openapi-spec.js'
import { roomTestStorages } from '../../testing/room-storages.js'
import type { TestUser } from '../../testing/fake-authenticate.js'
import { useSyncTestServer, type SyncTestServer } from '../../testing/sync-test-server.js'

const V3 = '/_matrix/client/v3'

function room(roomId: string, rest: string): string {
  return `${V3}/rooms/${encodeURIComponent(roomId)}/${rest}`
}

interface Cast {
  readonly roomId: string
  /** The creator: beyond every level in a v12 room. */
  readonly admin: TestUser
  /** Power 50, the level of every moderation action here. */
  readonly mod: TestUser
  readonly mod2: TestUser
  /** Power 0. */
  readonly bob: TestUser
  /** Not in the room. */
  readonly carol: TestUser
}

let txn = 0

async function cast(t: SyncTestServer): Promise<Cast> {
  const admin = await t.users.user('admin')
  const mod = await t.users.user('mod')
  const mod2 = await t.users.user('mod2')
  const bob = await t.users.user('bob')
  const carol = await t.users.user('carol')
  const created = await t.call('POST', `${V3}/createRoom`, {
    user: admin,
    body: {
      preset: 'public_chat',
      power_level_content_override: {
        users: { [mod.userId]: 50, [mod2.userId]: 50 },
        invite: 50,
        kick: 50,
        ban: 50,
        redact: 50,
        state_default: 50,
        events: { 'm.room.name': 100, 'm.room.power_levels': 50 },
      },
    },
  })
  expect(created.status).toBe(200)
  const roomId = (created.body as { room_id: string }).room_id
  for (const user of [mod, mod2, bob]) {
    expect((await t.call('POST', room(roomId, 'join'), { user })).status).toBe(200)
  }
  return { roomId, admin, mod, mod2, bob, carol }
}

async function act(
  t: SyncTestServer,
  user: TestUser,
  roomId: string,
  action: string,
  target: TestUser,
): Promise<{ status: number; body: unknown }> {
  return t.call('POST', room(roomId, action), { user, body: { user_id: target.userId } })
}

async function membership(t: SyncTestServer, roomId: string, user: TestUser) {
  return (await t.storage.rooms.getMembership(roomId as never, user.userId))?.membership
}

async function say(t: SyncTestServer, user: TestUser, roomId: string): Promise<string> {
  const reply = await t.call('PUT', room(roomId, `send/m.room.message/m${++txn}`), {
    user,
    body: { msgtype: 'm.text', body: 'hi' },
  })
  expect(reply.status).toBe(200)
  return (reply.body as { event_id: string }).event_id
}

const FORBIDDEN = { status: 403, body: { errcode: 'M_FORBIDDEN' } }

async function powerLevels(t: SyncTestServer, user: TestUser, roomId: string) {
  const reply = await t.call('GET', room(roomId, 'state/m.room.power_levels/'), { user })
  expect(reply.status).toBe(200)
  return reply.body as Record<string, unknown> & { users: Record<string, number> }
}

for (const kind of roomTestStorages()) {
  describe(`moderation and power levels on ${kind.name}`, () => {
    const start = useSyncTestServer(kind)

    it('kicks only users below the kicker, with the kick level', async () => {
      const t = await start()
      const { roomId, admin, mod, mod2, bob } = await cast(t)
      expect(await act(t, bob, roomId, 'kick', mod)).toMatchObject(FORBIDDEN)
      const equal = await act(t, mod, roomId, 'kick', mod2)
      expect(equal).toMatchObject(FORBIDDEN)
      expectMatchesSpec(
        'client-server',
        'kicking.yaml',
        'POST',
        `${V3}/rooms/{roomId}/kick`,
        403,
        equal.body,
      )
      expect(await act(t, mod, roomId, 'kick', admin)).toMatchObject(FORBIDDEN)
      expect(await membership(t, roomId, mod2)).toBe('join')
      expect(await act(t, mod, roomId, 'kick', bob)).toMatchObject({ status: 200, body: {} })
      expect(await membership(t, roomId, bob)).toBe('leave')
      expect(await act(t, admin, roomId, 'kick', mod2)).toMatchObject({ status: 200 })
    })

    it('bans only users below the banner; the banned cannot rejoin until unbanned', async () => {
      const t = await start()
      const { roomId, admin, mod, mod2, bob } = await cast(t)
      expect(await act(t, bob, roomId, 'ban', mod)).toMatchObject(FORBIDDEN)
      const higher = await act(t, mod, roomId, 'ban', admin)
      expect(higher).toMatchObject(FORBIDDEN)
      expectMatchesSpec(
        'client-server',
        'banning.yaml',
        'POST',
        `${V3}/rooms/{roomId}/ban`,
        403,
        higher.body,
      )
      expect(await act(t, mod, roomId, 'ban', mod2)).toMatchObject(FORBIDDEN)
      expect(await membership(t, roomId, mod2)).toBe('join')

      expect(await act(t, mod, roomId, 'ban', bob)).toMatchObject({ status: 200 })
      expect(await membership(t, roomId, bob)).toBe('ban')
      expect(await t.call('POST', room(roomId, 'join'), { user: bob })).toMatchObject(FORBIDDEN)
      // A banned user cannot send either, and cannot undo their own ban.
      const sent = await t.call('PUT', room(roomId, 'send/m.room.message/banned'), {
        user: bob,
        body: { msgtype: 'm.text', body: 'let me in' },
      })
      expect(sent).toMatchObject(FORBIDDEN)
      expect(await act(t, bob, roomId, 'unban', bob)).toMatchObject(FORBIDDEN)
      // Nor may one without the ban level, even a member of the room.
      await t.call('POST', room(roomId, 'join'), { user: await t.users.user('dave') })
      expect(await act(t, await t.users.user('dave'), roomId, 'unban', bob)).toMatchObject(
        FORBIDDEN,
      )

      const unbanned = await act(t, mod, roomId, 'unban', bob)
      expect(unbanned).toMatchObject({ status: 200, body: {} })
      expectMatchesSpec(
        'client-server',
        'banning.yaml',
        'POST',
        `${V3}/rooms/{roomId}/unban`,
        200,
        unbanned.body,
      )
      expect((await t.call('POST', room(roomId, 'join'), { user: bob })).status).toBe(200)
    })

    it('needs the invite level to invite', async () => {
      const t = await start()
      const { roomId, mod, bob, carol } = await cast(t)
      const denied = await act(t, bob, roomId, 'invite', carol)
      expect(denied).toMatchObject(FORBIDDEN)
      expectMatchesSpec(
        'client-server',
        'inviting.yaml',
        'POST',
        `${V3}/rooms/{roomId}/invite`,
        403,
        denied.body,
      )
      expect(await membership(t, roomId, carol)).toBeUndefined()
      // Nor through the state endpoint.
      const asState = await t.call(
        'PUT',
        room(roomId, `state/m.room.member/${encodeURIComponent(carol.userId)}`),
        { user: bob, body: { membership: 'invite' } },
      )
      expect(asState).toMatchObject(FORBIDDEN)
      expect(await act(t, mod, roomId, 'invite', carol)).toMatchObject({ status: 200 })
      expect(await membership(t, roomId, carol)).toBe('invite')
    })

    it("needs the redact level to redact others' events, and none for one's own", async () => {
      const t = await start()
      const { roomId, admin, mod, mod2, bob } = await cast(t)
      const ofMod2 = await say(t, mod2, roomId)
      const ofBob = await say(t, bob, roomId)
      const redact = (user: TestUser, eventId: string) =>
        t.call('PUT', room(roomId, `redact/${eventId}/r${++txn}`), { user, body: {} })

      const denied = await redact(bob, ofMod2)
      expect(denied).toMatchObject(FORBIDDEN)
      expect((await t.storage.events.getEvent(ofMod2 as never))?.redactedBy).toBeUndefined()
      expect((await redact(bob, ofBob)).status).toBe(200)
      expect((await redact(mod, ofMod2)).status).toBe(200)

      // Raise the redact level above the moderators: their power no longer suffices.
      const levels = await powerLevels(t, admin, roomId)
      const raised = await t.call('PUT', room(roomId, 'state/m.room.power_levels'), {
        user: admin,
        body: { ...levels, redact: 75 },
      })
      expect(raised.status).toBe(200)
      const again = await say(t, bob, roomId)
      expect(await redact(mod, again)).toMatchObject(FORBIDDEN)
      expect((await redact(admin, again)).status).toBe(200)
    })

    it("keeps power-level changes within the changer's own level", async () => {
      const t = await start()
      const { roomId, admin, mod, mod2, bob } = await cast(t)
      const levels = await powerLevels(t, admin, roomId)
      const change = (user: TestUser, body: object) =>
        t.call('PUT', room(roomId, 'state/m.room.power_levels'), {
          user,
          body: { ...levels, ...body },
        })
      const users = levels.users

      // Above their own level: refused.
      expect(await change(mod, { users: { ...users, [bob.userId]: 75 } })).toMatchObject(FORBIDDEN)
      // A user at their level is out of their reach, up or down.
      expect(await change(mod, { users: { ...users, [mod2.userId]: 0 } })).toMatchObject(FORBIDDEN)
      // A level they do not reach, or would raise past their own.
      expect(await change(mod, { events: { 'm.room.name': 0 } })).toMatchObject(FORBIDDEN)
      expect(await change(mod, { kick: 75 })).toMatchObject(FORBIDDEN)
      // Without the power-levels event level at all.
      expect(await change(bob, { users: { ...users, [bob.userId]: 10 } })).toMatchObject(FORBIDDEN)
      expect((await powerLevels(t, admin, roomId)).users).toEqual(users)

      // Up to their own level is theirs to give, and their own level theirs to lower.
      const promoted = await change(mod, { users: { ...users, [bob.userId]: 50 } })
      expect(promoted.status).toBe(200)
      const now = await powerLevels(t, admin, roomId)
      const demoted = await t.call('PUT', room(roomId, 'state/m.room.power_levels'), {
        user: mod,
        body: { ...now, users: { ...now.users, [mod.userId]: 0 } },
      })
      expect(demoted.status).toBe(200)
      // Demoted, the former moderator may no longer kick.
      expect(await act(t, mod, roomId, 'kick', mod2)).toMatchObject(FORBIDDEN)
    })

    it('needs each state event its level', async () => {
      const t = await start()
      const { roomId, admin, mod, bob } = await cast(t)
      const put = (user: TestUser, type: string, content: object) =>
        t.call('PUT', room(roomId, `state/${type}`), { user, body: content })
      expect(await put(bob, 'm.room.topic', { topic: 'mine' })).toMatchObject(FORBIDDEN)
      expect((await put(mod, 'm.room.topic', { topic: 'ours' })).status).toBe(200)
      expect(await put(mod, 'm.room.name', { name: 'Mod room' })).toMatchObject(FORBIDDEN)
      expect((await put(admin, 'm.room.name', { name: 'Admin room' })).status).toBe(200)
      // Someone else's member event is nobody's to write but through membership rules.
      const impersonate = await t.call(
        'PUT',
        room(roomId, `state/m.room.member/${encodeURIComponent(bob.userId)}`),
        { user: mod, body: { membership: 'join' } },
      )
      expect(impersonate).toMatchObject(FORBIDDEN)
    })
  })
}

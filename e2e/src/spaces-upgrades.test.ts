/**
 * Spaces, restricted rooms, room upgrades and knocking through matrix-js-sdk against the real
 * server: a space's children show in /hierarchy; a restricted room lets in a member of the space
 * and not an outsider; an upgrade tombstones the old room and the new one names its predecessor
 * and carries its state; a knock reaches the moderator, who invites, and the knocker joins. Runs
 * on SQLite and, when RHIZOME_TEST_POSTGRES is set, PostgreSQL.
 */
import {
  EventTimeline,
  EventType,
  Preset,
  type MatrixClient,
  type MatrixEvent,
} from 'matrix-js-sdk'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BACKENDS } from './harness/backends.js'
import type { HomeserverProcess } from './harness/homeserver.js'
import { eventually, type Account } from './harness/matrix-clients.js'
import { matrixFailure, startSession, type Session } from './harness/session.js'

const V3 = '/_matrix/client/v3'

/** The room's current state event, as the client's sync made it. */
function stateEvent(
  client: MatrixClient,
  roomId: string,
  type: string,
  stateKey = '',
): MatrixEvent | null | undefined {
  return client
    .getRoom(roomId)
    ?.getLiveTimeline()
    .getState(EventTimeline.FORWARDS)
    ?.getStateEvents(type, stateKey)
}

describe.each(BACKENDS)('spaces, restricted rooms, upgrades and knocks ($name)', (backend) => {
  let server: HomeserverProcess
  let session: Session
  let alice: Account
  let bob: Account
  let carol: Account
  let aliceClient: MatrixClient
  let bobClient: MatrixClient
  let carolClient: MatrixClient
  let space: string
  let general: string
  let members: string

  /** Raw Client-Server calls, for what matrix-js-sdk has no method for. */
  async function api(account: Account, path: string): Promise<{ status: number; body: unknown }> {
    const response = await fetch(`${server.baseUrl}${path}`, {
      headers: { authorization: `Bearer ${account.accessToken}` },
    })
    return { status: response.status, body: await response.json() }
  }

  beforeAll(async () => {
    session = await startSession(backend, ['alice', 'bob', 'carol'])
    server = session.server
    ;({ account: alice, client: aliceClient } = session.user('alice'))
    ;({ account: bob, client: bobClient } = session.user('bob'))
    ;({ account: carol, client: carolClient } = session.user('carol'))
  }, 120_000)

  afterAll(async () => {
    await session.close()
  })

  it('shows a space and its children in /hierarchy', async () => {
    const via = [server.serverName]
    space = (
      await aliceClient.createRoom({
        name: 'Club',
        preset: Preset.PrivateChat,
        creation_content: { type: 'm.space' },
      })
    ).room_id
    general = (await aliceClient.createRoom({ name: 'General', preset: Preset.PublicChat })).room_id
    members = (
      await aliceClient.createRoom({
        name: 'Members only',
        initial_state: [
          {
            type: 'm.room.join_rules',
            state_key: '',
            content: {
              join_rule: 'restricted',
              allow: [{ type: 'm.room_membership', room_id: space }],
            },
          },
        ],
      })
    ).room_id
    await aliceClient.sendStateEvent(
      space,
      EventType.SpaceChild,
      { via, order: 'a', suggested: true },
      general,
    )
    await aliceClient.sendStateEvent(space, EventType.SpaceChild, { via }, members)
    await aliceClient.invite(space, bob.userId)
    await eventually(
      () => bobClient.getRoom(space)?.getMyMembership() === 'invite',
      'the space invite to reach bob',
    )
    await bobClient.joinRoom(space)

    const hierarchy = await bobClient.getRoomHierarchy(space)
    expect(hierarchy.rooms.map((room) => room.room_id)).toEqual([space, general, members])
    const [root, first, second] = hierarchy.rooms
    expect(root).toMatchObject({ name: 'Club', room_type: 'm.space', num_joined_members: 2 })
    expect(root?.children_state.map((event) => event.state_key)).toEqual([general, members])
    expect(first).toMatchObject({ name: 'General', join_rule: 'public', children_state: [] })
    expect(second).toMatchObject({ join_rule: 'restricted', allowed_room_ids: [space] })

    const suggested = await bobClient.getRoomHierarchy(space, 10, undefined, true)
    expect(suggested.rooms.map((room) => room.room_id)).toEqual([space, general])
    const paged = await bobClient.getRoomHierarchy(space, 1)
    expect(paged.rooms.map((room) => room.room_id)).toEqual([space])
    expect(paged.next_batch).toBeDefined()
    const next = await bobClient.getRoomHierarchy(space, 1, undefined, false, paged.next_batch)
    expect(next.rooms.map((room) => room.room_id)).toEqual([general])

    // carol is in none of it, and the space is invite only.
    const outsider = await matrixFailure(carolClient.getRoomHierarchy(space))
    expect(outsider.errcode).toBe('M_FORBIDDEN')
    expect(outsider.httpStatus).toBe(403)
  })

  it('lets a member of the space into the restricted room, and not an outsider', async () => {
    await bobClient.joinRoom(members)
    await eventually(
      () => aliceClient.getRoom(members)?.getMember(bob.userId)?.membership === 'join',
      'bob to join the restricted room',
    )
    const join = stateEvent(aliceClient, members, 'm.room.member', bob.userId)
    expect(join?.getContent()['join_authorised_via_users_server']).toBe(alice.userId)

    const refused = await matrixFailure(carolClient.joinRoom(members))
    expect(refused.errcode).toBe('M_FORBIDDEN')
    expect(refused.httpStatus).toBe(403)
  })

  it('upgrades a room: the old one is tombstoned, the new one has its predecessor and state', async () => {
    const old = (
      await aliceClient.createRoom({
        name: 'Lounge',
        topic: 'Sofas',
        preset: Preset.PublicChat,
        room_alias_name: 'lounge',
        room_version: '11',
      })
    ).room_id
    await bobClient.joinRoom(old)
    await aliceClient.sendTextMessage(old, 'We are moving')

    const { replacement_room: replacement } = await aliceClient.upgradeRoom(old, '12')
    expect(replacement).not.toBe(old)

    // Both members see the tombstone through sync.
    for (const client of [aliceClient, bobClient]) {
      await eventually(
        () =>
          stateEvent(client, old, 'm.room.tombstone')?.getContent()['replacement_room'] ===
          replacement,
        'the tombstone to arrive',
      )
    }
    const create = await api(
      alice,
      `${V3}/rooms/${encodeURIComponent(replacement)}/state/m.room.create/`,
    )
    expect(create).toMatchObject({
      status: 200,
      body: { room_version: '12', predecessor: { room_id: old } },
    })
    for (const [type, content] of [
      ['m.room.name', { name: 'Lounge' }],
      ['m.room.topic', { topic: 'Sofas' }],
      ['m.room.join_rules', { join_rule: 'public' }],
      ['m.room.canonical_alias', { alias: `#lounge:${server.serverName}` }],
    ] as const) {
      const state = await api(
        alice,
        `${V3}/rooms/${encodeURIComponent(replacement)}/state/${type}/`,
      )
      expect(state, type).toMatchObject({ status: 200, body: content })
    }
    // Moderators only, in the old room.
    const oldLevels = await api(
      alice,
      `${V3}/rooms/${encodeURIComponent(old)}/state/m.room.power_levels/`,
    )
    expect(oldLevels.body).toMatchObject({ events_default: 50, invite: 50 })
    expect((await aliceClient.getRoomIdForAlias(`#lounge:${server.serverName}`)).room_id).toBe(
      replacement,
    )

    // bob follows the tombstone; his client links the two rooms.
    await bobClient.joinRoom(replacement)
    await eventually(
      () => bobClient.getRoom(replacement)?.getMyMembership() === 'join',
      'bob to join the new room',
    )
    expect(bobClient.getRoom(replacement)?.findPredecessor()?.roomId).toBe(old)
    const refused = await matrixFailure(bobClient.upgradeRoom(replacement, '12'))
    expect(refused.errcode).toBe('M_FORBIDDEN')
    const unknown = await matrixFailure(aliceClient.upgradeRoom(replacement, '999'))
    expect(unknown.errcode).toBe('M_UNSUPPORTED_ROOM_VERSION')
    expect(unknown.httpStatus).toBe(400)
  })

  it('shows a knock to the moderator, who invites; the knocker joins', async () => {
    const roomId = (
      await aliceClient.createRoom({
        name: 'Knock knock',
        initial_state: [
          { type: 'm.room.join_rules', state_key: '', content: { join_rule: 'knock' } },
        ],
      })
    ).room_id

    const knocked = await carolClient.knockRoom(roomId, {
      reason: 'May I?',
      viaServers: [server.serverName],
    })
    expect(knocked.room_id).toBe(roomId)
    await eventually(
      () => carolClient.getRoom(roomId)?.getMyMembership() === 'knock',
      'carol to see her knock',
    )
    expect(carolClient.getRoom(roomId)?.name).toBe('Knock knock')
    await eventually(
      () => aliceClient.getRoom(roomId)?.getMember(carol.userId)?.membership === 'knock',
      'alice to see the knock',
    )
    const knock = stateEvent(aliceClient, roomId, 'm.room.member', carol.userId)
    expect(knock?.getContent()['reason']).toBe('May I?')

    await aliceClient.invite(roomId, carol.userId)
    await eventually(
      () => carolClient.getRoom(roomId)?.getMyMembership() === 'invite',
      'carol to see the invite',
    )
    await carolClient.joinRoom(roomId)
    await eventually(
      () => aliceClient.getRoom(roomId)?.getMember(carol.userId)?.membership === 'join',
      'alice to see carol join',
    )

    // A room that does not take knocks refuses them.
    const refused = await matrixFailure(carolClient.knockRoom(general))
    expect(refused.errcode).toBe('M_FORBIDDEN')
    expect(refused.httpStatus).toBe(403)
  })
})

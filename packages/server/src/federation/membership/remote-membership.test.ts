import { parseServerName, type RoomId, type ServerName, type UserId } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import type { Storage } from '../../storage/interface.js'
import { strippedRoomState } from '../../sync/stripped-state.js'
import { wireServers, type WiredServer } from '../../testing/federation-wire.js'
import { must } from '../../testing/room-kit.js'
import { roomTestStorages, useRoomStorage } from '../../testing/room-storages.js'

const A = must(parseServerName('a.example'))
const B = must(parseServerName('b.example'))

function pair(home: Storage, away: Storage): { a: WiredServer; b: WiredServer } {
  const servers = wireServers([
    { serverName: A, storage: home },
    { serverName: B, storage: away },
  ])
  const a = servers.get(A)
  const b = servers.get(B)
  if (a === undefined || b === undefined) throw new Error('two servers')
  return { a, b }
}

async function roomOn(
  server: WiredServer,
  joinRule: 'invite' | 'knock' | 'public',
  version = '11',
): Promise<RoomId> {
  const alice = await server.user('alice')
  return must(
    await server.rooms.createRoom(alice, {
      visibility: 'private',
      invite: [],
      initialState:
        joinRule === 'public'
          ? []
          : [{ type: 'm.room.join_rules', stateKey: '', content: { join_rule: joinRule } }],
      preset: joinRule === 'public' ? 'public_chat' : 'private_chat',
      isDirect: false,
      roomVersion: version,
      name: `A ${joinRule} room`,
    }),
  )
}

async function membershipOn(
  server: WiredServer,
  roomId: RoomId,
  user: UserId,
): Promise<string | undefined> {
  return (await server.storage.rooms.getMembership(roomId, user))?.membership
}

describe.each(roomTestStorages())('membership over federation, in process ($name)', (kind) => {
  const openHome = useRoomStorage(kind)
  // The other server on SQLite: two servers never share a database (room locks are per
  // database).
  const openAway = useRoomStorage(roomTestStorages()[0] ?? kind)
  let opened = 0
  const open = (): Promise<Storage> => (opened++ % 2 === 0 ? openHome() : openAway())

  it('invites a user of another server, who sees the room and joins it', async () => {
    const { a, b } = pair(await open(), await open())
    const roomId = await roomOn(a, 'invite')
    const alice = await a.user('alice')
    const bob = await b.user('bob')
    const invited = must(await a.rooms.invite(alice, roomId, bob.userId, {}))
    // Both servers signed the invite A stored.
    const stored = await a.storage.events.getEvent(invited)
    expect(Object.keys(stored?.pdu.json['signatures'] ?? {}).sort()).toEqual([A, B])
    expect(await membershipOn(a, roomId, bob.userId)).toBe('invite')
    // B does not hold the room, but Bob is invited, with the room's state to recognise it.
    expect(await b.storage.rooms.getRoom(roomId)).toBeUndefined()
    expect(await membershipOn(b, roomId, bob.userId)).toBe('invite')
    const event = await b.storage.events.getEvent(invited)
    if (event === undefined) throw new Error('invite not kept')
    const stripped = await strippedRoomState(b.storage, roomId, event)
    expect(stripped.map((e) => e.type)).toEqual(
      expect.arrayContaining([
        'm.room.create',
        'm.room.name',
        'm.room.join_rules',
        'm.room.member',
      ]),
    )
    // Inviting again is a no-op, without asking B.
    expect(must(await a.rooms.invite(alice, roomId, bob.userId, {}))).toBe(invited)

    // Bob joins through the inviter's server, which his server learns from the invite.
    must(await b.rooms.join(bob, { kind: 'id', roomId }, {}))
    expect(await membershipOn(a, roomId, bob.userId)).toBe('join')
    expect(await membershipOn(b, roomId, bob.userId)).toBe('join')
    expect((await b.storage.rooms.getRoom(roomId))?.version).toBe('11')
  })

  it('invites users of other servers named at room creation, once the room exists', async () => {
    const { a, b } = pair(await open(), await open())
    const bob = await b.user('bob')
    const roomId = must(
      await a.rooms.createRoom(await a.user('alice'), {
        visibility: 'private',
        invite: [bob.userId],
        initialState: [],
        preset: 'trusted_private_chat',
        isDirect: true,
      }),
    )
    expect(await membershipOn(b, roomId, bob.userId)).toBe('invite')
    const invite = await a.storage.rooms.getCurrentStateEvent(roomId, 'm.room.member', bob.userId)
    expect(invite?.pdu.content).toMatchObject({ membership: 'invite', is_direct: true })
  })

  it('rejects an invite through the inviting server', async () => {
    const { a, b } = pair(await open(), await open())
    const roomId = await roomOn(a, 'invite')
    const bob = await b.user('bob')
    must(await a.rooms.invite(await a.user('alice'), roomId, bob.userId, {}))
    const left = must(await b.rooms.leave(bob, roomId, { reason: 'no thanks' }))
    expect(await membershipOn(a, roomId, bob.userId)).toBe('leave')
    expect(await membershipOn(b, roomId, bob.userId)).toBe('leave')
    const atA = await a.storage.events.getEvent(left)
    expect(atA?.pdu.content).toMatchObject({ membership: 'leave', reason: 'no thanks' })
    // Leaving again changes nothing; a room never heard of is not found.
    expect(must(await b.rooms.leave(bob, roomId, {}))).toBe(left)
    const unknown = await b.rooms.leave(bob, '!nowhere:a.example' as RoomId, {})
    expect(!unknown.ok && unknown.error.errcode).toBe('M_NOT_FOUND')
  })

  it('rejects an invite on its own when the inviting server is gone', async () => {
    const servers = wireServers([
      { serverName: A, storage: await open() },
      { serverName: B, storage: await open() },
    ])
    const [a, b] = [servers.get(A), servers.get(B)]
    if (a === undefined || b === undefined) throw new Error('two servers')
    const roomId = await roomOn(a, 'invite', '1')
    const bob = await b.user('bob')
    must(await a.rooms.invite(await a.user('alice'), roomId, bob.userId, {}))
    servers.delete(A)
    const left = must(await b.rooms.leave(bob, roomId, {}))
    expect(await b.storage.rooms.getMembership(roomId, bob.userId)).toMatchObject({
      membership: 'leave',
      eventId: left,
    })
    const leave = await b.storage.events.getEvent(left)
    expect(leave?.pdu.sender).toBe(bob.userId)
    expect(await membershipOn(a, roomId, bob.userId)).toBe('invite')
  })

  it('knocks on a room of another server, is let in, and joins', async () => {
    const { a, b } = pair(await open(), await open())
    const roomId = await roomOn(a, 'knock')
    const bob = await b.user('bob')
    must(await b.rooms.knock(bob, { kind: 'id', roomId }, { servers: [A], reason: 'hello' }))
    expect(await membershipOn(a, roomId, bob.userId)).toBe('knock')
    expect(await membershipOn(b, roomId, bob.userId)).toBe('knock')
    const knock = await b.storage.rooms.getMembership(roomId, bob.userId)
    const event = knock === undefined ? undefined : await b.storage.events.getEvent(knock.eventId)
    if (event === undefined) throw new Error('knock not kept')
    const stripped = await strippedRoomState(b.storage, roomId, event)
    expect(stripped.map((e) => e.type)).toContain('m.room.create')
    expect(stripped.find((e) => e.type === 'm.room.name')?.content['name']).toBe('A knock room')

    must(await a.rooms.invite(await a.user('alice'), roomId, bob.userId, {}))
    expect(await membershipOn(b, roomId, bob.userId)).toBe('invite')
    must(await b.rooms.join(bob, { kind: 'id', roomId }, {}))
    expect(await membershipOn(a, roomId, bob.userId)).toBe('join')
  })

  it('joins rooms of versions 1 and 2, whose events are named by their origin', async () => {
    const { a, b } = pair(await open(), await open())
    const bob = await b.user('bob')
    for (const version of ['1', '2']) {
      const roomId = await roomOn(a, 'public', version)
      must(await b.rooms.join(bob, { kind: 'id', roomId }, { servers: [A] }))
      expect(await membershipOn(a, roomId, bob.userId)).toBe('join')
      const join = await a.storage.rooms.getCurrentStateEvent(roomId, 'm.room.member', bob.userId)
      expect(join?.pdu.eventId).toMatch(new RegExp(`^\\$[A-Za-z0-9_-]+:${B}$`))
    }
  })

  it('refuses knocks where the room does not take them', async () => {
    const { a, b } = pair(await open(), await open())
    const bob = await b.user('bob')
    const old = await roomOn(a, 'knock', '6')
    const tooOld = await b.rooms.knock(bob, { kind: 'id', roomId: old }, { servers: [A] })
    expect(!tooOld.ok && tooOld.error.errcode).toBe('M_INCOMPATIBLE_ROOM_VERSION')
    const closed = await roomOn(a, 'invite')
    const refused = await b.rooms.knock(bob, { kind: 'id', roomId: closed }, { servers: [A] })
    expect(!refused.ok && refused.error.errcode).toBe('M_FORBIDDEN')
    const down = await b.rooms.knock(
      bob,
      { kind: 'id', roomId: '!x:down.example' as RoomId },
      { servers: ['down.example' as ServerName] },
    )
    expect(!down.ok && down.error.errcode).toBe('M_NOT_FOUND')
    expect(await b.storage.rooms.roomsForUser(bob.userId, ['knock'])).toEqual([])
  })

  it('joins a restricted room as a member of a room it allows, vouched for by the resident', async () => {
    const { a, b } = pair(await open(), await open())
    const alice = await a.user('alice')
    const bob = await b.user('bob')
    const space = await roomOn(a, 'public', '10')
    const restricted = must(
      await a.rooms.createRoom(alice, {
        visibility: 'private',
        invite: [],
        initialState: [
          {
            type: 'm.room.join_rules',
            stateKey: '',
            content: {
              join_rule: 'restricted',
              allow: [{ type: 'm.room_membership', room_id: space }],
            },
          },
        ],
        preset: 'private_chat',
        isDirect: false,
        roomVersion: '10',
      }),
    )
    // Not yet in the allowed room: refused, as the resident said, and not taken for a room
    // nobody could be reached for.
    const early = await b.rooms.join(bob, { kind: 'id', roomId: restricted }, { servers: [A] })
    expect(!early.ok && early.error.errcode).toBe('M_FORBIDDEN')
    const unreachable = await b.rooms.join(
      bob,
      { kind: 'id', roomId: '!x:down.example' as RoomId },
      { servers: ['down.example' as ServerName] },
    )
    expect(!unreachable.ok && unreachable.error.errcode).toBe('M_NOT_FOUND')
    must(await b.rooms.join(bob, { kind: 'id', roomId: space }, { servers: [A] }))
    must(await b.rooms.join(bob, { kind: 'id', roomId: restricted }, { servers: [A] }))
    const member = await a.storage.rooms.getCurrentStateEvent(
      restricted,
      'm.room.member',
      bob.userId,
    )
    expect(member?.pdu.content['join_authorised_via_users_server']).toBe(alice.userId)
    expect(Object.keys(member?.pdu.json['signatures'] ?? {}).sort()).toEqual([A, B])
    expect(await membershipOn(b, restricted, bob.userId)).toBe('join')
  })
})

import {
  computeEventId,
  generateSigningKey,
  hashAndSignEvent,
  parseServerName,
  roomVersionRules,
  type EventId,
  type JsonObject,
  type RoomId,
  type ServerName,
} from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import type { Requester } from '../../http/authenticate.js'
import { PduLoader } from '../../rooms/pdu-loader.js'
import type { RoomService } from '../../rooms/room-service.js'
import type { Storage } from '../../storage/interface.js'
import { knownKeys, publicRoom, storedRoomRules } from '../../testing/federation-fixtures.js'
import { wireServers, type WiredServer } from '../../testing/federation-wire.js'
import { expectMatchesSpec } from '../../testing/openapi-spec.js'
import { crypto, must, SERVER_NAME, SIGNING_KEY, userId } from '../../testing/room-kit.js'
import { roomTestStorages, useRoomStorage } from '../../testing/room-storages.js'
import { makeJoin, sendJoin, type ResidentJoinDeps } from './resident-join.js'

const REMOTE = 'remote.example' as ServerName
const remoteKey = generateSigningKey(crypto, 'r1')
const bob = userId('bob', REMOTE)

async function setUp(
  storage: Storage,
): Promise<{ deps: ResidentJoinDeps; rooms: RoomService; roomId: RoomId }> {
  const { rooms, roomId } = await publicRoom(storage)
  const deps: ResidentJoinDeps = {
    storage,
    pdus: new PduLoader(storage.events),
    crypto,
    keys: knownKeys({ [REMOTE]: remoteKey }),
    serverName: SERVER_NAME,
    signingKey: SIGNING_KEY,
    now: Date.now,
    roomRules: storedRoomRules(storage),
  }
  return { deps, rooms, roomId }
}

/** What the joining server does with a template: hash, sign, and name the event. */
function signTemplate(template: JsonObject, version: string): { json: JsonObject; id: EventId } {
  const rules = roomVersionRules(version)
  if (rules === undefined) throw new Error('no version')
  const json = hashAndSignEvent(template, rules, REMOTE, remoteKey, crypto)
  return { json, id: must(computeEventId(json, rules, crypto)) }
}

describe.each(roomTestStorages())('joining a room through this server ($name)', (kind) => {
  const open = useRoomStorage(kind)

  it('hands out a template and takes the signed join, answering with the state before it', async () => {
    const storage = await open()
    const { deps, roomId } = await setUp(storage)
    const made = must(await makeJoin(deps, REMOTE, roomId, bob, ['1', '10', '11', '12']))
    expectMatchesSpec(
      'server-server',
      'joins-v1.yaml',
      'GET',
      '/_matrix/federation/v1/make_join/{roomId}/{userId}',
      200,
      made,
    )
    expect(made.event).toMatchObject({
      type: 'm.room.member',
      state_key: bob,
      sender: bob,
      room_id: roomId,
      origin: SERVER_NAME,
      content: { membership: 'join' },
    })
    expect(made.event['signatures']).toBeUndefined()
    const { json, id } = signTemplate(made.event, made.room_version)
    const joined = must(await sendJoin(deps, REMOTE, roomId, id, json))
    expectMatchesSpec(
      'server-server',
      'joins-v2.yaml',
      'PUT',
      '/_matrix/federation/v2/send_join/{roomId}/{eventId}',
      200,
      joined,
    )
    const stateTypes = joined.state.map((e) => JSON.stringify([e['type'], e['state_key']]))
    expect(stateTypes).toContain(JSON.stringify(['m.room.create', '']))
    expect(stateTypes).toContain(JSON.stringify(['m.room.power_levels', '']))
    expect(stateTypes).not.toContain(JSON.stringify(['m.room.member', bob]))
    expect(joined.servers_in_room).toEqual([REMOTE, SERVER_NAME].sort())
    expect(await storage.rooms.joinedMembers(roomId)).toContain(bob)
    // Sent again, it is the same join: answered the same way.
    const again = must(await sendJoin(deps, REMOTE, roomId, id, json))
    expect(again.state.length).toBe(joined.state.length)
  })

  it('answers with the auth chain the state needs beyond itself, each event once', async () => {
    const storage = await open()
    const { deps, rooms, roomId } = await setUp(storage)
    const alice = { userId: userId('alice'), deviceId: 'A', isGuest: false }
    // Two power level changes: the first one and the original leave the state, but stay in
    // the auth chain of what follows them.
    const replaced: EventId[] = []
    const original = (await storage.rooms.getCurrentState(roomId)).get('m.room.power_levels', '')
    if (original !== undefined) replaced.push(original)
    for (const ban of [60, 70]) {
      const id = must(await rooms.sendState(alice, roomId, 'm.room.power_levels', '', { ban }))
      replaced.push(id)
    }
    const current = replaced.pop()
    const made = must(await makeJoin(deps, REMOTE, roomId, bob, ['1', '10', '11', '12']))
    const { json, id } = signTemplate(made.event, made.room_version)
    const joined = must(await sendJoin(deps, REMOTE, roomId, id, json))
    const rules = roomVersionRules(made.room_version)
    if (rules === undefined) throw new Error('no version')
    const idOf = (event: JsonObject): EventId => must(computeEventId(event, rules, crypto))
    const stateIds = joined.state.map(idOf)
    const chainIds = joined.auth_chain.map(idOf)
    expect(stateIds).toContain(current)
    for (const old of replaced) expect(chainIds).toContain(old)
    expect(chainIds.filter((chained) => stateIds.includes(chained))).toEqual([])
    expect(new Set(chainIds).size).toBe(chainIds.length)
  })

  it('refuses what it must refuse', async () => {
    const storage = await open()
    const { deps, rooms, roomId } = await setUp(storage)
    const version = (await storage.rooms.getRoom(roomId))?.version ?? ''
    const elsewhere = await makeJoin(deps, 'other.example' as ServerName, roomId, bob, [version])
    expect(!elsewhere.ok && elsewhere.error.errcode).toBe('M_FORBIDDEN')
    const old = await makeJoin(deps, REMOTE, roomId, bob, ['1'])
    expect(!old.ok && [old.error.errcode, old.error.extra]).toEqual([
      'M_INCOMPATIBLE_ROOM_VERSION',
      { room_version: version },
    ])
    const unknown = await makeJoin(deps, REMOTE, '!nowhere:example.org' as RoomId, bob, [version])
    expect(!unknown.ok && unknown.error.errcode).toBe('M_NOT_FOUND')
    must(
      await rooms.ban({ userId: userId('alice'), deviceId: 'A', isGuest: false }, roomId, bob, {}),
    )
    const banned = await makeJoin(deps, REMOTE, roomId, userId('carol', REMOTE), [version])
    expect(banned.ok).toBe(true)
    const bobBanned = await makeJoin(deps, REMOTE, roomId, bob, [version])
    expect(!bobBanned.ok && bobBanned.error.errcode).toBe('M_FORBIDDEN')

    const made = must(await makeJoin(deps, REMOTE, roomId, userId('carol', REMOTE), [version]))
    const { json, id } = signTemplate(made.event, version)
    const wrongId = await sendJoin(deps, REMOTE, roomId, `$${'A'.repeat(43)}` as EventId, json)
    expect(!wrongId.ok && wrongId.error.errcode).toBe('M_BAD_JSON')
    // Signed by a key that is not the server's: refused.
    const rules = roomVersionRules(version)
    if (rules === undefined) throw new Error('no version')
    const forged = hashAndSignEvent(
      made.event,
      rules,
      REMOTE,
      generateSigningKey(crypto, 'r1'),
      crypto,
    )
    const refused = await sendJoin(
      deps,
      REMOTE,
      roomId,
      must(computeEventId(forged, rules, crypto)),
      forged,
    )
    expect(!refused.ok && refused.error.errcode).toBe('M_BAD_JSON')
    // A copy with its content changed on the way is taken in its redacted form (the spec's rule).
    const changed = { ...json, content: { membership: 'join', displayname: 'changed on the way' } }
    const redacted = must(await sendJoin(deps, REMOTE, roomId, id, changed))
    expect((redacted.event['content'] as JsonObject)['displayname']).toBeUndefined()
  })
})

describe.each(roomTestStorages())('restricted rooms over federation ($name)', (kind) => {
  const openStorage = useRoomStorage(kind)
  const [A, B, C] = ['a.example', 'b.example', 'c.example'].map((name) =>
    must(parseServerName(name)),
  ) as [ServerName, ServerName, ServerName]

  async function restrictedRoom(
    a: WiredServer,
    allowed: RoomId,
  ): Promise<{ roomId: RoomId; alice: Requester }> {
    const alice = await a.user('alice')
    const roomId = must(
      await a.rooms.createRoom(alice, {
        visibility: 'private',
        invite: [],
        initialState: [
          {
            type: 'm.room.join_rules',
            stateKey: '',
            content: {
              join_rule: 'restricted',
              allow: [{ type: 'm.room_membership', room_id: allowed }],
            },
          },
        ],
        preset: 'private_chat',
        isDirect: false,
        roomVersion: '10',
        powerLevelContentOverride: { invite: 50 },
      }),
    )
    return { roomId, alice }
  }

  it('answers make_join with the spec’s refusals, and vouches for a member of the allowed room', async () => {
    const servers = wireServers([{ serverName: A, storage: await openStorage() }])
    const a = servers.get(A)
    if (a === undefined) throw new Error('a server')
    const bobB = userId('bob', B)
    const space = must(
      await a.rooms.createRoom(await a.user('alice'), {
        visibility: 'public',
        invite: [],
        initialState: [],
        preset: 'public_chat',
        isDirect: false,
        roomVersion: '10',
      }),
    )
    const unknownAllowed = await restrictedRoom(a, '!unknown:elsewhere.example' as RoomId)
    const cannotTell = await makeJoin(a.resident, B, unknownAllowed.roomId, bobB, ['10'])
    expect(!cannotTell.ok && cannotTell.error.errcode).toBe('M_UNABLE_TO_AUTHORISE_JOIN')
    const { roomId, alice } = await restrictedRoom(a, space)
    const outsider = await makeJoin(a.resident, B, roomId, bobB, ['10'])
    expect(!outsider.ok && outsider.error.errcode).toBe('M_FORBIDDEN')
    // Bob's join of the space, as it would arrive from B.
    must(
      await a.rooms.pipeline.send(space, {
        type: 'm.room.member',
        stateKey: bobB,
        sender: bobB,
        content: { membership: 'join' },
      }),
    )
    const made = must(await makeJoin(a.resident, B, roomId, bobB, ['10']))
    expect(made.event['content']).toEqual({
      membership: 'join',
      join_authorised_via_users_server: alice.userId,
    })
  })

  it('joins through the next server when one cannot grant the join', async () => {
    const servers = wireServers([
      { serverName: A, storage: await openStorage() },
      { serverName: B, storage: await openStorage() },
      { serverName: C, storage: await openStorage() },
    ])
    const [a, b, c] = [servers.get(A), servers.get(B), servers.get(C)]
    if (a === undefined || b === undefined || c === undefined) throw new Error('three servers')
    const space = must(
      await a.rooms.createRoom(await a.user('alice'), {
        visibility: 'public',
        invite: [],
        initialState: [],
        preset: 'public_chat',
        isDirect: false,
        roomVersion: '10',
      }),
    )
    const { roomId } = await restrictedRoom(a, space)
    const bob = await b.user('bob')
    must(await b.rooms.join(bob, { kind: 'id', roomId: space }, { servers: [A] }))
    // Carol of C is in both rooms (C sees Bob in the space), without the power to invite: C can
    // check the join, not grant it.
    const carol = await c.user('carol')
    must(await c.rooms.join(carol, { kind: 'id', roomId: space }, { servers: [A] }))
    must(await c.rooms.join(carol, { kind: 'id', roomId }, { servers: [A] }))
    const viaC = await makeJoin(c.resident, B, roomId, bob.userId, ['10'])
    expect(!viaC.ok && viaC.error.errcode).toBe('M_UNABLE_TO_GRANT_JOIN')
    must(await b.rooms.join(bob, { kind: 'id', roomId }, { servers: [C, A] }))
    expect((await a.storage.rooms.getMembership(roomId, bob.userId))?.membership).toBe('join')
  })
})

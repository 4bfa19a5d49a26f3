import {
  computeEventId,
  hashAndSignEvent,
  parseServerName,
  roomVersionRules,
  type RoomId,
} from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import { wireServers, type WiredServer } from '../../testing/federation-wire.js'
import { expectMatchesSpec } from '../../testing/openapi-spec.js'
import { crypto, must, userId } from '../../testing/room-kit.js'
import { roomTestStorages, useRoomStorage } from '../../testing/room-storages.js'
import { makeKnock, sendKnock } from './resident-knock.js'

const A = must(parseServerName('a.example'))
const B = must(parseServerName('b.example'))
const bob = userId('bob', B)

async function knockRoom(a: WiredServer, joinRule: string, version: string): Promise<RoomId> {
  return must(
    await a.rooms.createRoom(await a.user('alice'), {
      visibility: 'private',
      invite: [],
      initialState: [{ type: 'm.room.join_rules', stateKey: '', content: { join_rule: joinRule } }],
      preset: 'private_chat',
      isDirect: false,
      roomVersion: version,
      name: 'Knock here',
    }),
  )
}

describe.each(roomTestStorages())('knocking through this server ($name)', (kind) => {
  const open = useRoomStorage(kind)

  it('hands out a knock template and takes the knock, answering with the room’s state', async () => {
    const servers = wireServers([
      { serverName: A, storage: await open() },
      { serverName: B, storage: await open() },
    ])
    const a = servers.get(A)
    const b = servers.get(B)
    if (a === undefined || b === undefined) throw new Error('two servers')
    const roomId = await knockRoom(a, 'knock', '11')
    const made = must(await makeKnock(a.resident, B, roomId, bob, ['10', '11']))
    expectMatchesSpec(
      'server-server',
      'knocks.yaml',
      'GET',
      '/_matrix/federation/v1/make_knock/{roomId}/{userId}',
      200,
      made,
    )
    expect(made.event).toMatchObject({
      sender: bob,
      state_key: bob,
      content: { membership: 'knock' },
    })
    const rules = roomVersionRules(made.room_version)
    if (rules === undefined) throw new Error('no version')
    const signed = hashAndSignEvent(made.event, rules, B, b.signingKey, crypto)
    const eventId = must(computeEventId(signed, rules, crypto))
    const knocked = must(await sendKnock(a.resident, B, roomId, eventId, signed))
    expectMatchesSpec(
      'server-server',
      'knocks.yaml',
      'PUT',
      '/_matrix/federation/v1/send_knock/{roomId}/{eventId}',
      200,
      knocked,
    )
    const types = knocked.knock_room_state.map((e) => e['type'])
    expect(types).toEqual(
      expect.arrayContaining(['m.room.create', 'm.room.join_rules', 'm.room.name']),
    )
    expect((await a.storage.rooms.getMembership(roomId, bob))?.membership).toBe('knock')
    // A knock sent as a join is not taken.
    const asJoin = await sendKnock(a.resident, B, roomId, eventId, {
      ...signed,
      content: { membership: 'join' },
    })
    expect(asJoin.ok).toBe(false)
  })

  it('refuses rooms without knocking', async () => {
    const servers = wireServers([{ serverName: A, storage: await open() }])
    const a = servers.get(A)
    if (a === undefined) throw new Error('a server')
    const old = await knockRoom(a, 'knock', '6')
    const tooOld = await makeKnock(a.resident, B, old, bob, ['6', '11'])
    expect(!tooOld.ok && [tooOld.error.errcode, tooOld.error.extra]).toEqual([
      'M_INCOMPATIBLE_ROOM_VERSION',
      { room_version: '6' },
    ])
    const room = await knockRoom(a, 'knock', '11')
    const unsupported = await makeKnock(a.resident, B, room, bob, ['10'])
    expect(!unsupported.ok && unsupported.error.errcode).toBe('M_INCOMPATIBLE_ROOM_VERSION')
    const closed = await knockRoom(a, 'invite', '11')
    const refused = await makeKnock(a.resident, B, closed, bob, ['11'])
    expect(!refused.ok && refused.error.errcode).toBe('M_FORBIDDEN')
    const notTheirs = await makeKnock(a.resident, B, room, userId('carol', 'c.example'), ['11'])
    expect(!notTheirs.ok && notTheirs.error.errcode).toBe('M_FORBIDDEN')
  })
})

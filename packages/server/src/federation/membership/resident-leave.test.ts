import {
  computeEventId,
  hashAndSignEvent,
  parseServerName,
  roomVersionRules,
  type RoomId,
} from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import { wireServers } from '../../testing/federation-wire.js'
import { expectMatchesSpec } from '../../testing/openapi-spec.js'
import { crypto, must, userId } from '../../testing/room-kit.js'
import { roomTestStorages, useRoomStorage } from '../../testing/room-storages.js'
import { makeLeave, sendLeave } from './resident-leave.js'

const A = must(parseServerName('a.example'))
const B = must(parseServerName('b.example'))
const bob = userId('bob', B)

describe.each(roomTestStorages())('leaving through this server ($name)', (kind) => {
  const open = useRoomStorage(kind)

  it('lets an invitee of another server reject the invite, and refuses strangers', async () => {
    const servers = wireServers([
      { serverName: A, storage: await open() },
      { serverName: B, storage: await open() },
    ])
    const a = servers.get(A)
    if (a === undefined) throw new Error('a server')
    const alice = await a.user('alice')
    const roomId: RoomId = must(
      await a.rooms.createRoom(alice, {
        visibility: 'private',
        invite: [],
        initialState: [],
        preset: 'private_chat',
        isDirect: false,
      }),
    )
    // A stranger has nothing to leave.
    const stranger = await makeLeave(a.resident, B, roomId, bob)
    expect(!stranger.ok && stranger.error.errcode).toBe('M_FORBIDDEN')
    // The invite as it would be after B's signature: here only A's pipeline builds it.
    must(
      await a.rooms.pipeline.send(roomId, {
        type: 'm.room.member',
        stateKey: bob,
        sender: alice.userId,
        content: { membership: 'invite' },
      }),
    )
    const made = must(await makeLeave(a.resident, B, roomId, bob))
    expectMatchesSpec(
      'server-server',
      'leaving-v1.yaml',
      'GET',
      '/_matrix/federation/v1/make_leave/{roomId}/{userId}',
      200,
      made,
    )
    const rules = roomVersionRules(made.room_version)
    if (rules === undefined) throw new Error('no version')
    const bKey = servers.get(A)?.signingKey
    if (bKey === undefined) throw new Error('no key')
    // Signed with the wrong server's key: refused.
    const forged = hashAndSignEvent(made.event, rules, B, bKey, crypto)
    const forgedId = must(computeEventId(forged, rules, crypto))
    const refused = await sendLeave(a.resident, B, roomId, forgedId, forged)
    expect(refused.ok).toBe(false)
    expect((await a.storage.rooms.getMembership(roomId, bob))?.membership).toBe('invite')
    const bServer = servers.get(B)
    if (bServer === undefined) throw new Error('no B')
    const signed = hashAndSignEvent(made.event, rules, B, bServer.signingKey, crypto)
    const left = must(
      await sendLeave(a.resident, B, roomId, must(computeEventId(signed, rules, crypto)), signed),
    )
    expectMatchesSpec(
      'server-server',
      'leaving-v2.yaml',
      'PUT',
      '/_matrix/federation/v2/send_leave/{roomId}/{eventId}',
      200,
      left,
    )
    expect((await a.storage.rooms.getMembership(roomId, bob))?.membership).toBe('leave')
  })
})

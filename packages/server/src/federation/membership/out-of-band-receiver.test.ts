import { parseServerName, type EventId, type JsonObject, type RoomId } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import { wireServers } from '../../testing/federation-wire.js'
import { must } from '../../testing/room-kit.js'
import { roomTestStorages, useRoomStorage } from '../../testing/room-storages.js'
import { receiveOutOfBandEvent } from './out-of-band-receiver.js'

const A = must(parseServerName('a.example'))
const B = must(parseServerName('b.example'))

describe.each(roomTestStorages())('events ending an invite of a room not held ($name)', (kind) => {
  const openHome = useRoomStorage(kind)
  // Never one database for both servers (see remote-membership.test.ts).
  const openAway = useRoomStorage(roomTestStorages()[0] ?? kind)

  it('takes the inviter’s kick of the invitee, and nothing else', async () => {
    const servers = wireServers([
      { serverName: A, storage: await openHome() },
      { serverName: B, storage: await openAway() },
    ])
    const [a, b] = [servers.get(A), servers.get(B)]
    if (a === undefined || b === undefined) throw new Error('two servers')
    const alice = await a.user('alice')
    const bob = await b.user('bob')
    const deps = { ...b.invites, storage: b.storage }
    const roomId: RoomId = must(
      await a.rooms.createRoom(alice, {
        visibility: 'private',
        invite: [],
        initialState: [],
        preset: 'private_chat',
        isDirect: false,
      }),
    )
    must(await a.rooms.invite(alice, roomId, bob.userId, {}))
    const jsonOf = async (id: EventId): Promise<JsonObject> => {
      const event = await a.storage.events.getEvent(id)
      if (event === undefined) throw new Error('no event')
      return event.pdu.json
    }
    const message = must(
      await a.rooms.pipeline.send(roomId, {
        type: 'm.room.message',
        sender: alice.userId,
        content: { msgtype: 'm.text', body: 'hi' },
      }),
    )
    expect(await receiveOutOfBandEvent(deps, await jsonOf(message.eventId))).toBe(false)
    const kick = must(await a.rooms.kick(alice, roomId, bob.userId, { reason: 'changed my mind' }))
    const kickJson = await jsonOf(kick)
    // Tampered with on the way: refused.
    const tampered = { ...kickJson, content: { membership: 'leave', reason: 'other' } }
    expect(await receiveOutOfBandEvent(deps, tampered)).toBe(false)
    expect((await b.storage.rooms.getMembership(roomId, bob.userId))?.membership).toBe('invite')
    expect(await receiveOutOfBandEvent(deps, kickJson)).toBe(true)
    expect(await b.storage.rooms.getMembership(roomId, bob.userId)).toMatchObject({
      membership: 'leave',
      eventId: kick,
    })
    // Once the invite is gone, nothing more is taken.
    expect(await receiveOutOfBandEvent(deps, kickJson)).toBe(false)

    // Invited again: the old kick, replayed, does not end the new invite (it cites the old one).
    must(await a.rooms.invite(alice, roomId, bob.userId, {}))
    const again = await b.storage.rooms.getMembership(roomId, bob.userId)
    expect(again?.membership).toBe('invite')
    expect(await receiveOutOfBandEvent(deps, kickJson)).toBe(false)
    expect(await b.storage.rooms.getMembership(roomId, bob.userId)).toEqual(again)
    const secondKick = must(await a.rooms.kick(alice, roomId, bob.userId, {}))
    expect(await receiveOutOfBandEvent(deps, await jsonOf(secondKick))).toBe(true)
  })
})

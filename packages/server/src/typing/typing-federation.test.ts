import type { JsonObject, RoomId, ServerName, UserId } from '@rhizome/core'
import { afterEach, describe, expect, it } from 'vitest'
import type { Requester } from '../http/authenticate.js'
import { append, createRoom, TestRoom } from '../storage/contract/test-room.js'
import type { Storage } from '../storage/interface.js'
import { HERE, REMOTE, useRoomWithRemoteMember } from '../testing/room-with-remote-member.js'
import { typingEdu, typingEduHandler, typingFederation } from './typing-federation.js'
import { REMOTE_TYPING_TIMEOUT_MS, TypingService } from './typing-service.js'
import type { OutboundEdu } from '../federation/sender/federation-sender.js'

const T0 = 1_700_000_000_000

const open = useRoomWithRemoteMember()
const services: TypingService[] = []
afterEach(async () => {
  await Promise.all(services.splice(0).map((s) => s.close()))
})

/** A room of alice (here) and dave (remote.test); a clock the test moves; what went out. */
async function setup(): Promise<{
  storage: Storage
  room: TestRoom
  alice: UserId
  dave: UserId
  clock: { now: number }
  typing: TypingService
  sent: [RoomId, OutboundEdu][]
}> {
  const { storage, room, alice, dave } = await open()
  const clock = { now: T0 }
  const sent: [RoomId, OutboundEdu][] = []
  const typing = new TypingService({
    storage,
    now: () => clock.now,
    sweepIntervalMs: 600_000,
    federation: typingFederation({
      isLocal: (userId) => userId.endsWith(`:${HERE}`),
      toRoom: (roomId, edu) => sent.push([roomId, edu]),
    }),
  })
  services.push(typing)
  return { storage, room, alice, dave, clock, typing, sent }
}

const as = (userId: UserId): Requester => ({ userId, deviceId: 'D', isGuest: false })

async function typingNow(storage: Storage, roomId: RoomId, now: number): Promise<UserId[]> {
  const upTo = await storage.streams.currentPosition()
  return [...((await storage.typing.typingSince([roomId], undefined, upTo, now)).get(roomId) ?? [])]
}

describe('typing over federation: outbound', () => {
  it('sends each start and refresh, and a stop only of a running notice', async () => {
    const { room, alice, typing, sent } = await setup()
    const start = { typing: true, timeoutMs: 20_000 }
    await typing.setTyping(as(alice), alice, room.roomId, start)
    await typing.setTyping(as(alice), alice, room.roomId, start)
    await typing.setTyping(as(alice), alice, room.roomId, { typing: false, timeoutMs: undefined })
    await typing.setTyping(as(alice), alice, room.roomId, { typing: false, timeoutMs: undefined })
    const edu = (on: boolean): [RoomId, OutboundEdu] => [
      room.roomId,
      { edu_type: 'm.typing', content: { room_id: room.roomId, user_id: alice, typing: on } },
    ]
    expect(sent).toEqual([edu(true), edu(true), edu(false)])
  })

  it('sends a stop when a local notice expires, none for a remote one', async () => {
    const { room, alice, dave, clock, typing, sent } = await setup()
    await typing.setRemoteTyping(room.roomId, dave, true)
    await typing.setTyping(as(alice), alice, room.roomId, { typing: true, timeoutMs: 200 })
    sent.length = 0
    // Both are past their time when the notice's own timer (200 ms away) runs the sweep.
    clock.now += REMOTE_TYPING_TIMEOUT_MS
    await waitUntil(() => sent.length > 0)
    expect(sent).toEqual([
      [room.roomId, { edu_type: 'm.typing', content: typingEdu(room.roomId, alice, false) }],
    ])
  })
})

describe('typing over federation: inbound', () => {
  it('shows a remote user typing, stops on the stop, and times out on its own', async () => {
    const { storage, room, dave, clock, typing } = await setup()
    const handle = typingEduHandler({ storage, serverName: HERE, typing })
    await handle(REMOTE, typingEdu(room.roomId, dave, true))
    expect(await typingNow(storage, room.roomId, clock.now)).toEqual([dave])
    await handle(REMOTE, typingEdu(room.roomId, dave, false))
    expect(await typingNow(storage, room.roomId, clock.now)).toEqual([])
    await handle(REMOTE, typingEdu(room.roomId, dave, true))
    expect(await storage.typing.nextExpiry()).toBe(clock.now + REMOTE_TYPING_TIMEOUT_MS)
    clock.now += REMOTE_TYPING_TIMEOUT_MS
    expect(await typingNow(storage, room.roomId, clock.now)).toEqual([])
    expect(await storage.typing.expire(clock.now)).toEqual([{ roomId: room.roomId, userId: dave }])
  })

  it('drops notices a server may not send, and malformed ones', async () => {
    const { storage, room, alice, dave, clock, typing } = await setup()
    const handle = typingEduHandler({ storage, serverName: HERE, typing })
    const stranger = dave.replace('@dave', '@stranger') as UserId
    const elsewhere = new TestRoom(dave.replace('@dave', '@owner'))
    await createRoom(storage, elsewhere)
    await append(storage, elsewhere.member(dave, 'join'))
    const refused: [ServerName, JsonObject][] = [
      // Another server's user, this server's own user.
      ['other.test' as ServerName, typingEdu(room.roomId, dave, true)],
      [REMOTE, typingEdu(room.roomId, alice, true)],
      // Not joined; a room without a user of this server.
      [REMOTE, typingEdu(room.roomId, stranger, true)],
      [REMOTE, typingEdu(elsewhere.roomId, dave, true)],
      // Malformed.
      [REMOTE, { room_id: room.roomId, user_id: dave, typing: 'yes' }],
      [REMOTE, { room_id: 'nonsense', user_id: dave, typing: true }],
      [REMOTE, { room_id: room.roomId, typing: true }],
    ]
    for (const [origin, content] of refused) await handle(origin, content)
    expect(await typingNow(storage, room.roomId, clock.now)).toEqual([])
    expect(await typingNow(storage, elsewhere.roomId, clock.now)).toEqual([])
  })
})

async function waitUntil(predicate: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('timed out')
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

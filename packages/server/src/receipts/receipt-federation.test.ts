import type { EventId, JsonObject, RoomId, ServerName, UserId } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import { append, createRoom, TestRoom } from '../storage/contract/test-room.js'
import type { Storage } from '../storage/interface.js'
import { HERE, REMOTE, useRoomWithRemoteMember } from '../testing/room-with-remote-member.js'
import type { NewReceipt } from '../storage/receipt-store.js'
import { receiptEdu, receiptEduHandler, receiptFederation } from './receipt-federation.js'
import { ReceiptService } from './receipt-service.js'
import type { OutboundEdu } from '../federation/sender/federation-sender.js'

const T0 = 1_700_000_000_000

const open = useRoomWithRemoteMember()

/** A room of alice (here) and dave (remote.test) with two messages. */
async function setup(): Promise<{
  storage: Storage
  room: TestRoom
  alice: UserId
  dave: UserId
  first: EventId
  second: EventId
}> {
  const { storage, room, alice, dave } = await open()
  const first = room.message('one')
  const second = room.message('two')
  await append(storage, first)
  await append(storage, second)
  return { storage, room, alice, dave, first: first.eventId, second: second.eventId }
}

async function receiptsOf(storage: Storage, roomId: RoomId, viewer: UserId): Promise<unknown[]> {
  const upTo = await storage.streams.currentPosition()
  const all = await storage.receipts.receiptsSince([roomId], viewer, undefined, upTo)
  return all.map((r) => ({ userId: r.userId, eventId: r.eventId, threadId: r.threadId, ts: r.ts }))
}

describe('receipts over federation: outbound', () => {
  it('sends a new public receipt, never a private one, nor one that moved nothing', async () => {
    const { storage, room, alice, first, second } = await setup()
    const sent: [RoomId, OutboundEdu][] = []
    const receipts = new ReceiptService(
      storage,
      () => T0,
      receiptFederation({ toRoom: (roomId, edu) => sent.push([roomId, edu]) }),
    )
    expect((await receipts.send(alice, room.roomId, 'm.read', second, undefined)).ok).toBe(true)
    await receipts.send(alice, room.roomId, 'm.read', first, undefined)
    await receipts.send(alice, room.roomId, 'm.read.private', second, undefined)
    await receipts.send(alice, room.roomId, 'm.fully_read', second, undefined)
    expect(sent).toEqual([
      [
        room.roomId,
        {
          edu_type: 'm.receipt',
          content: {
            [room.roomId]: {
              'm.read': { [alice]: { event_ids: [second], data: { ts: T0 } } },
            },
          },
        },
      ],
    ])
  })

  it('carries the thread of a threaded receipt', () => {
    const receipt: NewReceipt = {
      roomId: '!r:test' as RoomId,
      userId: '@a:test' as UserId,
      receiptType: 'm.read',
      threadId: 'main',
      eventId: '$e' as EventId,
      eventPosition: 3,
      ts: 5,
    }
    expect(receiptEdu(receipt)).toEqual({
      '!r:test': {
        'm.read': { '@a:test': { event_ids: ['$e'], data: { ts: 5, thread_id: 'main' } } },
      },
    })
  })
})

describe('receipts over federation: inbound', () => {
  it('stores a remote user’s receipt for the latest event it names', async () => {
    const { storage, room, alice, dave, first, second } = await setup()
    const handle = receiptEduHandler({ storage, serverName: HERE, now: () => T0 })
    await handle(REMOTE, {
      [room.roomId]: {
        'm.read': { [dave]: { event_ids: [second, first, '$unknown'], data: { ts: 1234 } } },
      },
    })
    expect(await receiptsOf(storage, room.roomId, alice)).toEqual([
      { userId: dave, eventId: second, threadId: undefined, ts: 1234 },
    ])
  })

  it('takes the thread, and the time of receipt when none is given', async () => {
    const { storage, room, alice, dave, first } = await setup()
    const handle = receiptEduHandler({ storage, serverName: HERE, now: () => T0 })
    await handle(REMOTE, {
      [room.roomId]: { 'm.read': { [dave]: { event_ids: [first], data: { thread_id: 'main' } } } },
    })
    expect(await receiptsOf(storage, room.roomId, alice)).toEqual([
      { userId: dave, eventId: first, threadId: 'main', ts: T0 },
    ])
  })

  it('drops receipts a server may not send, and malformed ones, keeping the rest', async () => {
    const { storage, room, alice, dave, first, second } = await setup()
    const handle = receiptEduHandler({ storage, serverName: HERE, now: () => T0 })
    const stranger = dave.replace('@dave', '@stranger') as UserId
    const elsewhere = new TestRoom(dave.replace('@dave', '@owner'))
    await createRoom(storage, elsewhere)
    const elsewhereMessage = elsewhere.message('hi')
    await append(storage, elsewhereMessage)
    const read = (eventIds: unknown): JsonObject => ({ event_ids: eventIds as string[], data: {} })
    const refused: [ServerName, JsonObject][] = [
      ['other.test' as ServerName, { [room.roomId]: { 'm.read': { [dave]: read([first]) } } }],
      [REMOTE, { [room.roomId]: { 'm.read': { [alice]: read([first]) } } }],
      [REMOTE, { [room.roomId]: { 'm.read': { [stranger]: read([first]) } } }],
      [REMOTE, { [room.roomId]: { 'm.read.private': { [dave]: read([first]) } } }],
      [REMOTE, { [room.roomId]: { 'm.read': { [dave]: read(['$unknown']) } } }],
      [REMOTE, { [room.roomId]: { 'm.read': { [dave]: read([elsewhereMessage.eventId]) } } }],
      [REMOTE, { [room.roomId]: { 'm.read': { [dave]: read('$notalist') } } }],
      [REMOTE, { [room.roomId]: { 'm.read': { [dave]: read([first, 7]) } } }],
      [REMOTE, { [room.roomId]: { 'm.read': { [dave]: { event_ids: [first], data: 1 } } } }],
      [REMOTE, { [room.roomId]: { 'm.read': { [dave]: read([]) } } }],
      [REMOTE, { [room.roomId]: 'nonsense' }],
      [REMOTE, { nonsense: { 'm.read': { [dave]: read([first]) } } }],
      [
        REMOTE,
        {
          [elsewhere.roomId]: {
            'm.read': { [elsewhere.creator]: read([elsewhereMessage.eventId]) },
          },
        },
      ],
    ]
    for (const [origin, content] of refused) await handle(origin, content)
    expect(await receiptsOf(storage, room.roomId, alice)).toEqual([])
    expect(await receiptsOf(storage, elsewhere.roomId, alice)).toEqual([])
    // One good receipt among bad ones still counts.
    await handle(REMOTE, {
      [room.roomId]: { 'm.read': { [stranger]: read([first]), [dave]: read([second]) } },
    })
    expect(await receiptsOf(storage, room.roomId, alice)).toEqual([
      { userId: dave, eventId: second, threadId: undefined, ts: T0 },
    ])
  })
})

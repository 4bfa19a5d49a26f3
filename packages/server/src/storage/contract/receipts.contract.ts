import type { EventId, UserId } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import type { Storage, StreamNotification } from '../interface.js'
import type { NewReceipt } from '../receipt-store.js'
import { useStorages, type StorageHarness } from './harness.js'
import { append, createRoom, TestRoom, waitFor } from './test-room.js'

/** A room with its creator, a second member and three messages; their positions. */
async function roomWithMessages(storage: Storage): Promise<{
  room: TestRoom
  bob: UserId
  messages: { eventId: EventId; position: number }[]
}> {
  const room = new TestRoom()
  await createRoom(storage, room)
  const bob = `@bob-${room.roomId.slice(1, 9)}:test` as UserId
  await append(storage, room.member(bob, 'join'))
  const messages = []
  for (const body of ['one', 'two', 'three']) {
    const event = room.message(body)
    const outcome = await append(storage, event)
    messages.push({ eventId: event.eventId, position: outcome.streamPosition })
  }
  return { room, bob, messages }
}

export function receiptsContract(harness: StorageHarness): void {
  describe('receipts', () => {
    const { open, reopen } = useStorages(harness)

    function receipt(
      room: TestRoom,
      userId: UserId,
      at: { eventId: EventId; position: number },
      extra: Partial<NewReceipt> = {},
    ): NewReceipt {
      return {
        roomId: room.roomId,
        userId,
        receiptType: 'm.read',
        threadId: undefined,
        eventId: at.eventId,
        eventPosition: at.position,
        ts: 1_700_000_000_123,
        ...extra,
      }
    }

    it('stores a receipt at a new stream position and only moves it forward', async () => {
      const storage = await open()
      const { room, bob, messages } = await roomWithMessages(storage)
      const [one, two, three] = messages as [
        (typeof messages)[0],
        (typeof messages)[0],
        (typeof messages)[0],
      ]
      const before = await storage.streams.currentPosition()
      const first = await storage.receipts.put(receipt(room, bob, two))
      expect(first.position).toBe(before + 1)
      expect(await storage.streams.currentPosition()).toBe(before + 1)
      // The same event again, or an earlier one: nothing changes.
      expect((await storage.receipts.put(receipt(room, bob, two))).position).toBeUndefined()
      expect((await storage.receipts.put(receipt(room, bob, one))).position).toBeUndefined()
      expect(await storage.streams.currentPosition()).toBe(before + 1)
      const later = await storage.receipts.put(receipt(room, bob, three, { ts: 5 }))
      expect(later.position).toBe(before + 2)
      expect(await storage.receipts.userReceipts(room.roomId, bob)).toEqual([
        {
          roomId: room.roomId,
          userId: bob,
          receiptType: 'm.read',
          threadId: undefined,
          eventId: three.eventId,
          eventPosition: three.position,
          ts: 5,
          streamPosition: before + 2,
        },
      ])
    })

    it('keeps one receipt per type and thread, and shows private ones only to their owner', async () => {
      const storage = await open()
      const { room, bob, messages } = await roomWithMessages(storage)
      const [one, two] = messages as [(typeof messages)[0], (typeof messages)[0]]
      const start = await storage.streams.currentPosition()
      await storage.receipts.put(receipt(room, bob, one))
      await storage.receipts.put(receipt(room, bob, one, { threadId: 'main' }))
      await storage.receipts.put(receipt(room, bob, two, { threadId: '$root' }))
      await storage.receipts.put(receipt(room, bob, two, { receiptType: 'm.read.private' }))
      await storage.receipts.put(
        receipt(room, room.creator, one, { receiptType: 'm.read.private' }),
      )
      const upTo = await storage.streams.currentPosition()

      const asBob = await storage.receipts.receiptsSince([room.roomId], bob, undefined, upTo)
      expect(asBob.map((r) => [r.userId, r.receiptType, r.threadId, r.eventId])).toEqual([
        [bob, 'm.read', undefined, one.eventId],
        [bob, 'm.read', 'main', one.eventId],
        [bob, 'm.read', '$root', two.eventId],
        [bob, 'm.read.private', undefined, two.eventId],
      ])
      const asCreator = await storage.receipts.receiptsSince(
        [room.roomId],
        room.creator,
        undefined,
        upTo,
      )
      expect(asCreator.map((r) => [r.userId, r.receiptType])).toEqual([
        [bob, 'm.read'],
        [bob, 'm.read'],
        [bob, 'm.read'],
        [room.creator, 'm.read.private'],
      ])
      // Incremental: only what changed in (since, upTo].
      const recent = await storage.receipts.receiptsSince([room.roomId], bob, start + 3, upTo)
      expect(recent.map((r) => r.receiptType)).toEqual(['m.read.private'])
      expect(await storage.receipts.receiptsSince([room.roomId], bob, start, start)).toEqual([])
      expect(await storage.receipts.receiptsSince([], bob, undefined, upTo)).toEqual([])
      expect(
        await storage.receipts.receiptsSince([new TestRoom().roomId], bob, undefined, upTo),
      ).toEqual([])
    })

    it('raises the read position of the receipt’s thread to the higher receipt', async () => {
      const storage = await open()
      const { room, bob, messages } = await roomWithMessages(storage)
      const [one, two, three] = messages as [
        (typeof messages)[0],
        (typeof messages)[0],
        (typeof messages)[0],
      ]
      await storage.receipts.put(receipt(room, bob, three, { receiptType: 'm.read.private' }))
      await storage.receipts.put(receipt(room, bob, one))
      await storage.receipts.put(receipt(room, bob, two, { threadId: 'main' }))
      expect(await storage.push.readPositions(bob, room.roomId)).toEqual(
        new Map([
          ['', three.position],
          ['main', two.position],
        ]),
      )
      expect(await storage.push.readPositions(room.creator, room.roomId)).toEqual(new Map())
    })

    it('wakes the room for a public receipt and only the owner for a private one', async () => {
      const storage = await open()
      const { room, bob, messages } = await roomWithMessages(storage)
      const [one, two] = messages as [(typeof messages)[0], (typeof messages)[0]]
      // The notices of the joins may still be on their way.
      const after = await storage.streams.currentPosition()
      const heard: StreamNotification[] = []
      const unsubscribe = storage.streams.notifier.subscribe((n) => {
        if (n.userIds.includes(bob) && n.position > after) heard.push(n)
      })
      try {
        const pub = await storage.receipts.put(receipt(room, bob, one))
        const priv = await storage.receipts.put(
          receipt(room, bob, two, { receiptType: 'm.read.private' }),
        )
        await waitFor(() => heard.length === 2)
        expect(heard).toEqual([
          { position: pub.position, roomIds: [room.roomId], userIds: [bob], catchUp: false },
          { position: priv.position, roomIds: [], userIds: [bob], catchUp: false },
        ])
      } finally {
        unsubscribe()
      }
    })

    it.runIf(harness.reopen !== undefined)('survives a restart', async () => {
      const storage = await open()
      const { room, bob, messages } = await roomWithMessages(storage)
      const two = messages[1] as (typeof messages)[0]
      await storage.receipts.put(receipt(room, bob, two, { threadId: 'main' }))
      const again = await reopen(storage)
      const stored = await again.receipts.userReceipts(room.roomId, bob)
      expect(stored.map((r) => [r.threadId, r.eventId])).toEqual([['main', two.eventId]])
      expect(await again.push.readPositions(bob, room.roomId)).toEqual(
        new Map([['main', two.position]]),
      )
    })
  })
}

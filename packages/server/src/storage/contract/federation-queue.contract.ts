import type { EventId, JsonObject, RoomId, ServerName } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import type { OutboundPdu } from '../federation-queue-store.js'
import type { Storage } from '../interface.js'
import { useStorages, type StorageHarness } from './harness.js'

const remote = 'remote.example' as ServerName
const other = 'other.example:8448' as ServerName
const roomA = '!a:test' as RoomId
const roomB = '!b:test' as RoomId

function pdu(roomId: RoomId, n: number): OutboundPdu {
  const eventId = `$event${String(n)}:test` as EventId
  return {
    roomId,
    eventId,
    pdu: {
      room_id: roomId,
      type: 'm.room.message',
      depth: n,
      content: { body: `“${n}” \u{1F600}` },
    },
  }
}

function edu(n: number): JsonObject {
  return { edu_type: 'm.typing', content: { n, room_id: roomA } }
}

const draft = (
  txnId: string,
  now = 1_000,
): { txnId: string; now: number; maxPdus: number; maxEdus: number } => ({
  txnId,
  now,
  maxPdus: 50,
  maxEdus: 100,
})

async function queuePdus(
  storage: Storage,
  roomId: RoomId,
  from: number,
  to: number,
): Promise<void> {
  for (let n = from; n <= to; n++)
    await storage.federationQueue.enqueuePdu([remote], pdu(roomId, n), n)
}

export function federationQueueContract(harness: StorageHarness): void {
  describe('federation queue', () => {
    const { open, reopen, openSibling } = useStorages(harness)

    it('cuts transactions from the oldest items, at most 50 PDUs and 100 EDUs', async () => {
      const storage = await open()
      const queue = storage.federationQueue
      expect(await queue.queuedDestinations()).toEqual([])
      expect(await queue.takeTransaction(remote, draft('t0'))).toBeUndefined()
      await queuePdus(storage, roomA, 1, 60)
      for (let n = 1; n <= 120; n++) await queue.enqueueEdu([remote, other, remote], edu(n), n)
      // Queued twice for the same destination: kept once.
      await queue.enqueuePdu([remote, other], pdu(roomA, 1), 500)

      expect(await queue.queuedDestinations()).toEqual([
        { destination: other, retryLastTs: 0, retryInterval: 0 },
        { destination: remote, retryLastTs: 0, retryInterval: 0 },
      ])
      expect(await queue.status(remote)).toEqual({
        destination: remote,
        retryLastTs: 0,
        retryInterval: 0,
        catchingUp: false,
        queuedPdus: 60,
        queuedEdus: 120,
        oldestPduTs: 1,
      })

      const first = await queue.takeTransaction(remote, draft('t1', 2_000))
      expect(first?.txnId).toBe('t1')
      expect(first?.originServerTs).toBe(2_000)
      expect(first?.pdus).toEqual(Array.from({ length: 50 }, (_, i) => pdu(roomA, i + 1).pdu))
      expect(first?.edus).toEqual(Array.from({ length: 100 }, (_, i) => edu(i + 1)))
      await queue.finishTransaction(remote, 't1')

      const second = await queue.takeTransaction(remote, draft('t2'))
      expect(second?.pdus).toEqual(Array.from({ length: 10 }, (_, i) => pdu(roomA, i + 51).pdu))
      expect(second?.edus).toEqual(Array.from({ length: 20 }, (_, i) => edu(i + 101)))
      await queue.finishTransaction(remote, 't2')
      expect(await queue.takeTransaction(remote, draft('t3'))).toBeUndefined()

      // The other destination has its own queue.
      const theirs = await queue.takeTransaction(other, draft('o1'))
      expect(theirs?.pdus).toEqual([pdu(roomA, 1).pdu])
      expect(theirs?.edus.length).toBe(100)
      expect(await queue.queuedDestinations()).toEqual([
        { destination: other, retryLastTs: 0, retryInterval: 0 },
      ])
    })

    it('hands out the pending transaction unchanged until it is finished', async () => {
      const storage = await open()
      const queue = storage.federationQueue
      await queuePdus(storage, roomA, 1, 2)
      await queue.enqueueEdu([remote], edu(1), 3)
      const first = await queue.takeTransaction(remote, draft('t1', 10))
      await queuePdus(storage, roomA, 3, 4)
      const again = await queue.takeTransaction(remote, draft('ignored', 20))
      expect(again).toEqual(first)
      expect(again?.txnId).toBe('t1')
      expect(again?.originServerTs).toBe(10)

      // Another transaction's ID finishes nothing.
      await queue.finishTransaction(remote, 'ignored')
      expect(await queue.takeTransaction(remote, draft('x', 30))).toEqual(first)

      await queue.finishTransaction(remote, 't1')
      const next = await queue.takeTransaction(remote, draft('t2', 40))
      expect(next).toEqual({
        txnId: 't2',
        originServerTs: 40,
        pdus: [pdu(roomA, 3).pdu, pdu(roomA, 4).pdu],
        edus: [],
      })
    })

    it('records failures and resets them when the destination answers or is seen', async () => {
      const storage = await open()
      const queue = storage.federationQueue
      await queuePdus(storage, roomA, 1, 1)
      expect(await queue.resetRetry(remote)).toBe(false)
      await queue.recordFailure(remote, { retryLastTs: 5_000, retryInterval: 10_000 })
      expect(await queue.queuedDestinations()).toEqual([
        { destination: remote, retryLastTs: 5_000, retryInterval: 10_000 },
      ])
      expect(await queue.resetRetry(remote)).toBe(true)
      expect(await queue.resetRetry(remote)).toBe(false)
      expect((await queue.status(remote))?.retryInterval).toBe(0)

      await queue.recordFailure(remote, { retryLastTs: 6_000, retryInterval: 20_000 })
      const txn = await queue.takeTransaction(remote, draft('t1'))
      await queue.finishTransaction(remote, txn?.txnId ?? '')
      expect(await queue.status(remote)).toMatchObject({ retryLastTs: 0, retryInterval: 0 })
      expect(await queue.status('unknown.example' as ServerName)).toBeUndefined()
    })

    it('leases a destination to one owner at a time', async () => {
      const storage = await open()
      const queue = storage.federationQueue
      expect(await queue.claim(remote, 'one', 1_000, 500)).toBe(true)
      expect(await queue.claim(remote, 'two', 1_200, 500)).toBe(false)
      // The holder renews.
      expect(await queue.claim(remote, 'one', 1_400, 500)).toBe(true)
      expect(await queue.claim(remote, 'two', 1_600, 500)).toBe(false)
      // Another owner's release changes nothing.
      await queue.release(remote, 'two')
      expect(await queue.claim(remote, 'two', 1_700, 500)).toBe(false)
      // An expired lease is taken over.
      expect(await queue.claim(remote, 'two', 1_900, 500)).toBe(true)
      expect(await queue.claim(remote, 'one', 2_000, 500)).toBe(false)
      await queue.release(remote, 'two')
      expect(await queue.claim(remote, 'one', 2_000, 500)).toBe(true)
      // A lease is per destination.
      expect(await queue.claim(other, 'two', 2_000, 500)).toBe(true)
      // Leases alone queue nothing; neither does an empty list of destinations.
      await queue.enqueuePdu([], pdu(roomA, 1), 1)
      await queue.enqueueEdu([], edu(1), 1)
      expect(await queue.queuedDestinations()).toEqual([])
      expect(await queue.status(remote)).toMatchObject({ queuedPdus: 0, queuedEdus: 0 })
    })

    it('catch-up keeps the latest PDU per room, the pending transaction and the newest EDUs', async () => {
      const storage = await open()
      const queue = storage.federationQueue
      await queuePdus(storage, roomA, 1, 2)
      const pending = await queue.takeTransaction(remote, draft('t1'))
      await queuePdus(storage, roomA, 3, 5)
      await queuePdus(storage, roomB, 6, 7)
      for (let n = 1; n <= 5; n++) await queue.enqueueEdu([remote], edu(n), n)

      expect(await queue.startCatchUp(remote, 2)).toEqual({ droppedPdus: 3, droppedEdus: 3 })
      expect(await queue.status(remote)).toMatchObject({
        catchingUp: true,
        queuedPdus: 4,
        queuedEdus: 2,
      })
      // Trimming again finds nothing more to drop.
      expect(await queue.startCatchUp(remote, 2)).toEqual({ droppedPdus: 0, droppedEdus: 0 })

      // While catching up, a room's new PDU replaces its unsent one.
      await queue.enqueuePdu([remote], pdu(roomB, 8), 8)
      expect((await queue.status(remote))?.queuedPdus).toBe(4)

      expect(await queue.takeTransaction(remote, draft('t2'))).toEqual(pending)
      await queue.finishTransaction(remote, 't1')
      const rest = await queue.takeTransaction(remote, draft('t2'))
      expect(rest?.pdus).toEqual([pdu(roomA, 5).pdu, pdu(roomB, 8).pdu])
      expect(rest?.edus).toEqual([edu(4), edu(5)])
      expect((await queue.status(remote))?.catchingUp).toBe(true)
      await queue.finishTransaction(remote, 't2')
      expect(await queue.status(remote)).toMatchObject({
        catchingUp: false,
        queuedPdus: 0,
        queuedEdus: 0,
        oldestPduTs: undefined,
      })
      // Out of catch-up, PDUs of one room queue up again.
      await queuePdus(storage, roomA, 9, 10)
      expect((await queue.status(remote))?.queuedPdus).toBe(2)
    })

    it('keeps the queue and the pending transaction across a restart', async () => {
      if (harness.reopen === undefined) return
      const storage = await open()
      await queuePdus(storage, roomA, 1, 3)
      await storage.federationQueue.enqueueEdu([remote], edu(1), 4)
      await storage.federationQueue.recordFailure(remote, { retryLastTs: 9, retryInterval: 99 })
      const pending = await storage.federationQueue.takeTransaction(remote, {
        ...draft('t1'),
        maxPdus: 2,
      })
      const again = await reopen(storage)
      expect(await again.federationQueue.queuedDestinations()).toEqual([
        { destination: remote, retryLastTs: 9, retryInterval: 99 },
      ])
      expect(await again.federationQueue.takeTransaction(remote, draft('t2'))).toEqual(pending)
      await again.federationQueue.finishTransaction(remote, 't1')
      expect((await again.federationQueue.takeTransaction(remote, draft('t2')))?.pdus).toEqual([
        pdu(roomA, 3).pdu,
      ])
    })

    it.runIf(harness.openSibling !== undefined)(
      'processes racing for a destination: one lease each time',
      async () => {
        const one = await open()
        const two = await openSibling(one)
        for (let round = 0; round < 10; round++) {
          const now = 10_000 * (round + 1)
          const results = await Promise.all(
            [one, two, one, two].map((storage, i) =>
              storage.federationQueue.claim(remote, `owner${String(i)}`, now, 5_000),
            ),
          )
          expect(results.filter(Boolean).length).toBe(1)
        }
      },
    )
  })
}

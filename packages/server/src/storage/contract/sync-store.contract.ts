import type { EventId, RoomId, UserId } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import { useStorages, type StorageHarness } from './harness.js'
import { append, createRoom, TestRoom } from './test-room.js'

const user = (name: string): UserId => `@${name}:test` as UserId

export function syncStoreContract(harness: StorageHarness): void {
  describe('sync store', () => {
    const { open } = useStorages(harness)

    it('roomsWithEventsSince names the rooms with visible events in the range', async () => {
      const storage = await open()
      const quiet = new TestRoom()
      const busy = new TestRoom()
      const rejectedOnly = new TestRoom()
      for (const room of [quiet, busy, rejectedOnly]) await createRoom(storage, room)
      const since = await storage.streams.currentPosition()
      await append(storage, busy.message('news'))
      await append(storage, rejectedOnly.message('refused'), { rejectionReason: 'no power' })
      const upTo = await storage.streams.currentPosition()
      await append(storage, quiet.message('too late'))

      const rooms = [quiet.roomId, busy.roomId, rejectedOnly.roomId, '!unknown:test' as RoomId]
      expect(await storage.sync.roomsWithEventsSince(rooms, since, upTo)).toEqual(
        new Set([busy.roomId]),
      )
      expect(
        await storage.sync.roomsWithEventsSince(
          rooms,
          since,
          await storage.streams.currentPosition(),
        ),
      ).toEqual(new Set([busy.roomId, quiet.roomId]))
      // The bounds: exclusive below, inclusive above.
      expect(await storage.sync.roomsWithEventsSince(rooms, upTo, upTo)).toEqual(new Set())
      expect(await storage.sync.roomsWithEventsSince([busy.roomId, busy.roomId], 0, upTo)).toEqual(
        new Set([busy.roomId]),
      )
      expect(await storage.sync.roomsWithEventsSince([], 0, upTo)).toEqual(new Set())
    })

    it('memberSummary counts members and names heroes in membership order', async () => {
      const storage = await open()
      const room = new TestRoom('@alice:test')
      await createRoom(storage, room)
      await append(storage, room.member('@carol:test', 'join'))
      await append(storage, room.member('@bob:test', 'invite'))
      await append(storage, room.member('@dave:test', 'join'))
      await append(storage, room.member('@erin:test', 'leave'))
      await append(storage, room.member('@frank:test', 'ban'))
      await append(storage, room.member('@gina:test', 'knock'))

      expect(await storage.sync.memberSummary(room.roomId, user('alice'), 5)).toEqual({
        joined: 3,
        invited: 1,
        heroes: [user('carol'), user('bob'), user('dave')],
      })
      expect(await storage.sync.memberSummary(room.roomId, user('carol'), 2)).toEqual({
        joined: 3,
        invited: 1,
        heroes: [user('alice'), user('bob')],
      })
      // A profile change moves a member to the end of the order.
      await append(storage, room.member('@carol:test', 'join'))
      expect((await storage.sync.memberSummary(room.roomId, user('alice'), 5)).heroes).toEqual([
        user('bob'),
        user('dave'),
        user('carol'),
      ])
    })

    it('memberSummary falls back to departed members, and knows empty rooms', async () => {
      const storage = await open()
      const room = new TestRoom('@alice:test')
      await createRoom(storage, room)
      await append(storage, room.member('@bob:test', 'join'))
      await append(storage, room.member('@bob:test', 'leave'))
      await append(storage, room.member('@carol:test', 'ban'))
      expect(await storage.sync.memberSummary(room.roomId, user('alice'), 5)).toEqual({
        joined: 1,
        invited: 0,
        heroes: [user('bob'), user('carol')],
      })
      expect(await storage.sync.memberSummary('!none:test' as RoomId, user('alice'), 5)).toEqual({
        joined: 0,
        invited: 0,
        heroes: [],
      })
    })

    it('transactionIds finds the transactions of one device only', async () => {
      const storage = await open()
      const room = new TestRoom('@alice:test')
      await createRoom(storage, room)
      const first = room.message('one')
      const second = room.message('two')
      const other = room.message('three')
      await append(storage, first, {
        txn: { userId: user('alice'), deviceId: 'PHONE', txnId: 'a1' },
      })
      await append(storage, second, {
        txn: { userId: user('alice'), deviceId: 'PHONE', txnId: 'a2' },
      })
      await append(storage, other, {
        txn: { userId: user('alice'), deviceId: 'LAPTOP', txnId: 'a1' },
      })
      const ids = [first.eventId, second.eventId, other.eventId, '$missing' as EventId]
      expect(await storage.sync.transactionIds(user('alice'), 'PHONE', ids)).toEqual(
        new Map([
          [first.eventId, 'a1'],
          [second.eventId, 'a2'],
        ]),
      )
      expect(await storage.sync.transactionIds(user('alice'), 'LAPTOP', ids)).toEqual(
        new Map([[other.eventId, 'a1']]),
      )
      expect(await storage.sync.transactionIds(user('bob'), 'PHONE', ids)).toEqual(new Map())
      expect(await storage.sync.transactionIds(user('alice'), 'PHONE', [])).toEqual(new Map())
    })
  })
}

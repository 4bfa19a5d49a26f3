import { canonicalJson, type UserId } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import type { StreamNotification } from '../interface.js'
import { useStorages, type StorageHarness } from './harness.js'
import { append, createRoom, TestRoom, waitFor } from './test-room.js'

export function durabilityContract(harness: StorageHarness): void {
  describe('atomicity and durability', () => {
    const { open, reopen } = useStorages(harness)

    it('a write that fails mid-transaction leaves nothing behind', async () => {
      const storage = await open()
      const room = new TestRoom()
      await createRoom(storage, room)
      const before = {
        position: await storage.streams.currentPosition(),
        state: [...(await storage.rooms.getCurrentState(room.roomId))],
        room: await storage.rooms.getRoom(room.roomId),
        members: await storage.rooms.joinedMembers(room.roomId),
      }
      const heard: StreamNotification[] = []
      const stop = storage.streams.notifier.subscribe((n) => {
        // Earlier writes' notifications may arrive late (PostgreSQL): keep later positions only.
        if (n.roomIds.includes(room.roomId) && n.position > before.position) heard.push(n)
      })
      const bob = '@bob:test'
      const doomed = room.member(bob, 'join')
      const txn = { userId: bob as UserId, deviceId: 'D', txnId: 't1' }
      // Failure before the stream position is taken: the extremity list names the event twice,
      // which the primary key refuses after the transaction ID, the state groups and the current
      // state were written.
      await expect(
        append(storage, doomed, { newForwardExtremities: [doomed.eventId, doomed.eventId], txn }),
      ).rejects.toThrow(/forward_extremities/)
      // Failure after it: a depth that is not an integer is refused by the event row's column.
      await expect(append(storage, { ...doomed, depth: 1.5 }, { txn })).rejects.toThrow(
        /INTEGER|bigint/,
      )
      expect(await storage.events.getEvent(doomed.eventId)).toBeUndefined()
      expect(await storage.events.getEventByTxn(bob as UserId, 'D', 't1')).toBeUndefined()
      expect(await storage.streams.currentPosition()).toBe(before.position)
      expect([...(await storage.rooms.getCurrentState(room.roomId))]).toEqual(before.state)
      expect(await storage.rooms.getRoom(room.roomId)).toEqual(before.room)
      expect(await storage.rooms.joinedMembers(room.roomId)).toEqual(before.members)
      expect(await storage.rooms.getMembership(room.roomId, bob as UserId)).toBeUndefined()
      const extremities = await storage.withRoomWriteLock(room.roomId, (w) =>
        w.getForwardExtremities(),
      )
      expect(extremities.map((e) => e.eventId)).not.toContain(doomed.eventId)

      // The room carries on: the same event and transaction go through, at the next position.
      const retried = await append(storage, doomed, { txn })
      expect(retried.kind).toBe('inserted')
      expect(retried.streamPosition).toBe(before.position + 1)
      expect(await storage.rooms.joinedMembers(room.roomId)).toContain(bob)
      const state = await storage.state.loadState(retried.stateGroupAfter)
      expect(state.get('m.room.member', bob)).toBe(doomed.eventId)
      // Notifications arrive in commit order: the failed writes, which never committed, sent none.
      await waitFor(() => heard.length > 0)
      stop()
      expect(heard.map((n) => n.position)).toEqual([before.position + 1])
    })

    it('strings that look like SQL are stored as data', async () => {
      const storage = await open()
      const nasty = "'); DROP TABLE events; --"
      const room = new TestRoom()
      await createRoom(storage, room)
      const event = room.state(nasty, nasty, { body: nasty })
      await append(storage, event)
      expect((await storage.events.getEvent(event.eventId))?.json).toBe(canonicalJson(event.json))
      expect((await storage.rooms.getCurrentState(room.roomId)).get(nasty, nasty)).toBe(
        event.eventId,
      )
      const page = await storage.events.roomTimeline(room.roomId, {
        direction: 'b',
        limit: 5,
        filter: { types: [`${nasty}*`] },
      })
      expect(page.events.map((e) => e.pdu.eventId)).toEqual([event.eventId])
      const user = `@${nasty.replace(/[^a-z]/g, '')}:test` as UserId
      await storage.accounts.createUser({ userId: user, passwordHash: nasty, createdTs: 1 })
      expect((await storage.accounts.getUser(user))?.passwordHash).toBe(nasty)
    })

    it.runIf(harness.reopen !== undefined)(
      'everything committed is there after the database is reopened',
      async () => {
        const storage = await open()
        const room = new TestRoom()
        await createRoom(storage, room)
        const message = room.message('durable')
        const sent = await append(storage, message, {
          txn: { userId: room.creator, deviceId: 'D', txnId: 'x' },
        })
        await storage.accounts.createUser({ userId: room.creator, passwordHash: 'h', createdTs: 5 })
        await storage.accounts.createDevice({ userId: room.creator, deviceId: 'D', createdTs: 6 })
        await storage.accounts.createAccessToken({
          tokenHash: 'th',
          userId: room.creator,
          deviceId: 'D',
          createdTs: 7,
        })
        const dataPosition = await storage.accountData.set(room.creator, undefined, 'x.y', { v: 1 })
        const filterId = await storage.filters.create(room.creator, { f: 1 })
        const state = [...(await storage.rooms.getCurrentState(room.roomId))]

        const again = await reopen(storage)
        expect(await again.streams.currentPosition()).toBe(dataPosition)
        expect((await again.events.getEvent(message.eventId))?.json).toBe(
          canonicalJson(message.json),
        )
        expect((await again.events.getEventByTxn(room.creator, 'D', 'x'))?.pdu.eventId).toBe(
          sent.eventId,
        )
        expect([...(await again.rooms.getCurrentState(room.roomId))]).toEqual(state)
        expect(await again.rooms.joinedMembers(room.roomId)).toEqual([room.creator])
        expect((await again.accounts.lookupAccessToken('th'))?.userId).toBe(room.creator)
        expect(await again.accountData.get(room.creator, undefined, 'x.y')).toEqual({ v: 1 })
        expect(await again.filters.get(room.creator, filterId)).toEqual({ f: 1 })
        const next = await append(again, room.message('after reopen'))
        expect(next.streamPosition).toBe(dataPosition + 1)
        expect(
          (await again.withRoomWriteLock(room.roomId, (w) => w.getForwardExtremities())).map(
            (e) => e.eventId,
          ),
        ).toEqual([next.eventId])
      },
    )
  })
}

import type { EventId } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import type { Storage, StreamNotification } from '../interface.js'
import { useStorages, type StorageHarness } from './harness.js'
import { append, createRoom, sleep, TestRoom, waitFor } from './test-room.js'

/**
 * Several server processes on one database, played by several Storage instances (each with its
 * own pool, cache, in-process locks and listener). Only for dialects that serve more than one
 * process.
 */
export function multiProcessContract(harness: StorageHarness): void {
  describe.runIf(harness.openSibling !== undefined)('several processes on one database', () => {
    const { open, openSibling } = useStorages(harness)

    it('concurrent writes from two processes get gap-free positions in commit order', async () => {
      const one = await open()
      const two = await openSibling(one)
      const rooms = [new TestRoom(), new TestRoom(), new TestRoom(), new TestRoom()]
      for (const room of rooms) await createRoom(one, room)
      const roomIds = rooms.map((r) => r.roomId)
      const violations: string[] = []
      const progress = { writing: true }
      // A reader in each process: whatever position it sees, every position up to it has its data.
      const readers = [one, two].map(async (storage) => {
        while (progress.writing) {
          const position = await storage.streams.currentPosition()
          const events = await storage.events.eventsSince(roomIds, {
            since: undefined,
            upTo: position,
            limitPerRoom: 10_000,
          })
          const count = [...events.values()].reduce((sum, room) => sum + room.events.length, 0)
          if (count !== position) violations.push(`position ${position}, ${count} events`)
        }
      })
      await Promise.all(
        rooms.map(async (room, index) => {
          const storage = index % 2 === 0 ? one : two
          for (let i = 0; i < 20; i++) await append(storage, room.message(`${index}/${i}`))
        }),
      )
      progress.writing = false
      await Promise.all(readers)
      expect(violations).toEqual([])
      const final = await two.streams.currentPosition()
      expect(final).toBe(8 + 4 * 20)
      const all = await one.events.eventsSince(roomIds, {
        since: undefined,
        upTo: final,
        limitPerRoom: 1000,
      })
      const positions = [...all.values()].flatMap((r) => r.events.map((e) => e.streamPosition))
      expect(positions.sort((a, b) => (a ?? 0) - (b ?? 0))).toEqual(
        Array.from({ length: final }, (_, i) => i + 1),
      )
    })

    it('the room write lock excludes the other process', async () => {
      const one = await open()
      const two = await openSibling(one)
      const room = new TestRoom()
      await createRoom(one, room)
      const log: string[] = []
      let oneHolds = false
      const first = one.withRoomWriteLock(room.roomId, async () => {
        oneHolds = true
        log.push('one in')
        await sleep(300)
        log.push('one out')
      })
      await waitFor(() => oneHolds)
      const second = two.withRoomWriteLock(room.roomId, () => {
        log.push('two in')
        return Promise.resolve()
      })
      // Another room is not held up.
      const other = new TestRoom()
      await createRoom(two, other)
      log.push('other room written')
      await Promise.all([first, second])
      expect(log).toEqual(['one in', 'other room written', 'one out', 'two in'])
    })

    it('two processes appending to one room build a single chain', async () => {
      const one = await open()
      const two = await openSibling(one)
      const room = new TestRoom()
      await createRoom(one, room)
      // Each append reads the extremities and the current state, then persists on top of them:
      // without the cross-process lock, two appends would share a parent and fork the room.
      const appendOnTop = (storage: Storage, body: string): Promise<EventId> =>
        storage.withRoomWriteLock(room.roomId, async (writer) => {
          const [tip] = await writer.getForwardExtremities()
          const group = await writer.getCurrentStateGroup()
          if (tip === undefined || group === undefined) throw new Error('room has no tip')
          const event = room.event({
            type: 'm.room.message',
            content: { body },
            prev: [tip.eventId],
          })
          await sleep(2)
          await writer.persistEvent({
            pdu: event,
            stateBefore: { group },
            newForwardExtremities: [event.eventId],
            currentState: 'advance',
          })
          return event.eventId
        })
      await Promise.all(
        Array.from({ length: 12 }, (_, i) => appendOnTop(i % 2 === 0 ? one : two, `m${i}`)),
      )
      const page = await one.events.roomTimeline(room.roomId, { direction: 'f', limit: 100 })
      const events = page.events
      expect(events).toHaveLength(14)
      for (let i = 1; i < events.length; i++) {
        expect(events[i]?.pdu.prevEvents).toEqual([events[i - 1]?.pdu.eventId])
      }
    })

    it('a write in one process wakes listeners in the other', async () => {
      const one = await open()
      const two = await openSibling(one)
      const room = new TestRoom()
      const heard: StreamNotification[] = []
      const stop = two.streams.notifier.subscribe((n) => {
        if (n.roomIds.includes(room.roomId) || n.userIds.includes(room.creator)) heard.push(n)
      })
      const [, join] = await createRoom(one, room)
      const data = await one.accountData.set(room.creator, undefined, 'x.y', {})
      await waitFor(() => heard.length >= 3)
      stop()
      expect(heard.map((n) => n.position)).toEqual([
        (join?.streamPosition ?? 0) - 1,
        join?.streamPosition,
        data,
      ])
      // The listener's process reads the data it was woken for.
      expect(await two.rooms.joinedMembers(room.roomId)).toEqual([room.creator])
    })

    it('a transaction ID retried through the other process returns the first event', async () => {
      const one = await open()
      const two = await openSibling(one)
      const room = new TestRoom()
      await createRoom(one, room)
      const txn = { userId: room.creator, deviceId: 'D', txnId: 'same' }
      const [a, b] = await Promise.all([
        append(one, room.message('via one'), { txn }),
        append(two, room.message('via two'), { txn }),
      ])
      expect([a.kind, b.kind].sort()).toEqual(['duplicate', 'inserted'])
      expect(a.eventId).toBe(b.eventId)
    })

    it('state groups written by one process load in the other', async () => {
      const one = await open()
      const two = await openSibling(one)
      const room = new TestRoom()
      await createRoom(one, room)
      const topic = await append(one, room.state('m.room.topic', '', { topic: 't' }))
      const state = await two.state.loadState(topic.stateGroupAfter)
      expect(state.size).toBe(3)
      const membership = await two.rooms.getMembership(room.roomId, room.creator)
      expect(membership?.membership).toBe('join')
      expect(await two.rooms.getRoom(room.roomId)).toBeDefined()
    })
  })
}

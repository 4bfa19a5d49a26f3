import type { RoomId, UserId } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import type { Storage, StreamNotification } from '../interface.js'
import { useStorages, type StorageHarness } from './harness.js'
import { append, createRoom, TestRoom, waitFor } from './test-room.js'

/** Everything a reader can see up to `upTo`, by stream position. */
async function visiblePositions(
  storage: Storage,
  roomIds: readonly RoomId[],
  userId: UserId,
  upTo: number,
): Promise<number[]> {
  const events = await storage.events.eventsSince(roomIds, {
    since: undefined,
    upTo,
    limitPerRoom: 100_000,
  })
  const positions = [...events.values()].flatMap((room) =>
    room.events.map((e) => e.streamPosition ?? -1),
  )
  for (const data of await storage.accountData.changesSince(userId, undefined, upTo)) {
    positions.push(data.streamPosition)
  }
  return positions.sort((a, b) => a - b)
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1)

export function streamsContract(harness: StorageHarness): void {
  describe('stream positions and notifications', () => {
    const { open } = useStorages(harness)

    it('starts at 0 and gives each write the next position, events and account data alike', async () => {
      const storage = await open()
      expect(await storage.streams.currentPosition()).toBe(0)
      const room = new TestRoom()
      const outcomes = await createRoom(storage, room)
      const data = await storage.accountData.set(room.creator, undefined, 'm.push_rules', {})
      const message = await append(storage, room.message('m'))
      expect([...outcomes.map((o) => o.streamPosition), data, message.streamPosition]).toEqual([
        1, 2, 3, 4,
      ])
      expect(await storage.streams.currentPosition()).toBe(4)
    })

    it('concurrent writes to different rooms get unique, gap-free positions, and a reader never sees a position before its data', async () => {
      const storage = await open()
      const rooms = [new TestRoom(), new TestRoom(), new TestRoom(), new TestRoom()]
      const userId = '@alice:test' as UserId
      for (const room of rooms) await createRoom(storage, room)
      const roomIds = rooms.map((r) => r.roomId)
      const progress = { writing: true }
      const violations: string[] = []
      const reader = (async () => {
        while (progress.writing) {
          const position = await storage.streams.currentPosition()
          const seen = await visiblePositions(storage, roomIds, userId, position)
          // Every position up to the one the reader saw has its data, and nothing else is there.
          if (seen.join() !== range(position).join()) {
            violations.push(`at ${position} saw ${seen.length} items`)
          }
        }
      })()
      const writers = rooms.map(async (room, index) => {
        for (let i = 0; i < 15; i++) {
          await append(storage, room.message(`r${index} m${i}`))
          if (i % 5 === 0) await storage.accountData.set(userId, room.roomId, `x.tag.${i}`, { i })
        }
      })
      await Promise.all(writers)
      progress.writing = false
      await reader
      expect(violations).toEqual([])
      const final = await storage.streams.currentPosition()
      expect(final).toBe(8 + 4 * 15 + 4 * 3)
      expect(await visiblePositions(storage, roomIds, userId, final)).toEqual(range(final))
    })

    it('notifies after commit, naming the room and the users whose membership changed', async () => {
      const storage = await open()
      const room = new TestRoom()
      await createRoom(storage, room)
      const bob = `@bob-${room.roomId.slice(1, 9)}:test` as UserId
      // Notifications of earlier writes may still be on their way (PostgreSQL delivers them
      // asynchronously): only later positions are this test's.
      const start = await storage.streams.currentPosition()
      const seen: StreamNotification[] = []
      const visibleWhenNotified: boolean[] = []
      const stop = storage.streams.notifier.subscribe((notification) => {
        // Other databases' writes may share the channel (PostgreSQL): keep this test's own.
        if (notification.position <= start) return
        if (!notification.roomIds.includes(room.roomId) && !notification.userIds.includes(bob))
          return
        seen.push(notification)
        // By the time a waiter wakes, the data must be readable.
        void storage.streams.currentPosition().then((position) => {
          visibleWhenNotified.push(position >= notification.position)
        })
      })
      const join = await append(storage, room.member(bob, 'join'))
      const message = await append(storage, room.message('hello'))
      const data = await storage.accountData.set(bob, undefined, 'x.y', { a: 1 })
      await waitFor(() => seen.length >= 3 && visibleWhenNotified.length >= 3)
      stop()
      expect(seen).toEqual([
        { position: join.streamPosition, roomIds: [room.roomId], userIds: [bob], catchUp: false },
        { position: message.streamPosition, roomIds: [room.roomId], userIds: [], catchUp: false },
        { position: data, roomIds: [], userIds: [bob], catchUp: false },
      ])
      expect(visibleWhenNotified.every(Boolean)).toBe(true)
    })

    it('a duplicate persist notifies no one, and an unsubscribed listener hears nothing', async () => {
      const storage = await open()
      const room = new TestRoom()
      await createRoom(storage, room)
      const message = room.message('once')
      await append(storage, message)
      const first: number[] = []
      const second: number[] = []
      const start = await storage.streams.currentPosition()
      const ours = (sink: number[]) => (n: StreamNotification) => {
        if (n.roomIds.includes(room.roomId) && n.position > start) sink.push(n.position)
      }
      const stopFirst = storage.streams.notifier.subscribe(ours(first))
      await append(storage, message)
      const marker = await append(storage, room.message('marker'))
      // Notifications arrive in commit order: once the marker is here, a duplicate's would be too.
      await waitFor(() => first.includes(marker.streamPosition))
      expect(first).toEqual([marker.streamPosition])
      stopFirst()
      const stopSecond = storage.streams.notifier.subscribe(ours(second))
      const last = await append(storage, room.message('after unsubscribe'))
      await waitFor(() => second.includes(last.streamPosition))
      stopSecond()
      expect(first).toEqual([marker.streamPosition])
    })
  })
}

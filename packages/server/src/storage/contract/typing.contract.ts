import type { RoomId, UserId } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import type { Storage, StreamNotification } from '../interface.js'
import type { TypingNotice } from '../typing-store.js'
import { useStorages, type StorageHarness } from './harness.js'
import { append, createRoom, TestRoom, waitFor } from './test-room.js'

const NOW = 1_700_000_000_000

/** A room with its creator and a second user joined. */
async function roomWithTwo(storage: Storage): Promise<{ room: TestRoom; bob: UserId }> {
  const room = new TestRoom()
  await createRoom(storage, room)
  const bob = room.creator.replace('@alice', '@bob') as UserId
  await append(storage, room.member(bob, 'join'))
  return { room, bob }
}

/**
 * Notifications that name `roomId` past `after` (other tests may share the PostgreSQL channel,
 * and the notice of a commit made before subscribing may still be on its way).
 */
function listen(
  storage: Storage,
  roomId: RoomId,
  after: number,
): { heard: StreamNotification[]; stop: () => void } {
  const heard: StreamNotification[] = []
  const stop = storage.streams.notifier.subscribe((n) => {
    if (n.roomIds.includes(roomId) && n.position > after) heard.push(n)
  })
  return { heard, stop }
}

function byRoom(a: TypingNotice, b: TypingNotice): number {
  return a.roomId < b.roomId ? -1 : a.roomId > b.roomId ? 1 : 0
}

export function typingContract(harness: StorageHarness): void {
  describe('typing notices', () => {
    const { open, openSibling } = useStorages(harness)

    it('a start and a stop each take a stream position and wake the room', async () => {
      const storage = await open()
      const { room, bob } = await roomWithTwo(storage)
      const before = await storage.streams.currentPosition()
      const { heard, stop } = listen(storage, room.roomId, before)
      const started = await storage.typing.setTyping(room.roomId, bob, NOW + 30_000, NOW)
      expect(started).toBe(before + 1)
      expect(await storage.streams.currentPosition()).toBe(before + 1)
      await waitFor(() => heard.length === 1)
      expect(heard[0]).toEqual({
        position: before + 1,
        roomIds: [room.roomId],
        userIds: [],
        catchUp: false,
      })

      const initial = await storage.typing.typingSince([room.roomId], undefined, before + 1, NOW)
      expect(initial).toEqual(new Map([[room.roomId, [bob]]]))
      const delta = await storage.typing.typingSince([room.roomId], before, before + 1, NOW)
      expect(delta).toEqual(new Map([[room.roomId, [bob]]]))
      // Nothing changed after the start.
      expect(await storage.typing.typingSince([room.roomId], before + 1, before + 1, NOW)).toEqual(
        new Map(),
      )

      const stopped = await storage.typing.setTyping(room.roomId, bob, undefined, NOW + 1000)
      expect(stopped).toBe(before + 2)
      await waitFor(() => heard.length === 2)
      // The room changed, and nobody types in it now.
      expect(
        await storage.typing.typingSince([room.roomId], before + 1, before + 2, NOW + 1000),
      ).toEqual(new Map([[room.roomId, []]]))
      expect(await storage.typing.typingSince([room.roomId], undefined, before + 2, NOW)).toEqual(
        new Map(),
      )
      stop()
    })

    it('refreshing a running notice and stopping a stopped one move nothing', async () => {
      const storage = await open()
      const { room, bob } = await roomWithTwo(storage)
      const first = await storage.typing.setTyping(room.roomId, bob, NOW + 10_000, NOW)
      expect(first).toBeDefined()
      const position = await storage.streams.currentPosition()
      expect(await storage.typing.setTyping(room.roomId, bob, NOW + 40_000, NOW + 5000)).toBe(
        undefined,
      )
      expect(await storage.streams.currentPosition()).toBe(position)
      // The refresh moved the expiry: still typing after the first one would have ended.
      const later = await storage.typing.typingSince(
        [room.roomId],
        undefined,
        position,
        NOW + 20_000,
      )
      expect(later.get(room.roomId)).toEqual([bob])
      expect(await storage.typing.nextExpiry()).toBe(NOW + 40_000)

      expect(await storage.typing.setTyping(room.roomId, bob, undefined, NOW + 6000)).toBe(
        position + 1,
      )
      expect(await storage.typing.setTyping(room.roomId, bob, undefined, NOW + 7000)).toBe(
        undefined,
      )
      const other = new TestRoom()
      await createRoom(storage, other)
      const afterRoom = await storage.streams.currentPosition()
      expect(await storage.typing.setTyping(other.roomId, bob, undefined, NOW)).toBe(undefined)
      expect(await storage.streams.currentPosition()).toBe(afterRoom)
      expect(await storage.typing.nextExpiry()).toBe(undefined)
    })

    it('an expired notice is gone at once, and expire() announces it once', async () => {
      const storage = await open()
      const { room, bob } = await roomWithTwo(storage)
      await storage.typing.setTyping(room.roomId, room.creator, NOW + 60_000, NOW)
      const started = await storage.typing.setTyping(room.roomId, bob, NOW + 1000, NOW)
      expect(started).toBeDefined()
      const upTo = await storage.streams.currentPosition()
      // Past bob's expiry, before any sweep: only alice is left.
      const read = await storage.typing.typingSince([room.roomId], undefined, upTo, NOW + 1000)
      expect(read.get(room.roomId)).toEqual([room.creator])

      expect(await storage.typing.expire(NOW + 999)).toEqual([])
      expect(await storage.streams.currentPosition()).toBe(upTo)
      const { heard, stop } = listen(storage, room.roomId, upTo)
      expect(await storage.typing.expire(NOW + 1000)).toEqual([
        { roomId: room.roomId, userId: bob },
      ])
      expect(await storage.streams.currentPosition()).toBe(upTo + 1)
      await waitFor(() => heard.length === 1)
      expect(heard[0]?.position).toBe(upTo + 1)
      expect(await storage.typing.expire(NOW + 2000)).toEqual([])
      expect(await storage.typing.typingSince([room.roomId], upTo, upTo + 1, NOW + 2000)).toEqual(
        new Map([[room.roomId, [room.creator]]]),
      )
      expect(await storage.typing.nextExpiry()).toBe(NOW + 60_000)
      // A start after the expiry is news again.
      expect(await storage.typing.setTyping(room.roomId, bob, NOW + 9000, NOW + 3000)).toBe(
        upTo + 2,
      )
      stop()
    })

    it('lists only users still joined, and only the rooms asked about', async () => {
      const storage = await open()
      const { room, bob } = await roomWithTwo(storage)
      const other = new TestRoom()
      await createRoom(storage, other)
      await storage.typing.setTyping(room.roomId, bob, NOW + 30_000, NOW)
      await storage.typing.setTyping(other.roomId, other.creator, NOW + 30_000, NOW)
      let upTo = await storage.streams.currentPosition()
      expect(await storage.typing.typingSince([room.roomId], undefined, upTo, NOW)).toEqual(
        new Map([[room.roomId, [bob]]]),
      )
      expect(await storage.typing.typingSince([], undefined, upTo, NOW)).toEqual(new Map())
      await append(storage, room.member(bob, 'leave'))
      upTo = await storage.streams.currentPosition()
      expect(await storage.typing.typingSince([room.roomId], undefined, upTo, NOW)).toEqual(
        new Map(),
      )
    })

    describe.runIf(harness.openSibling !== undefined)('across processes', () => {
      it('a notice set in one process shows and wakes in another', async () => {
        const one = await open()
        const two = await openSibling(one)
        const { room, bob } = await roomWithTwo(one)
        const { heard, stop } = listen(two, room.roomId, 0)
        const position = await one.typing.setTyping(room.roomId, bob, NOW + 30_000, NOW)
        await waitFor(() => heard.some((n) => n.position === position))
        const upTo = await two.streams.currentPosition()
        expect(await two.typing.typingSince([room.roomId], undefined, upTo, NOW)).toEqual(
          new Map([[room.roomId, [bob]]]),
        )
        stop()
      })

      it('two processes sweeping at once announce an expiry once', async () => {
        const one = await open()
        const two = await openSibling(one)
        const rooms = await Promise.all([roomWithTwo(one), roomWithTwo(one), roomWithTwo(one)])
        for (const { room, bob } of rooms) {
          await one.typing.setTyping(room.roomId, bob, NOW + 100, NOW)
        }
        const before = await one.streams.currentPosition()
        const swept = await Promise.all([
          one.typing.expire(NOW + 200),
          two.typing.expire(NOW + 200),
        ])
        // Each notice's expiry announced by exactly one of them.
        expect(swept.flat().sort(byRoom)).toEqual(
          rooms.map(({ room, bob }) => ({ roomId: room.roomId, userId: bob })).sort(byRoom),
        )
        const after = await one.streams.currentPosition()
        expect(after - before).toBe(swept.filter((list) => list.length > 0).length)
      })
    })
  })
}

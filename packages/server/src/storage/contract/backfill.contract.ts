import type { EventId, Pdu, RoomId } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import type { StateEntry, Storage, StreamNotification } from '../interface.js'
import { useStorages, type StorageHarness } from './harness.js'
import { append, TestRoom, waitFor } from './test-room.js'

/**
 * History fetched from other servers: stored below the timeline the room already has, in order,
 * without moving the room forward or waking /sync.
 */
export function backfillContract(harness: StorageHarness): void {
  describe('backfilled history', () => {
    const { open } = useStorages(harness)

    it('reserves blocks of positions below zero, each below the last', async () => {
      const storage = await open()
      const room = new TestRoom()
      const first = await storage.withRoomWriteLock(room.roomId, (w) =>
        w.reserveBackfillPositions(3),
      )
      const second = await storage.withRoomWriteLock(room.roomId, (w) =>
        w.reserveBackfillPositions(2),
      )
      expect(first + 2).toBeLessThan(0)
      expect(second + 1).toBeLessThan(first)
    })

    it('stores history below the timeline, leaving the room and /sync as they were', async () => {
      const storage = await open()
      const room = new TestRoom()
      const bob = '@bob-backfill:test'
      const create = room.create()
      const aliceJoin = room.member(room.creator, 'join')
      const h1 = room.message('history 1')
      const h2 = room.message('history 2')
      const bobJoin = room.member(bob, 'join')
      const joinedAt = await joinAfterwards(storage, room.roomId, [create, aliceJoin], bobJoin)
      const notifications: StreamNotification[] = []
      const unsubscribe = storage.streams.notifier.subscribe((n) => notifications.push(n))
      try {
        const state: StateEntry[] = [
          ['m.room.create', '', create.eventId],
          ['m.room.member', room.creator, aliceJoin.eventId],
        ]
        const lowest = await storage.withRoomWriteLock(room.roomId, async (w) => {
          const block = await w.reserveBackfillPositions(4)
          let before: { group: number } | undefined
          // Oldest first, the outliers among them becoming timeline events.
          for (const [i, pdu] of [create, aliceJoin, h1, h2].entries()) {
            const outcome = await w.persistEvent({
              pdu,
              stateBefore: before ?? {
                base: undefined,
                delta: { set: i === 0 ? [] : state, remove: [] },
              },
              newForwardExtremities: [],
              currentState: 'keep',
              backfillPosition: block + i,
            })
            expect(outcome.streamPosition).toBe(block + i)
            before = { group: outcome.stateGroupAfter }
          }
          return block
        })
        const page = await storage.events.roomTimeline(room.roomId, {
          direction: 'b',
          from: await storage.streams.currentPosition(),
          limit: 10,
        })
        expect(page.events.map((e) => e.pdu.eventId)).toEqual([
          bobJoin.eventId,
          h2.eventId,
          h1.eventId,
          aliceJoin.eventId,
          create.eventId,
        ])
        const oldest = await storage.events.roomTimeline(room.roomId, { direction: 'f', limit: 1 })
        expect(oldest.events[0]?.streamPosition).toBe(lowest)
        const h2Stored = await storage.events.getEvent(h2.eventId)
        const after = await storage.state.loadState(h2Stored?.stateGroupAfter ?? -1)
        expect(after.get('m.room.member', room.creator)).toBe(aliceJoin.eventId)
        expect(after.get('m.room.member', bob)).toBeUndefined()

        // The room did not move: extremities, current state, what /sync reports.
        const extremities = await storage.withRoomWriteLock(room.roomId, (w) =>
          w.getForwardExtremities(),
        )
        expect(extremities.map((e) => e.eventId)).toEqual([bobJoin.eventId])
        expect((await storage.rooms.getCurrentState(room.roomId)).get('m.room.member', bob)).toBe(
          bobJoin.eventId,
        )
        const since = await storage.events.eventsSince([room.roomId], {
          since: joinedAt,
          upTo: await storage.streams.currentPosition(),
          limitPerRoom: 10,
        })
        expect(since.get(room.roomId)).toBeUndefined()
        // Nothing woke up for the history: the next wake-up of the room is the next new event.
        const next = room.message('new')
        const appended = await append(storage, next, {
          stateBefore: {
            group: (await storage.events.getEvent(bobJoin.eventId))?.stateGroupAfter ?? -1,
          },
        })
        await waitFor(() => notifications.some((n) => n.position === appended.streamPosition))
        // (The join's own wake-up may arrive late on PostgreSQL: it is left out.)
        const ours = notifications.filter(
          (n) => n.roomIds.includes(room.roomId) && n.position !== joinedAt,
        )
        expect(ours.map((n) => n.position)).toEqual([appended.streamPosition])
      } finally {
        unsubscribe()
      }
    })
  })
}

/** The room as a server that joined late holds it: state as outliers, its join on top. */
async function joinAfterwards(
  storage: Storage,
  roomId: RoomId,
  state: readonly Pdu[],
  join: Pdu,
): Promise<number> {
  return storage.withRoomWriteLock(roomId, async (w) => {
    await w.persistOutliers(state.map((pdu) => ({ pdu })))
    const set: [string, string, EventId][] = state.map((p) => [p.type, p.stateKey ?? '', p.eventId])
    const outcome = await w.persistEvent({
      pdu: join,
      stateBefore: { base: undefined, delta: { set, remove: [] } },
      newForwardExtremities: [join.eventId],
      currentState: 'advance',
      room: { version: '12', creator: state[0]?.sender ?? join.sender, isPublic: false },
    })
    return outcome.streamPosition
  })
}

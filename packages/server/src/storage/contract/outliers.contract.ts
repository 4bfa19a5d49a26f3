import { describe, expect, it } from 'vitest'
import { useStorages, type StorageHarness } from './harness.js'
import { append, createRoom, TestRoom } from './test-room.js'

/**
 * What receiving events from other servers needs of the room writer: outliers (events held but
 * not in the timeline), outliers later stored as timeline events, and a current state that the
 * caller resolved across forks.
 */
export function outliersContract(harness: StorageHarness): void {
  describe('outliers and resolved current state', () => {
    const { open } = useStorages(harness)

    it('holds outliers outside the timeline, in a room not stored yet, once each', async () => {
      const storage = await open()
      const room = new TestRoom()
      const create = room.create()
      const join = room.member(room.creator, 'join')
      const added = await storage.withRoomWriteLock(room.roomId, (w) =>
        w.persistOutliers([{ pdu: create }, { pdu: join, rejectionReason: 'test' }]),
      )
      expect(added).toBe(2)
      const again = await storage.withRoomWriteLock(room.roomId, (w) =>
        w.persistOutliers([{ pdu: create }]),
      )
      expect(again).toBe(0)
      expect(await storage.rooms.getRoom(room.roomId)).toBeUndefined()
      // Once the room is stored (events are read with its version), they can be read.
      await append(storage, create)
      const outlier = await storage.events.getEvent(join.eventId)
      expect(outlier?.pdu.json).toEqual(join.json)
      expect(outlier?.streamPosition).toBeUndefined()
      expect(outlier?.stateGroupBefore).toBeUndefined()
      expect(outlier?.rejectionReason).toBe('test')
      const page = await storage.events.roomTimeline(room.roomId, { direction: 'f', limit: 10 })
      expect(page.events.map((e) => e.pdu.eventId)).toEqual([create.eventId])
    })

    it('holds a large batch of outliers, counting only those not stored yet', async () => {
      const storage = await open()
      const room = new TestRoom()
      const create = room.create()
      await storage.withRoomWriteLock(room.roomId, (w) => w.persistOutliers([{ pdu: create }]))
      // More than one statement's worth on PostgreSQL, with one event twice in the batch.
      const joins = Array.from({ length: 2500 }, (_, i) => room.member(`@m${i}:test`, 'join'))
      const first = joins[0]
      if (first === undefined) throw new Error('no join')
      const added = await storage.withRoomWriteLock(room.roomId, (w) =>
        w.persistOutliers([create, ...joins, first].map((pdu) => ({ pdu }))),
      )
      expect(added).toBe(joins.length)
      await append(storage, create)
      const last = joins[joins.length - 1]
      const stored = await storage.events.getEvents([first.eventId, last?.eventId ?? first.eventId])
      expect(stored.get(first.eventId)?.pdu.json).toEqual(first.json)
      expect(stored.get(first.eventId)?.streamPosition).toBeUndefined()
      expect(last === undefined ? undefined : stored.get(last.eventId)?.pdu.json).toEqual(
        last?.json,
      )
    })

    it('stores an outlier again as a timeline event', async () => {
      const storage = await open()
      const room = new TestRoom()
      const create = room.create()
      await storage.withRoomWriteLock(room.roomId, (w) => w.persistOutliers([{ pdu: create }]))
      const outcome = await append(storage, create)
      expect(outcome.kind).toBe('inserted')
      const stored = await storage.events.getEvent(create.eventId)
      expect(stored?.streamPosition).toBe(outcome.streamPosition)
      expect(stored?.stateGroupAfter).toBe(outcome.stateGroupAfter)
      const page = await storage.events.roomTimeline(room.roomId, { direction: 'f', limit: 10 })
      expect(page.events.map((e) => e.pdu.eventId)).toEqual([create.eventId])
    })

    it('takes a current state the caller resolved, with its memberships', async () => {
      const storage = await open()
      const room = new TestRoom()
      await createRoom(storage, room)
      const bob = '@bob-resolved:test'
      // A topic and Bob's join from another branch, known as outliers.
      const topic = room.state('m.room.topic', '', { topic: 'from the other branch' })
      const bobJoin = room.member(bob, 'join')
      await storage.withRoomWriteLock(room.roomId, (w) =>
        w.persistOutliers([{ pdu: topic }, { pdu: bobJoin }]),
      )
      const before = await storage.withRoomWriteLock(room.roomId, (w) => w.getCurrentStateGroup())
      if (before === undefined) throw new Error('no current state')
      const message = room.message('on top of both')
      await append(storage, message, {
        currentState: {
          resolved: {
            base: before,
            delta: {
              set: [
                ['m.room.topic', '', topic.eventId],
                ['m.room.member', bob, bobJoin.eventId],
              ],
              remove: [],
            },
          },
        },
      })
      const current = await storage.rooms.getCurrentState(room.roomId)
      expect(current.get('m.room.topic', '')).toBe(topic.eventId)
      expect(await storage.rooms.joinedMembers(room.roomId)).toEqual(
        expect.arrayContaining([room.creator, bob]),
      )
      expect((await storage.rooms.getMembership(room.roomId, bob as never))?.membership).toBe(
        'join',
      )
      // 'keep' leaves it alone.
      await append(storage, room.message('aside'), { currentState: 'keep' })
      expect((await storage.rooms.getCurrentState(room.roomId)).get('m.room.topic', '')).toBe(
        topic.eventId,
      )
    })
  })
}

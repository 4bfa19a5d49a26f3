import { canonicalJson, type EventId, type UserId } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import { useStorages, type StorageHarness } from './harness.js'
import { append, createRoom, TestRoom } from './test-room.js'

export function eventsContract(harness: StorageHarness): void {
  describe('events', () => {
    const { open } = useStorages(harness)

    it('stores an event and gives back its exact bytes and its view', async () => {
      const storage = await open()
      const room = new TestRoom()
      await createRoom(storage, room)
      const message = room.message('hello ☃ \u{1F600}')
      const outcome = await append(storage, message)
      expect(outcome.kind).toBe('inserted')
      expect(outcome.eventId).toBe(message.eventId)

      const stored = await storage.events.getEvent(message.eventId)
      expect(stored?.json).toBe(canonicalJson(message.json))
      expect(stored?.pdu).toEqual(message)
      expect(stored?.roomVersion).toBe('12')
      expect(stored?.streamPosition).toBe(outcome.streamPosition)
      expect(stored?.stateGroupBefore).toBe(outcome.stateGroupBefore)
      expect(stored?.stateGroupAfter).toBe(outcome.stateGroupAfter)
      expect(stored?.rejectionReason).toBeUndefined()
      expect(stored?.redactedBy).toBeUndefined()
    })

    it('getEvents and haveEvents return only what exists', async () => {
      const storage = await open()
      const room = new TestRoom()
      const [create, join] = await createRoom(storage, room)
      const ids = [create?.eventId, join?.eventId, '$missing' as EventId].filter(
        (id): id is EventId => id !== undefined,
      )
      const events = await storage.events.getEvents(ids)
      expect([...events.keys()].sort()).toEqual([create?.eventId, join?.eventId].sort())
      expect(await storage.events.haveEvents(ids)).toEqual(
        new Set([create?.eventId, join?.eventId]),
      )
      expect((await storage.events.getEvents([])).size).toBe(0)
      expect(await storage.events.getEvent('$missing' as EventId)).toBeUndefined()
    })

    it('persisting the same event again is a duplicate that changes nothing', async () => {
      const storage = await open()
      const room = new TestRoom()
      await createRoom(storage, room)
      const message = room.message('once')
      const first = await append(storage, message)
      const position = await storage.streams.currentPosition()
      const again = await append(storage, message)
      expect(again).toEqual({ ...first, kind: 'duplicate' })
      expect(await storage.streams.currentPosition()).toBe(position)
      const page = await storage.events.roomTimeline(room.roomId, { direction: 'b', limit: 10 })
      expect(page.events.filter((e) => e.pdu.eventId === message.eventId)).toHaveLength(1)
    })

    it('a transaction ID sends once: a retry with another event returns the first one', async () => {
      const storage = await open()
      const room = new TestRoom()
      await createRoom(storage, room)
      const txn = { userId: room.creator, deviceId: 'DEV', txnId: 'txn1' }
      const first = room.message('first try')
      const retry = room.message('second try')
      const sent = await append(storage, first, { txn })
      const again = await append(storage, retry, { txn })
      expect(again).toEqual({ ...sent, kind: 'duplicate' })
      expect(await storage.events.getEvent(retry.eventId)).toBeUndefined()
      const byTxn = await storage.events.getEventByTxn(room.creator, 'DEV', 'txn1')
      expect(byTxn?.pdu.eventId).toBe(first.eventId)
      // Scoped to the device and user.
      expect(await storage.events.getEventByTxn(room.creator, 'OTHER', 'txn1')).toBeUndefined()
      expect(
        await storage.events.getEventByTxn('@bob:test' as UserId, 'DEV', 'txn1'),
      ).toBeUndefined()
      const other = await append(storage, room.message('other device'), {
        txn: { ...txn, deviceId: 'OTHER' },
      })
      expect(other.kind).toBe('inserted')
    })

    it('keeps rejected events without letting them change state or reach the timeline', async () => {
      const storage = await open()
      const room = new TestRoom()
      await createRoom(storage, room)
      const before = await storage.rooms.getCurrentState(room.roomId)
      const bad = room.state('m.room.topic', '', { topic: 'not allowed' })
      const outcome = await append(storage, bad, { rejectionReason: 'auth: no power' })
      expect(outcome.kind).toBe('inserted')
      expect(outcome.stateGroupAfter).toBe(outcome.stateGroupBefore)
      expect(await storage.rooms.getCurrentState(room.roomId)).toEqual(before)
      const stored = await storage.events.getEvent(bad.eventId)
      expect(stored?.rejectionReason).toBe('auth: no power')
      const page = await storage.events.roomTimeline(room.roomId, { direction: 'b', limit: 10 })
      expect(page.events.map((e) => e.pdu.eventId)).not.toContain(bad.eventId)
    })

    it('records redactions whichever of the two events arrives first', async () => {
      const storage = await open()
      const room = new TestRoom()
      await createRoom(storage, room)
      const target = room.message('oops')
      await append(storage, target)
      const redaction = room.event({ type: 'm.room.redaction', redacts: target.eventId })
      await append(storage, redaction)
      expect((await storage.events.getEvent(target.eventId))?.redactedBy).toBe(redaction.eventId)

      // The redaction first (as over federation), then the event it redacts.
      const late = room.event({ type: 'm.room.message', content: { body: 'late' } })
      const early = room.event({ type: 'm.room.redaction', redacts: late.eventId })
      await append(storage, early)
      await append(storage, late)
      expect((await storage.events.getEvent(late.eventId))?.redactedBy).toBe(early.eventId)

      // A rejected redaction redacts nothing.
      const kept = room.message('kept')
      await append(storage, kept)
      await append(storage, room.event({ type: 'm.room.redaction', redacts: kept.eventId }), {
        rejectionReason: 'no power',
      })
      expect((await storage.events.getEvent(kept.eventId))?.redactedBy).toBeUndefined()
    })

    it('replaces the forward extremities with the given set', async () => {
      const storage = await open()
      const room = new TestRoom()
      const [create, join] = await createRoom(storage, room)
      const fork = room.event({
        type: 'm.room.message',
        content: { body: 'fork' },
        prev: [create?.eventId as EventId],
      })
      await append(storage, fork, {
        newForwardExtremities: [join?.eventId as EventId, fork.eventId],
        currentState: 'keep',
      })
      const extremities = await storage.withRoomWriteLock(room.roomId, (writer) =>
        writer.getForwardExtremities(),
      )
      expect([...extremities].sort((a, b) => a.depth - b.depth)).toEqual([
        { eventId: join?.eventId, depth: 2 },
        { eventId: fork.eventId, depth: 3 },
      ])
    })

    it('refuses, writing nothing, an event of an unknown room, of another room, or with an unknown group', async () => {
      const storage = await open()
      const room = new TestRoom()
      const position = await storage.streams.currentPosition()
      const orphan = room.message('no room yet')
      await expect(append(storage, orphan)).rejects.toThrow(/not stored/)
      expect(await storage.events.getEvent(orphan.eventId)).toBeUndefined()
      expect(await storage.rooms.getRoom(room.roomId)).toBeUndefined()

      await createRoom(storage, room)
      const other = new TestRoom()
      await expect(
        storage.withRoomWriteLock(room.roomId, (writer) =>
          writer.persistEvent({
            pdu: other.create(),
            stateBefore: { base: undefined, delta: { set: [], remove: [] } },
            newForwardExtremities: [],
            currentState: 'advance',
          }),
        ),
      ).rejects.toThrow(/not in/)
      const unknownGroup = room.message('bad group')
      await expect(
        append(storage, unknownGroup, { stateBefore: { group: 999_999 } }),
      ).rejects.toThrow(/does not exist/)
      expect(await storage.events.getEvent(unknownGroup.eventId)).toBeUndefined()
      expect(await storage.streams.currentPosition()).toBe(position + 2)
    })

    it('a room writer cannot be used after its lock is released', async () => {
      const storage = await open()
      const room = new TestRoom()
      await createRoom(storage, room)
      const leaked = await storage.withRoomWriteLock(room.roomId, (writer) =>
        Promise.resolve(writer),
      )
      await expect(leaked.getCurrentStateGroup()).rejects.toThrow(/released/)
      await expect(leaked.getForwardExtremities()).rejects.toThrow(/released/)
    })

    it('an exception inside the lock releases it', async () => {
      const storage = await open()
      const room = new TestRoom()
      await createRoom(storage, room)
      await expect(
        storage.withRoomWriteLock(room.roomId, () => Promise.reject(new Error('pipeline failed'))),
      ).rejects.toThrow('pipeline failed')
      const outcome = await append(storage, room.message('still writable'))
      expect(outcome.kind).toBe('inserted')
    })
  })
}

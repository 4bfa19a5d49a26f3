import type { UserId } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import type { StreamNotification } from '../interface.js'
import { useStorages, type StorageHarness } from './harness.js'
import { append, TestRoom, waitFor } from './test-room.js'

/**
 * Memberships of local users in rooms this server does not hold (an invite or a knock answered
 * over federation, the leave that rejects one): they are current memberships with a stream
 * position and a wake-up, while the room stays unknown to getRoom until it is joined.
 */
export function outOfBandMembershipsContract(harness: StorageHarness): void {
  describe('out-of-band memberships', () => {
    const { open } = useStorages(harness)
    const NEW_ROOM = { version: '12', isPublic: false }

    it('records an invite in a room not held, then the leave that rejects it', async () => {
      const storage = await open()
      const room = new TestRoom()
      const bob = `@bob-${room.roomId.slice(1, 9)}:test` as UserId
      const seen: StreamNotification[] = []
      const unsubscribe = storage.streams.notifier.subscribe((n) => {
        if (n.userIds.includes(bob)) seen.push(n)
      })
      const invite = room.event({
        type: 'm.room.member',
        stateKey: bob,
        content: { membership: 'invite' },
      })
      const before = await storage.streams.currentPosition()
      const stored = await storage.withRoomWriteLock(room.roomId, (w) =>
        w.persistOutOfBandMembership(invite, { ...NEW_ROOM, creator: room.creator }),
      )
      expect(stored.kind).toBe('inserted')
      expect(stored.streamPosition).toBeGreaterThan(before)
      expect(await storage.rooms.getRoom(room.roomId)).toBeUndefined()
      expect(await storage.rooms.getMembership(room.roomId, bob)).toMatchObject({
        membership: 'invite',
        eventId: invite.eventId,
        streamPosition: stored.streamPosition,
      })
      const invited = await storage.rooms.roomsForUser(bob, ['invite'])
      expect(invited.map((m) => m.roomId)).toEqual([room.roomId])
      const event = await storage.events.getEvent(invite.eventId)
      expect(event?.pdu.json).toEqual(invite.json)
      expect(event?.streamPosition).toBeUndefined()
      await waitFor(() => seen.some((n) => n.position === stored.streamPosition))

      const again = await storage.withRoomWriteLock(room.roomId, (w) =>
        w.persistOutOfBandMembership(invite, { ...NEW_ROOM, creator: room.creator }),
      )
      expect(again.kind).toBe('duplicate')

      const leave = room.member(bob, 'leave')
      const left = await storage.withRoomWriteLock(room.roomId, (w) =>
        w.persistOutOfBandMembership(leave, { ...NEW_ROOM, creator: room.creator }),
      )
      expect(left.kind).toBe('inserted')
      const changes = await storage.rooms.membershipChangesSince(bob, before)
      expect(changes.map((m) => m.membership)).toEqual(['leave'])
      expect(await storage.rooms.roomsForUser(bob, ['invite'])).toEqual([])
      unsubscribe()
    })

    it('lets the room be joined later, and refuses rooms that are held', async () => {
      const storage = await open()
      const room = new TestRoom()
      const bob = `@bob-${room.roomId.slice(1, 9)}:test` as UserId
      const create = room.create()
      const invite = room.event({
        type: 'm.room.member',
        stateKey: bob,
        content: { membership: 'invite' },
      })
      await storage.withRoomWriteLock(room.roomId, (w) =>
        w.persistOutOfBandMembership(invite, { ...NEW_ROOM, creator: room.creator }),
      )
      // The join arrives with the room's state: the room becomes held.
      await append(storage, create)
      await append(storage, room.member(bob, 'join'))
      expect((await storage.rooms.getRoom(room.roomId))?.version).toBe('12')
      expect((await storage.rooms.getMembership(room.roomId, bob))?.membership).toBe('join')
      await expect(
        storage.withRoomWriteLock(room.roomId, (w) =>
          w.persistOutOfBandMembership(room.member(bob, 'leave'), {
            ...NEW_ROOM,
            creator: room.creator,
          }),
        ),
      ).rejects.toThrow(/held/)
    })
  })
}

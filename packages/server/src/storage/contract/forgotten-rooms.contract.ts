import type { UserId } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import { useStorages, type StorageHarness } from './harness.js'
import { append, createRoom, TestRoom } from './test-room.js'

const bob = '@bob:test' as UserId

export function forgottenRoomsContract(harness: StorageHarness): void {
  describe('forgotten rooms', () => {
    const { open } = useStorages(harness)

    it('forgets a room until the membership changes again', async () => {
      const storage = await open()
      const room = new TestRoom()
      const other = new TestRoom()
      await createRoom(storage, room)
      await createRoom(storage, other)
      await append(storage, room.member(bob, 'join'))
      await append(storage, other.member(bob, 'join'))
      const leave = room.member(bob, 'leave')
      await append(storage, leave)
      expect(await storage.forgottenRooms.isForgotten(bob, room.roomId)).toBe(false)

      await storage.forgottenRooms.forgetRoom(bob, room.roomId, leave.eventId)
      await storage.forgottenRooms.forgetRoom(bob, room.roomId, leave.eventId)
      expect(await storage.forgottenRooms.isForgotten(bob, room.roomId)).toBe(true)
      expect(await storage.forgottenRooms.forgottenRooms(bob)).toEqual(new Set([room.roomId]))
      expect(await storage.forgottenRooms.isForgotten(bob, other.roomId)).toBe(false)
      expect(await storage.forgottenRooms.isForgotten(room.creator, room.roomId)).toBe(false)

      // Coming back un-forgets the room without anyone clearing the record.
      const rejoin = room.member(bob, 'join')
      await append(storage, rejoin)
      expect(await storage.forgottenRooms.isForgotten(bob, room.roomId)).toBe(false)
      expect(await storage.forgottenRooms.forgottenRooms(bob)).toEqual(new Set())

      // Leaving and forgetting again forgets it again.
      const again = room.member(bob, 'leave')
      await append(storage, again)
      await storage.forgottenRooms.forgetRoom(bob, room.roomId, again.eventId)
      expect(await storage.forgottenRooms.isForgotten(bob, room.roomId)).toBe(true)
    })
  })
}

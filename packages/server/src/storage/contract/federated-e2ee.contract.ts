import { randomUUID } from 'node:crypto'
import type { UserId } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import type { StreamNotification } from '../interface.js'
import { useStorages, type StorageHarness } from './harness.js'
import { append, createRoom, TestRoom, waitFor } from './test-room.js'

const tag = (): string => randomUUID().slice(0, 8)

/** Device lists and to-device messages exchanged with other servers (DeviceListStore, ToDeviceStore). */
export function federatedE2eeContract(harness: StorageHarness): void {
  describe('federated device lists and to-device messages', () => {
    const { open } = useStorages(harness)

    it("records another server's user's device change for the local users sharing a room", async () => {
      const storage = await open()
      const room = new TestRoom()
      await createRoom(storage, room)
      const alice = room.creator
      const remote = `@bob-${tag()}:remote.test` as UserId
      const stranger = `@carol-${tag()}:remote.test` as UserId
      await append(storage, room.member(remote, 'join'))
      const before = await storage.streams.currentPosition()
      const heard: StreamNotification[] = []
      const stop = storage.streams.notifier.subscribe((n) => {
        if (n.position > before && n.roomIds.includes(room.roomId)) heard.push(n)
      })
      await storage.deviceLists.recordRemoteChange([remote, remote])
      await storage.deviceLists.recordRemoteChange([stranger])
      await storage.deviceLists.recordRemoteChange([])
      const after = await storage.streams.currentPosition()
      expect(after).toBe(before + 2)
      expect(await storage.deviceLists.changedInSharedRooms(alice, before, after)).toEqual([remote])
      await waitFor(() => heard.length === 1)
      expect(heard[0]?.userIds).toEqual([remote])
      stop()
    })

    it('hands out outbound stream IDs that go up by one per update, per user', async () => {
      const storage = await open()
      const alice = `@alice-${tag()}:test` as UserId
      const bob = `@bob-${tag()}:test` as UserId
      expect(await storage.deviceLists.outboundStreamId(alice)).toBe(0)
      expect(await storage.deviceLists.nextOutboundStreamIds(alice, 1)).toEqual({
        previous: undefined,
        ids: [1],
      })
      expect(await storage.deviceLists.nextOutboundStreamIds(alice, 3)).toEqual({
        previous: 1,
        ids: [2, 3, 4],
      })
      expect(await storage.deviceLists.nextOutboundStreamIds(bob, 2)).toEqual({
        previous: undefined,
        ids: [1, 2],
      })
      expect(await storage.deviceLists.outboundStreamId(alice)).toBe(4)
      const together = await Promise.all([
        storage.deviceLists.nextOutboundStreamIds(alice, 2),
        storage.deviceLists.nextOutboundStreamIds(alice, 2),
      ])
      expect(together.flatMap((t) => t.ids).sort()).toEqual([5, 6, 7, 8])
    })

    it("queues another server's to-device messages once per sender and message ID", async () => {
      const storage = await open()
      const alice = `@alice-${tag()}:test` as UserId
      const created = await storage.accounts.createUser({ userId: alice, createdTs: 1 })
      expect(created.ok).toBe(true)
      for (const deviceId of ['A1', 'A2']) {
        await storage.accounts.createDevice({ userId: alice, deviceId, createdTs: 1 })
      }
      const sender = `@bob-${tag()}:remote.test` as UserId
      const before = await storage.streams.currentPosition()
      const batch = {
        sender,
        messageId: 'm1',
        receivedTs: 1000,
        type: 'm.room_key_request',
        messages: [
          { userId: alice, deviceId: '*', content: { n: 1 } },
          { userId: alice, deviceId: 'GONE', content: { n: 2 } },
        ],
      }
      expect(await storage.toDevice.receive(batch)).toBe(true)
      expect(await storage.toDevice.receive(batch)).toBe(false)
      // Another sender may use the same message ID.
      const other = `@carol-${tag()}:remote.test` as UserId
      expect(await storage.toDevice.receive({ ...batch, sender: other })).toBe(true)
      const upTo = await storage.streams.currentPosition()
      expect(upTo).toBe(before + 2)
      for (const deviceId of ['A1', 'A2']) {
        const pending = await storage.toDevice.pending(alice, deviceId, before, upTo, 10)
        expect(pending.map((m) => [m.sender, m.type, m.content])).toEqual([
          [sender, 'm.room_key_request', { n: 1 }],
          [other, 'm.room_key_request', { n: 1 }],
        ])
      }

      // Message IDs are remembered until they are forgotten by age, then taken in again.
      expect(await storage.toDevice.forgetInboundIds(1000)).toBe(0)
      expect(await storage.toDevice.receive({ ...batch, receivedTs: 2000 })).toBe(false)
      expect(await storage.toDevice.forgetInboundIds(1001)).toBe(2)
      expect(await storage.toDevice.receive({ ...batch, receivedTs: 2000 })).toBe(true)
      expect(await storage.toDevice.receive(batch)).toBe(false)
    })
  })
}

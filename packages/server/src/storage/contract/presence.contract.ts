import type { ServerName, UserId } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import type { Storage, StreamNotification } from '../interface.js'
import { useStorages, type StorageHarness } from './harness.js'
import { append, createRoom, TestRoom, waitFor } from './test-room.js'

const NOW = 1_700_000_000_000

/** Alice and bob share a room; carol is in a room of her own. All IDs unique to the test. */
async function people(storage: Storage): Promise<{
  room: TestRoom
  alice: UserId
  bob: UserId
  carol: UserId
  carolsRoom: TestRoom
}> {
  const room = new TestRoom()
  await createRoom(storage, room)
  const alice = room.creator
  const bob = alice.replace('@alice', '@bob') as UserId
  await append(storage, room.member(bob, 'join'))
  const carolsRoom = new TestRoom(alice.replace('@alice', '@carol'))
  await createRoom(storage, carolsRoom)
  return { room, alice, bob, carol: carolsRoom.creator, carolsRoom }
}

export function presenceContract(harness: StorageHarness): void {
  describe('presence', () => {
    const { open, openSibling } = useStorages(harness)

    it('set stores a record at a new position, keeping or clearing the status message', async () => {
      const storage = await open()
      const { bob } = await people(storage)
      expect(await storage.presence.get(bob)).toBeUndefined()
      const before = await storage.streams.currentPosition()
      const first = await storage.presence.set(bob, { state: 'online', statusMsg: 'lunch' }, NOW)
      expect(first).toEqual({
        userId: bob,
        state: 'online',
        statusMsg: 'lunch',
        lastActiveTs: NOW,
        lastSyncTs: NOW,
        streamPosition: before + 1,
      })
      expect(await storage.presence.get(bob)).toEqual(first)
      // Absent keeps the message and the times.
      const second = await storage.presence.set(bob, { state: 'unavailable' }, NOW + 10)
      expect(second).toMatchObject({
        state: 'unavailable',
        statusMsg: 'lunch',
        lastActiveTs: NOW,
        streamPosition: before + 2,
      })
      const third = await storage.presence.set(
        bob,
        { state: 'online', statusMsg: null, lastActiveTs: NOW + 20, lastSyncTs: NOW + 20 },
        NOW + 20,
      )
      expect(third).toMatchObject({ statusMsg: undefined, lastActiveTs: NOW + 20 })
      expect(await storage.presence.get(bob)).toEqual(third)
      expect(await storage.streams.currentPosition()).toBe(before + 3)
    })

    it('a change wakes the user and every room they are joined to', async () => {
      const storage = await open()
      const { room, bob } = await people(storage)
      // The notices of the joins may still be on their way.
      const after = await storage.streams.currentPosition()
      const heard: StreamNotification[] = []
      const stop = storage.streams.notifier.subscribe((n) => {
        if (n.userIds.includes(bob) && n.position > after) heard.push(n)
      })
      const record = await storage.presence.set(bob, { state: 'online' }, NOW)
      await waitFor(() => heard.length === 1)
      expect(heard[0]).toEqual({
        position: record.streamPosition,
        roomIds: [room.roomId],
        userIds: [bob],
        catchUp: false,
      })
      stop()
    })

    it('sync shows the presence of room-mates and of the viewer, nobody else', async () => {
      const storage = await open()
      const { alice, bob, carol } = await people(storage)
      const start = await storage.streams.currentPosition()
      await storage.presence.set(bob, { state: 'online', statusMsg: 'hi' }, NOW)
      await storage.presence.set(carol, { state: 'online' }, NOW)
      await storage.presence.set(alice, { state: 'unavailable' }, NOW)
      const upTo = await storage.streams.currentPosition()
      const seen = await storage.presence.changesFor(alice, start, upTo)
      expect(seen.map((r) => [r.userId, r.state])).toEqual([
        [bob, 'online'],
        [alice, 'unavailable'],
      ])
      expect(
        (await storage.presence.changesFor(alice, upTo - 1, upTo)).map((r) => r.userId),
      ).toEqual([alice])
      expect(await storage.presence.changesFor(alice, upTo, upTo)).toEqual([])
      expect((await storage.presence.changesFor(carol, start, upTo)).map((r) => r.userId)).toEqual([
        carol,
      ])
      // An initial sync shows everyone's current presence, except who is offline.
      await storage.presence.set(bob, { state: 'offline' }, NOW + 1)
      const now = await storage.streams.currentPosition()
      expect(
        (await storage.presence.changesFor(alice, undefined, now)).map((r) => r.userId),
      ).toEqual([alice])
      // ... but a later sync is told that bob went offline.
      expect((await storage.presence.changesFor(alice, upTo, now)).map((r) => r.state)).toEqual([
        'offline',
      ])
      // Up to an earlier position, a later change is left for the next sync.
      expect(await storage.presence.changesFor(alice, undefined, start)).toEqual([])
    })

    it('shareARoom asks about joined rooms only', async () => {
      const storage = await open()
      const { room, alice, bob, carol } = await people(storage)
      expect(await storage.presence.shareARoom(alice, bob)).toBe(true)
      expect(await storage.presence.shareARoom(bob, alice)).toBe(true)
      expect(await storage.presence.shareARoom(alice, carol)).toBe(false)
      await append(storage, room.member(bob, 'leave'))
      expect(await storage.presence.shareARoom(alice, bob)).toBe(false)
    })

    it('timeouts: idle online users become unavailable, silent ones offline', async () => {
      const storage = await open()
      const { alice, bob, carol } = await people(storage)
      // alice: syncing but idle; bob: active but silent; carol: active and syncing.
      await storage.presence.set(
        alice,
        { state: 'online', lastActiveTs: NOW, lastSyncTs: NOW },
        NOW,
      )
      await storage.presence.set(bob, { state: 'online', lastActiveTs: NOW, lastSyncTs: NOW }, NOW)
      await storage.presence.set(
        carol,
        { state: 'online', lastActiveTs: NOW, lastSyncTs: NOW },
        NOW,
      )
      await storage.presence.touchSyncing([
        [alice, NOW + 400_000],
        [carol, NOW + 400_000],
        // Times only move forward.
        [bob, NOW - 5],
      ])
      expect((await storage.presence.get(bob))?.lastSyncTs).toBe(NOW)
      await storage.presence.touchActive([
        [carol, NOW + 390_000],
        // Activity is recorded silently for online users only.
        [bob, NOW + 390_000],
      ])
      expect((await storage.presence.get(carol))?.lastActiveTs).toBe(NOW + 390_000)
      await storage.presence.set(bob, { state: 'unavailable' }, NOW)
      await storage.presence.touchActive([[bob, NOW + 395_000]])
      expect((await storage.presence.get(bob))?.lastActiveTs).toBe(NOW + 390_000)
      const before = await storage.streams.currentPosition()
      const heard: StreamNotification[] = []
      const stop = storage.streams.notifier.subscribe((n) => {
        if (n.position <= before) return
        if (n.userIds.includes(alice) || n.userIds.includes(bob)) heard.push(n)
      })
      // At NOW + 400 s, with a 5-minute idle limit and a 30-second silence limit.
      const changed = await storage.presence.applyTimeouts(NOW + 100_000, NOW + 370_000)
      expect([...changed].sort()).toEqual([alice, bob].sort())
      expect((await storage.presence.get(alice))?.state).toBe('unavailable')
      expect((await storage.presence.get(bob))?.state).toBe('offline')
      expect((await storage.presence.get(carol))?.state).toBe('online')
      expect(await storage.streams.currentPosition()).toBe(before + 1)
      expect((await storage.presence.get(bob))?.streamPosition).toBe(before + 1)
      await waitFor(() => heard.length === 1)
      expect(heard[0]?.position).toBe(before + 1)
      expect([...(heard[0]?.userIds ?? [])].sort()).toEqual([alice, bob].sort())
      stop()
      // Nothing left to time out: no position taken.
      expect(await storage.presence.applyTimeouts(NOW + 100_000, NOW + 370_000)).toEqual([])
      expect(await storage.streams.currentPosition()).toBe(before + 1)
      // Offline users are not timed out again; unavailable and online ones can still go offline.
      const later = await storage.presence.applyTimeouts(NOW, NOW + 500_000)
      expect([...later].sort()).toEqual([alice, carol].sort())
    })

    it('users of other servers only go offline when their server has long been silent', async () => {
      const storage = await open()
      const { alice, bob } = await people(storage)
      const dave = alice.replace('@alice', '@dave').replace(':test', ':elsewhere.test') as UserId
      const erin = alice.replace('@alice', '@erin').replace(':test', ':elsewhere.test') as UserId
      const remote = { serverName: 'test' as ServerName, updatedBefore: NOW + 1000 }
      // Long idle and long unsynced by local rules, but updated by their server recently.
      await storage.presence.set(
        dave,
        { state: 'online', lastActiveTs: NOW - 900_000, lastSyncTs: NOW + 1000 },
        NOW + 1000,
      )
      await storage.presence.set(erin, { state: 'unavailable', lastSyncTs: NOW }, NOW)
      await storage.presence.set(alice, { state: 'online', lastSyncTs: NOW }, NOW)
      await storage.presence.set(bob, { state: 'online', lastSyncTs: NOW + 5000 }, NOW)
      const changed = await storage.presence.applyTimeouts(NOW + 1, NOW + 2000, remote)
      expect([...changed].sort()).toEqual([alice, bob, erin].sort())
      expect((await storage.presence.get(dave))?.state).toBe('online')
      expect((await storage.presence.get(erin))?.state).toBe('offline')
      expect((await storage.presence.get(alice))?.state).toBe('offline')
      expect((await storage.presence.get(bob))?.state).toBe('unavailable')
    })

    describe.runIf(harness.openSibling !== undefined)('across processes', () => {
      it('a change in one process wakes and shows in the other; sweeps do not repeat', async () => {
        const one = await open()
        const two = await openSibling(one)
        const { alice, bob } = await people(one)
        const heard: StreamNotification[] = []
        const stop = two.streams.notifier.subscribe((n) => {
          if (n.userIds.includes(bob)) heard.push(n)
        })
        const before = await two.streams.currentPosition()
        const record = await one.presence.set(bob, { state: 'online', statusMsg: 'x' }, NOW)
        await waitFor(() => heard.some((n) => n.position === record.streamPosition))
        const upTo = await two.streams.currentPosition()
        expect(await two.presence.changesFor(alice, before, upTo)).toEqual([record])
        const swept = await Promise.all([
          one.presence.applyTimeouts(NOW + 1, NOW + 1),
          two.presence.applyTimeouts(NOW + 1, NOW + 1),
        ])
        expect(swept.flat()).toEqual([bob])
        stop()
      })
    })
  })
}

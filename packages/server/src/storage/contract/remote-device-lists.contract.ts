import { randomUUID } from 'node:crypto'
import type { UserId } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import type { RemoteDeviceList, RemoteDeviceUpdate } from '../e2e-key-store.js'
import type { Storage } from '../interface.js'
import { useStorages, type StorageHarness } from './harness.js'
import { append, createRoom, TestRoom } from './test-room.js'

const LOCAL = ':test'

const deviceKeys = (userId: UserId, deviceId: string, key: string) => ({
  user_id: userId,
  device_id: deviceId,
  algorithms: ['m.olm.v1.curve25519-aes-sha2'],
  keys: { [`ed25519:${deviceId}`]: key },
  signatures: {},
})

const list = (userId: UserId, streamId: number, devices: string[]): RemoteDeviceList => ({
  userId,
  streamId,
  devices: devices.map((deviceId) => ({
    deviceId,
    keys: deviceKeys(userId, deviceId, `key-${deviceId}-${streamId}`),
    displayName: `phone ${deviceId}`,
  })),
  masterKey: { user_id: userId, usage: ['master'], keys: { 'ed25519:m': 'm' } },
  selfSigningKey: undefined,
})

const update = (
  userId: UserId,
  streamId: number,
  prevIds: number[],
  deviceId: string,
  deleted = false,
): RemoteDeviceUpdate => ({
  userId,
  deviceId,
  streamId,
  prevIds,
  deleted,
  keys: deleted ? undefined : deviceKeys(userId, deviceId, `key-${deviceId}-${streamId}`),
  displayName: undefined,
})

/** A room of a local user that `remote` has joined; the position after the join. */
async function sharedRoom(
  storage: Storage,
  remote: UserId,
): Promise<{ room: TestRoom; at: number }> {
  const room = new TestRoom()
  await createRoom(storage, room)
  await append(storage, room.member(remote, 'join'))
  return { room, at: await storage.streams.currentPosition() }
}

/** Other servers' users' device lists kept by this server (RemoteDeviceListStore). */
export function remoteDeviceListsContract(harness: StorageHarness): void {
  describe('remote device lists', () => {
    const { open } = useStorages(harness)

    it('keeps a fetched list, current only while sharing has been unbroken since it was fetched', async () => {
      const storage = await open()
      const lists = storage.remoteDeviceLists
      const bob = `@bob-${randomUUID().slice(0, 8)}:remote.test` as UserId
      const stranger = `@carol-${randomUUID().slice(0, 8)}:remote.test` as UserId
      const before = await storage.streams.currentPosition()
      const { room, at } = await sharedRoom(storage, bob)

      expect([...(await lists.sharing([bob, stranger], LOCAL))]).toEqual([bob])

      // Fetched before bob joined: updates from before the join may have been missed.
      await lists.keep(list(bob, 5, ['A', 'B']), before, 1000)
      await lists.keep(list(stranger, 1, ['X']), at, 1000)
      let kept = await lists.kept([bob, stranger, room.creator], LOCAL)
      expect([...kept.keys()].sort()).toEqual([bob, stranger].sort())
      expect(kept.get(bob)).toMatchObject({ streamId: 5, current: false })
      expect(kept.get(stranger)?.current).toBe(false)

      await lists.keep(list(bob, 6, ['A', 'C']), at, 2000)
      kept = await lists.kept([bob], LOCAL)
      const bobs = kept.get(bob)
      expect(bobs?.current).toBe(true)
      expect(bobs?.streamId).toBe(6)
      expect(bobs?.devices.map((d) => d.deviceId).sort()).toEqual(['A', 'C'])
      expect(bobs?.devices.find((d) => d.deviceId === 'C')).toEqual({
        deviceId: 'C',
        keys: deviceKeys(bob, 'C', 'key-C-6'),
        displayName: 'phone C',
      })
      expect(bobs?.masterKey).toEqual(list(bob, 6, []).masterKey)
      expect(bobs?.selfSigningKey).toBeUndefined()

      // A fetch that raced an update does not take the newer list back.
      await lists.keep(list(bob, 4, ['Z']), at, 3000)
      expect((await lists.kept([bob], LOCAL)).get(bob)?.streamId).toBe(6)

      // The only local member leaves: the list may miss updates from now on.
      await append(storage, room.member(room.creator, 'leave'))
      expect((await lists.kept([bob], LOCAL)).get(bob)?.current).toBe(false)
      expect((await lists.sharing([bob], LOCAL)).size).toBe(0)
    })

    it('folds in updates that follow the kept list, and marks it stale at a gap', async () => {
      const storage = await open()
      const lists = storage.remoteDeviceLists
      const bob = `@bob-${randomUUID().slice(0, 8)}:remote.test` as UserId
      const { at } = await sharedRoom(storage, bob)
      expect(await lists.applyUpdate(update(bob, 2, [1], 'A'))).toBe('untracked')

      await lists.keep(list(bob, 10, ['A', 'B']), at, 1000)
      expect(await lists.applyUpdate(update(bob, 11, [10], 'C'))).toBe('applied')
      expect(await lists.applyUpdate(update(bob, 12, [11], 'A', true))).toBe('applied')
      // Seen before: nothing changes.
      expect(await lists.applyUpdate(update(bob, 11, [10], 'D'))).toBe('applied')
      let kept = (await lists.kept([bob], LOCAL)).get(bob)
      expect(kept?.streamId).toBe(12)
      expect(kept?.current).toBe(true)
      expect(kept?.devices.map((d) => d.deviceId).sort()).toEqual(['B', 'C'])
      expect(kept?.devices.find((d) => d.deviceId === 'C')?.keys).toEqual(
        deviceKeys(bob, 'C', 'key-C-11'),
      )

      // 13 never came: 14 cannot be folded in, nor anything after it until a fetch.
      expect(await lists.applyUpdate(update(bob, 14, [13], 'E'))).toBe('missed')
      expect(await lists.applyUpdate(update(bob, 15, [14], 'F'))).toBe('missed')
      kept = (await lists.kept([bob], LOCAL)).get(bob)
      expect(kept?.current).toBe(false)
      expect(kept?.streamId).toBe(12)
      expect(kept?.devices.map((d) => d.deviceId).sort()).toEqual(['B', 'C'])

      // A fetch clears the mark, even at a lower stream ID than an update seen meanwhile.
      await lists.keep(list(bob, 15, ['B', 'E', 'F']), at, 2000)
      kept = (await lists.kept([bob], LOCAL)).get(bob)
      expect(kept?.current).toBe(true)
      expect(kept?.devices.map((d) => d.deviceId).sort()).toEqual(['B', 'E', 'F'])
      // No prev_id says nothing of what came before.
      expect(await lists.applyUpdate(update(bob, 16, [], 'G'))).toBe('missed')
    })

    it('replaces cross-signing keys of kept lists only, and forgets lists', async () => {
      const storage = await open()
      const lists = storage.remoteDeviceLists
      const bob = `@bob-${randomUUID().slice(0, 8)}:remote.test` as UserId
      const carol = `@carol-${randomUUID().slice(0, 8)}:remote.test` as UserId
      const { at } = await sharedRoom(storage, bob)
      await lists.keep(list(bob, 1, ['A']), at, 1000)
      const selfSigning = { user_id: bob, usage: ['self_signing'], keys: { 'ed25519:s': 's' } }
      expect(await lists.updateSigningKeys(bob, undefined, selfSigning)).toBe(true)
      expect(await lists.updateSigningKeys(carol, undefined, selfSigning)).toBe(false)
      const kept = (await lists.kept([bob], LOCAL)).get(bob)
      expect(kept?.selfSigningKey).toEqual(selfSigning)
      expect(kept?.masterKey).toEqual(list(bob, 1, []).masterKey)

      await lists.forget([bob, carol])
      expect((await lists.kept([bob], LOCAL)).size).toBe(0)
      // Kept again from nothing: no device of the forgotten list comes back.
      await lists.keep({ ...list(bob, 2, []), masterKey: undefined }, at, 2000)
      expect((await lists.kept([bob], LOCAL)).get(bob)).toMatchObject({
        devices: [],
        masterKey: undefined,
      })
    })
  })
}

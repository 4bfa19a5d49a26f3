import { randomUUID } from 'node:crypto'
import type { JsonObject, UserId } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import type { StreamNotification, Storage } from '../interface.js'
import { useStorages, type StorageHarness } from './harness.js'
import { append, createRoom, TestRoom, waitFor } from './test-room.js'

/** A user with the given devices; user IDs are unique so runs sharing a database never meet. */
async function userWithDevices(
  storage: Storage,
  name: string,
  ...devices: string[]
): Promise<UserId> {
  const userId = `@${name}-${randomUUID().slice(0, 8)}:test` as UserId
  const created = await storage.accounts.createUser({ userId, createdTs: 1 })
  if (!created.ok) throw new Error('user exists')
  for (const deviceId of devices) {
    await storage.accounts.createDevice({ userId, deviceId, createdTs: 1 })
  }
  return userId
}

function deviceKeys(userId: UserId, deviceId: string, ed25519 = 'edkey'): JsonObject {
  return {
    user_id: userId,
    device_id: deviceId,
    algorithms: ['m.olm.v1.curve25519-aes-sha2', 'm.megolm.v1.aes-sha2'],
    keys: { [`curve25519:${deviceId}`]: 'curve', [`ed25519:${deviceId}`]: ed25519 },
    signatures: { [userId]: { [`ed25519:${deviceId}`]: 'sig' } },
  }
}

const signed = (key: string): JsonObject => ({
  key,
  signatures: { '@x:test': { 'ed25519:X': 's' } },
})

function listen(storage: Storage): StreamNotification[] {
  const seen: StreamNotification[] = []
  storage.streams.notifier.subscribe((n) => seen.push(n))
  return seen
}

export function e2eKeysContract(harness: StorageHarness): void {
  describe('end-to-end keys', () => {
    const { open, reopen } = useStorages(harness)

    it('stores device keys, counts one-time keys and reports a change only when keys differ', async () => {
      const storage = await open()
      const alice = await userWithDevices(storage, 'alice', 'A1')
      const before = await storage.streams.currentPosition()
      const first = await storage.e2eKeys.uploadKeys({
        userId: alice,
        deviceId: 'A1',
        deviceKeys: deviceKeys(alice, 'A1'),
        oneTimeKeys: [
          { algorithm: 'signed_curve25519', keyId: 'AAAA', key: signed('k1') },
          { algorithm: 'signed_curve25519', keyId: 'AAAB', key: signed('k2') },
          { algorithm: 'curve25519', keyId: 'AAAC', key: 'plain' },
        ],
        fallbackKeys: [],
      })
      expect(first).toEqual({
        kind: 'stored',
        oneTimeKeyCounts: { signed_curve25519: 2, curve25519: 1 },
      })
      expect(await storage.e2eKeys.getDeviceKeys(alice, 'A1')).toEqual(deviceKeys(alice, 'A1'))
      const afterFirst = await storage.streams.currentPosition()
      expect(afterFirst).toBeGreaterThan(before)
      expect(await storage.deviceLists.changedInSharedRooms(alice, before, afterFirst)).toEqual([
        alice,
      ])

      // The same keys again (a retried request): stored, no new change.
      const again = await storage.e2eKeys.uploadKeys({
        userId: alice,
        deviceId: 'A1',
        deviceKeys: deviceKeys(alice, 'A1'),
        oneTimeKeys: [{ algorithm: 'signed_curve25519', keyId: 'AAAA', key: signed('k1') }],
        fallbackKeys: [],
      })
      expect(again.kind).toBe('stored')
      expect(await storage.streams.currentPosition()).toBe(afterFirst)

      // New identity keys are a change.
      await storage.e2eKeys.uploadKeys({
        userId: alice,
        deviceId: 'A1',
        deviceKeys: deviceKeys(alice, 'A1', 'rotated'),
        oneTimeKeys: [],
        fallbackKeys: [],
      })
      expect(await storage.streams.currentPosition()).toBeGreaterThan(afterFirst)
    })

    it('refuses a different key under a stored one-time key ID, writing nothing', async () => {
      const storage = await open()
      const alice = await userWithDevices(storage, 'alice', 'A1')
      await storage.e2eKeys.uploadKeys({
        userId: alice,
        deviceId: 'A1',
        oneTimeKeys: [{ algorithm: 'signed_curve25519', keyId: 'AAAA', key: signed('k1') }],
        fallbackKeys: [],
      })
      const conflict = await storage.e2eKeys.uploadKeys({
        userId: alice,
        deviceId: 'A1',
        oneTimeKeys: [
          { algorithm: 'signed_curve25519', keyId: 'NEW1', key: signed('n1') },
          { algorithm: 'signed_curve25519', keyId: 'AAAA', key: signed('other') },
        ],
        fallbackKeys: [{ algorithm: 'signed_curve25519', keyId: 'FB', key: signed('fb') }],
      })
      expect(conflict).toEqual({
        kind: 'key-conflict',
        algorithm: 'signed_curve25519',
        keyId: 'AAAA',
      })
      expect(await storage.e2eKeys.oneTimeKeyCounts(alice, 'A1')).toEqual({ signed_curve25519: 1 })
      expect(await storage.e2eKeys.unusedFallbackKeyTypes(alice, 'A1')).toEqual([])
    })

    it('does not store keys for a device that does not exist', async () => {
      const storage = await open()
      const alice = await userWithDevices(storage, 'alice', 'A1')
      const outcome = await storage.e2eKeys.uploadKeys({
        userId: alice,
        deviceId: 'GONE',
        deviceKeys: deviceKeys(alice, 'GONE'),
        oneTimeKeys: [{ algorithm: 'signed_curve25519', keyId: 'AAAA', key: signed('k1') }],
        fallbackKeys: [],
      })
      expect(outcome).toEqual({ kind: 'unknown-device' })
      expect(await storage.e2eKeys.getDeviceKeys(alice, 'GONE')).toBeUndefined()
    })

    it('claims one-time keys oldest first, each once, then the fallback key, which stays', async () => {
      const storage = await open()
      const bob = await userWithDevices(storage, 'bob', 'B1')
      await storage.e2eKeys.uploadKeys({
        userId: bob,
        deviceId: 'B1',
        oneTimeKeys: [{ algorithm: 'signed_curve25519', keyId: 'OLD', key: signed('old') }],
        fallbackKeys: [{ algorithm: 'signed_curve25519', keyId: 'FB1', key: signed('fb') }],
      })
      await storage.e2eKeys.uploadKeys({
        userId: bob,
        deviceId: 'B1',
        oneTimeKeys: [{ algorithm: 'signed_curve25519', keyId: 'NEW', key: signed('new') }],
        fallbackKeys: [],
      })
      expect(await storage.e2eKeys.unusedFallbackKeyTypes(bob, 'B1')).toEqual(['signed_curve25519'])
      const claim = { userId: bob, deviceId: 'B1', algorithm: 'signed_curve25519' }
      const taken = []
      for (let i = 0; i < 4; i++) taken.push(...(await storage.e2eKeys.claimKeys([claim])))
      expect(taken.map((k) => k.keyId)).toEqual(['OLD', 'NEW', 'FB1', 'FB1'])
      expect(taken[0]?.key).toEqual(signed('old'))
      expect(await storage.e2eKeys.oneTimeKeyCounts(bob, 'B1')).toEqual({})
      expect(await storage.e2eKeys.unusedFallbackKeyTypes(bob, 'B1')).toEqual([])
      // Unknown devices and algorithms are left out.
      expect(
        await storage.e2eKeys.claimKeys([
          { userId: bob, deviceId: 'NOPE', algorithm: 'signed_curve25519' },
          { userId: bob, deviceId: 'B1', algorithm: 'other' },
        ]),
      ).toEqual([])
      // A new fallback key is unused again; the same one uploaded again is not.
      await storage.e2eKeys.uploadKeys({
        userId: bob,
        deviceId: 'B1',
        oneTimeKeys: [],
        fallbackKeys: [{ algorithm: 'signed_curve25519', keyId: 'FB1', key: signed('fb') }],
      })
      expect(await storage.e2eKeys.unusedFallbackKeyTypes(bob, 'B1')).toEqual([])
      await storage.e2eKeys.uploadKeys({
        userId: bob,
        deviceId: 'B1',
        oneTimeKeys: [],
        fallbackKeys: [{ algorithm: 'signed_curve25519', keyId: 'FB2', key: signed('fb2') }],
      })
      expect(await storage.e2eKeys.unusedFallbackKeyTypes(bob, 'B1')).toEqual(['signed_curve25519'])
    })

    it('gives every concurrent claim a different one-time key', async () => {
      const storage = await open()
      const bob = await userWithDevices(storage, 'bob', 'B1')
      const keys = Array.from({ length: 20 }, (_, i) => ({
        algorithm: 'signed_curve25519',
        keyId: `K${String(i).padStart(2, '0')}`,
        key: signed(`k${i}`),
      }))
      await storage.e2eKeys.uploadKeys({
        userId: bob,
        deviceId: 'B1',
        oneTimeKeys: keys,
        fallbackKeys: [],
      })
      const claim = { userId: bob, deviceId: 'B1', algorithm: 'signed_curve25519' }
      const results = await Promise.all(
        Array.from({ length: 20 }, () => storage.e2eKeys.claimKeys([claim])),
      )
      const ids = results.flat().map((k) => k.keyId)
      expect(ids).toHaveLength(20)
      expect(new Set(ids).size).toBe(20)
    })

    it('answers key queries for all or some devices, with display names', async () => {
      const storage = await open()
      const alice = await userWithDevices(storage, 'alice', 'A1', 'A2', 'A3')
      await storage.accounts.updateDeviceDisplayName(alice, 'A2', 'Phone')
      for (const d of ['A1', 'A2']) {
        await storage.e2eKeys.uploadKeys({
          userId: alice,
          deviceId: d,
          deviceKeys: deviceKeys(alice, d),
          oneTimeKeys: [],
          fallbackKeys: [],
        })
      }
      const all = await storage.e2eKeys.queryDeviceKeys(new Map([[alice, []]]))
      expect(all.map((d) => [d.deviceId, d.displayName])).toEqual([
        ['A1', undefined],
        ['A2', 'Phone'],
      ])
      const some = await storage.e2eKeys.queryDeviceKeys(new Map([[alice, ['A2', 'A3']]]))
      expect(some.map((d) => d.deviceId)).toEqual(['A2'])
      expect(some[0]?.keys).toEqual(deviceKeys(alice, 'A2'))
      // Deleting the device deletes its keys, and is a device list change.
      const before = await storage.streams.currentPosition()
      await storage.accounts.deleteDevices(alice, ['A2'])
      const after = await storage.streams.currentPosition()
      expect(after).toBeGreaterThan(before)
      expect(await storage.deviceLists.changedInSharedRooms(alice, before, after)).toEqual([alice])
      expect(await storage.e2eKeys.getDeviceKeys(alice, 'A2')).toBeUndefined()
    })

    it('keeps cross-signing keys and signatures, each change on the stream', async () => {
      const storage = await open()
      const alice = await userWithDevices(storage, 'alice', 'A1')
      const bob = await userWithDevices(storage, 'bob', 'B1')
      const master = { user_id: alice, usage: ['master'], keys: { 'ed25519:MPUB': 'MPUB' } }
      const selfSigning = {
        user_id: alice,
        usage: ['self_signing'],
        keys: { 'ed25519:SPUB': 'SPUB' },
        signatures: { [alice]: { 'ed25519:MPUB': 'sig' } },
      }
      const before = await storage.streams.currentPosition()
      await storage.e2eKeys.setCrossSigningKeys(alice, [
        { userId: alice, usage: 'master', publicKey: 'MPUB', key: master },
        { userId: alice, usage: 'self_signing', publicKey: 'SPUB', key: selfSigning },
      ])
      const stored = await storage.e2eKeys.crossSigningKeys([alice, bob])
      expect(stored.map((k) => [k.usage, k.publicKey]).sort()).toEqual([
        ['master', 'MPUB'],
        ['self_signing', 'SPUB'],
      ])
      expect(stored.find((k) => k.usage === 'self_signing')?.key).toEqual(selfSigning)

      await storage.e2eKeys.addSignatures([
        {
          targetUserId: alice,
          targetKeyId: 'A1',
          signerUserId: alice,
          signerKeyId: 'ed25519:SPUB',
          signature: 'one',
        },
        {
          targetUserId: alice,
          targetKeyId: 'A1',
          signerUserId: alice,
          signerKeyId: 'ed25519:SPUB',
          signature: 'two',
        },
      ])
      expect(await storage.e2eKeys.signaturesFor([alice])).toEqual([
        {
          targetUserId: alice,
          targetKeyId: 'A1',
          signerUserId: alice,
          signerKeyId: 'ed25519:SPUB',
          signature: 'two',
        },
      ])
      expect(await storage.e2eKeys.signaturesFor([bob])).toEqual([])
      const after = await storage.streams.currentPosition()
      expect(after - before).toBe(2)
      expect(await storage.deviceLists.changedInSharedRooms(bob, before, after)).toEqual([])
    })

    it('tells room members about each other, and about who stopped sharing a room', async () => {
      const storage = await open()
      const room = new TestRoom()
      const alice = room.creator
      await storage.accounts.createUser({ userId: alice, createdTs: 1 })
      await storage.accounts.createDevice({ userId: alice, deviceId: 'A1', createdTs: 1 })
      const bob = await userWithDevices(storage, 'bob', 'B1')
      await createRoom(storage, room)
      const t0 = await storage.streams.currentPosition()
      const seen = listen(storage)
      await append(storage, room.member(bob, 'join'))
      const t1 = await storage.streams.currentPosition()
      expect((await storage.deviceLists.sharingChanges(alice, t0, t1)).newlySharing).toEqual([bob])
      expect((await storage.deviceLists.sharingChanges(bob, t0, t1)).newlySharing).toEqual([alice])
      expect((await storage.deviceLists.sharingChanges(alice, t1, t1)).newlySharing).toEqual([])

      // Bob's new keys reach Alice, who shares the room, and wake her room.
      await storage.e2eKeys.uploadKeys({
        userId: bob,
        deviceId: 'B1',
        deviceKeys: deviceKeys(bob, 'B1'),
        oneTimeKeys: [],
        fallbackKeys: [],
      })
      const t2 = await storage.streams.currentPosition()
      expect(await storage.deviceLists.changedInSharedRooms(alice, t1, t2)).toEqual([bob])
      // Other tests' storages share PostgreSQL's notification channel: find this test's own.
      const bobsKeys = (n: StreamNotification): boolean =>
        n.position === t2 && n.userIds.includes(bob)
      await waitFor(() => seen.some(bobsKeys))
      expect(seen.find(bobsKeys)?.roomIds).toEqual([room.roomId])

      await append(storage, room.member(bob, 'leave'))
      const t3 = await storage.streams.currentPosition()
      expect((await storage.deviceLists.sharingChanges(alice, t2, t3)).stoppedSharing).toEqual([
        bob,
      ])
      expect((await storage.deviceLists.sharingChanges(bob, t2, t3)).stoppedSharing).toEqual([
        alice,
      ])
      expect((await storage.deviceLists.sharingChanges(alice, t3, t3)).stoppedSharing).toEqual([])
      // After he left, his changes are none of Alice's business.
      await storage.e2eKeys.uploadKeys({
        userId: bob,
        deviceId: 'B1',
        deviceKeys: deviceKeys(bob, 'B1', 'rotated'),
        oneTimeKeys: [],
        fallbackKeys: [],
      })
      const t4 = await storage.streams.currentPosition()
      expect(await storage.deviceLists.changedInSharedRooms(alice, t3, t4)).toEqual([])
    })

    it('queues to-device messages per device, once per transaction, until acknowledged', async () => {
      const storage = await open()
      const alice = await userWithDevices(storage, 'alice', 'A1')
      const bob = await userWithDevices(storage, 'bob', 'B1', 'B2')
      const seen = listen(storage)
      const batch = {
        sender: alice,
        senderDeviceId: 'A1',
        txnId: 'txn1',
        type: 'm.test',
        messages: [
          { userId: bob, deviceId: '*', content: { to: 'all' } },
          { userId: bob, deviceId: 'B2', content: { to: 'B2' } },
          { userId: bob, deviceId: 'NOPE', content: { to: 'nobody' } },
        ],
      }
      expect(await storage.toDevice.send(batch)).toBe(true)
      expect(await storage.toDevice.send(batch)).toBe(false)
      const p1 = await storage.streams.currentPosition()
      const forBob = (n: StreamNotification): boolean =>
        n.position === p1 && n.userIds.includes(bob)
      await waitFor(() => seen.some(forBob))
      expect(seen.find(forBob)?.userIds).toEqual([bob])

      const b1 = await storage.toDevice.pending(bob, 'B1', undefined, p1, 100)
      expect(b1).toEqual([
        { streamPosition: p1, sender: alice, type: 'm.test', content: { to: 'all' } },
      ])
      const b2 = await storage.toDevice.pending(bob, 'B2', undefined, p1, 100)
      expect(b2.map((m) => m.content)).toEqual([{ to: 'B2' }])

      await storage.toDevice.send({
        ...batch,
        txnId: 'txn2',
        messages: [{ userId: bob, deviceId: 'B1', content: { n: 2 } }],
      })
      const p2 = await storage.streams.currentPosition()
      // A retry from the same point gets the same messages; the limit cuts oldest first.
      expect((await storage.toDevice.pending(bob, 'B1', 0, p2, 1)).map((m) => m.content)).toEqual([
        { to: 'all' },
      ])
      expect((await storage.toDevice.pending(bob, 'B1', 0, p2, 10)).map((m) => m.content)).toEqual([
        { to: 'all' },
        { n: 2 },
      ])
      // Acknowledging p1 deletes the first message, and only for that device.
      await storage.toDevice.acknowledge(bob, 'B1', p1)
      await storage.toDevice.acknowledge(bob, 'B1', p1)
      expect((await storage.toDevice.pending(bob, 'B1', 0, p2, 10)).map((m) => m.content)).toEqual([
        { n: 2 },
      ])
      expect(await storage.toDevice.pending(bob, 'B2', undefined, p2, 10)).toHaveLength(1)
      // Messages above upTo wait for a later sync.
      expect(await storage.toDevice.pending(bob, 'B1', p1, p1, 10)).toEqual([])
    })

    it('takes cross-signing keys, signatures and key backups from a deactivated account', async () => {
      const storage = await open()
      const alice = await userWithDevices(storage, 'alice', 'A1')
      const bob = await userWithDevices(storage, 'bob', 'B1')
      await storage.e2eKeys.setCrossSigningKeys(alice, [
        {
          userId: alice,
          usage: 'master',
          publicKey: 'MPUB',
          key: { keys: { 'ed25519:MPUB': 'MPUB' } },
        },
      ])
      await storage.e2eKeys.addSignatures([
        {
          targetUserId: bob,
          targetKeyId: 'BMASTER',
          signerUserId: alice,
          signerKeyId: 'ed25519:U',
          signature: 's',
        },
      ])
      const version = await storage.keyBackups.createVersion(
        alice,
        'm.megolm_backup.v1.curve25519-aes-sha2',
        {
          public_key: 'pk',
        },
      )
      const before = await storage.streams.currentPosition()
      expect(await storage.accounts.deactivate(alice)).toBe(true)
      const after = await storage.streams.currentPosition()
      expect(await storage.e2eKeys.crossSigningKeys([alice])).toEqual([])
      expect(await storage.e2eKeys.signaturesFor([bob])).toEqual([])
      expect(await storage.keyBackups.getVersion(alice, version)).toBeUndefined()
      expect(await storage.keyBackups.getVersion(alice, undefined)).toBeUndefined()
      // One change tells the room-mates of a user who had devices and keys.
      expect(after - before).toBe(1)
      expect(await storage.deviceLists.changedInSharedRooms(alice, before, after)).toEqual([alice])
    })

    it('keeps keys and queued messages across a restart', async () => {
      if (harness.reopen === undefined) return
      let storage = await open()
      const alice = await userWithDevices(storage, 'alice', 'A1')
      await storage.e2eKeys.uploadKeys({
        userId: alice,
        deviceId: 'A1',
        deviceKeys: deviceKeys(alice, 'A1'),
        oneTimeKeys: [{ algorithm: 'signed_curve25519', keyId: 'AAAA', key: signed('k1') }],
        fallbackKeys: [],
      })
      await storage.toDevice.send({
        sender: alice,
        senderDeviceId: 'A1',
        txnId: 't',
        type: 'm.test',
        messages: [{ userId: alice, deviceId: 'A1', content: { self: true } }],
      })
      storage = await reopen(storage)
      const position = await storage.streams.currentPosition()
      expect(await storage.e2eKeys.oneTimeKeyCounts(alice, 'A1')).toEqual({ signed_curve25519: 1 })
      expect(await storage.toDevice.pending(alice, 'A1', undefined, position, 10)).toHaveLength(1)
    })
  })
}

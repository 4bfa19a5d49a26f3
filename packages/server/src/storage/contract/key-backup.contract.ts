import type { RoomId, UserId } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import type { BackedUpKey, RoomKeyRecord } from '../key-backup-store.js'
import { useStorages, type StorageHarness } from './harness.js'

const alice = '@alice:test' as UserId
const bob = '@bob:test' as UserId
const roomA = '!a:test' as RoomId
const roomB = '!b:test' as RoomId
const ALGORITHM = 'm.megolm_backup.v1.curve25519-aes-sha2'

function key(roomId: RoomId, sessionId: string, fields: Partial<BackedUpKey> = {}): RoomKeyRecord {
  return {
    roomId,
    sessionId,
    firstMessageIndex: 0,
    forwardedCount: 0,
    isVerified: false,
    sessionData: { ciphertext: `c-${sessionId}`, ephemeral: 'e', mac: 'm' },
    ...fields,
  }
}

/** The rule of the spec, as the key backup service passes it: verified, then lower indexes. */
const better = (existing: BackedUpKey, incoming: BackedUpKey): boolean =>
  existing.isVerified !== incoming.isVerified
    ? incoming.isVerified
    : existing.firstMessageIndex !== incoming.firstMessageIndex
      ? incoming.firstMessageIndex < existing.firstMessageIndex
      : incoming.forwardedCount < existing.forwardedCount

export function keyBackupContract(harness: StorageHarness): void {
  describe('key backups', () => {
    const { open, reopen, openSibling } = useStorages(harness)

    it('hands out increasing versions per user; the newest live one is current', async () => {
      const { keyBackups } = await open()
      expect(await keyBackups.getVersion(alice, undefined)).toBeUndefined()
      const authData = { public_key: 'pk1', signatures: { [alice]: { 'ed25519:D': 's' } } }
      const first = await keyBackups.createVersion(alice, ALGORITHM, authData)
      expect(await keyBackups.getVersion(alice, undefined)).toEqual({
        version: first,
        algorithm: ALGORITHM,
        authData,
        etag: expect.stringMatching(/./) as string,
        count: 0,
      })
      const second = await keyBackups.createVersion(alice, ALGORITHM, { public_key: 'pk2' })
      expect(Number(second)).toBeGreaterThan(Number(first))
      expect((await keyBackups.getVersion(alice, undefined))?.version).toBe(second)
      // The older version can still be read by its name.
      expect((await keyBackups.getVersion(alice, first))?.authData).toEqual(authData)
      // Another user's versions are their own.
      expect(await keyBackups.getVersion(bob, undefined)).toBeUndefined()
      expect(await keyBackups.getVersion(bob, first)).toBeUndefined()
      const bobs = await keyBackups.createVersion(bob, ALGORITHM, { public_key: 'b' })
      expect((await keyBackups.getVersion(bob, bobs))?.authData).toEqual({ public_key: 'b' })
      expect((await keyBackups.getVersion(alice, undefined))?.version).toBe(second)
    })

    it('names no version with a string that is not one it handed out', async () => {
      const { keyBackups } = await open()
      const version = await keyBackups.createVersion(alice, ALGORITHM, { public_key: 'p' })
      for (const name of ['', '0', `0${version}`, `${version}.0`, 'abc', '99999999999999999']) {
        expect(await keyBackups.getVersion(alice, name)).toBeUndefined()
        expect(await keyBackups.getKeys(alice, name, {})).toBeUndefined()
        expect(await keyBackups.deleteVersion(alice, name)).toBe('unknown')
        expect(await keyBackups.updateAuthData(alice, name, {})).toBe(false)
        expect(await keyBackups.deleteKeys(alice, name, {})).toBeUndefined()
      }
    })

    it('updates auth_data of live versions only', async () => {
      const { keyBackups } = await open()
      const version = await keyBackups.createVersion(alice, ALGORITHM, { public_key: 'old' })
      expect(await keyBackups.updateAuthData(alice, version, { public_key: 'new' })).toBe(true)
      expect((await keyBackups.getVersion(alice, version))?.authData).toEqual({
        public_key: 'new',
      })
      expect(await keyBackups.updateAuthData(bob, version, { public_key: 'bob' })).toBe(false)
      await keyBackups.deleteVersion(alice, version)
      expect(await keyBackups.updateAuthData(alice, version, { public_key: 'x' })).toBe(false)
    })

    it('stores keys in the current version only, and counts them', async () => {
      const { keyBackups } = await open()
      expect(await keyBackups.putKeys(alice, '1', [key(roomA, 's1')], better)).toEqual({
        kind: 'no-backup',
      })
      const old = await keyBackups.createVersion(alice, ALGORITHM, { public_key: 'p' })
      const current = await keyBackups.createVersion(alice, ALGORITHM, { public_key: 'q' })
      expect(await keyBackups.putKeys(alice, old, [key(roomA, 's1')], better)).toEqual({
        kind: 'not-current',
        currentVersion: current,
      })
      expect(await keyBackups.putKeys(alice, 'nonsense', [key(roomA, 's1')], better)).toEqual({
        kind: 'not-current',
        currentVersion: current,
      })
      const stored = await keyBackups.putKeys(
        alice,
        current,
        [key(roomA, 's1'), key(roomA, 's2'), key(roomB, 's1')],
        better,
      )
      expect(stored).toMatchObject({ kind: 'stored', count: 3 })
      expect(await keyBackups.getKeys(alice, old, {})).toEqual([])
      expect(await keyBackups.getKeys(alice, current, {})).toEqual([
        key(roomA, 's1'),
        key(roomA, 's2'),
        key(roomB, 's1'),
      ])
      expect(await keyBackups.getKeys(alice, current, { roomId: roomB })).toEqual([
        key(roomB, 's1'),
      ])
      expect(await keyBackups.getKeys(alice, current, { roomId: roomA, sessionId: 's2' })).toEqual([
        key(roomA, 's2'),
      ])
      expect(
        await keyBackups.getKeys(alice, current, { roomId: roomA, sessionId: 'missing' }),
      ).toEqual([])
      expect((await keyBackups.getVersion(alice, current))?.count).toBe(3)
      // Bob sees none of it, not even with alice's version name.
      expect(await keyBackups.getKeys(bob, current, {})).toBeUndefined()
    })

    it('replaces a stored key only where the rule says, and moves the etag only on change', async () => {
      const { keyBackups } = await open()
      const version = await keyBackups.createVersion(alice, ALGORITHM, { public_key: 'p' })
      const etagOf = async (): Promise<string | undefined> =>
        (await keyBackups.getVersion(alice, version))?.etag
      const empty = await etagOf()
      const first = await keyBackups.putKeys(
        alice,
        version,
        [key(roomA, 's', { firstMessageIndex: 5, forwardedCount: 1 })],
        better,
      )
      if (first.kind !== 'stored') throw new Error(first.kind)
      expect(first.etag).not.toBe(empty)
      expect(await etagOf()).toBe(first.etag)

      // Worse (a later first message) and equal keys change nothing, and keep the etag.
      const worse = key(roomA, 's', { firstMessageIndex: 6, sessionData: { ciphertext: 'worse' } })
      const same = key(roomA, 's', {
        firstMessageIndex: 5,
        forwardedCount: 1,
        sessionData: { ciphertext: 'same' },
      })
      const unchanged = await keyBackups.putKeys(alice, version, [worse, same], better)
      expect(unchanged).toEqual({ kind: 'stored', etag: first.etag, count: 1 })
      expect(await keyBackups.putKeys(alice, version, [], better)).toEqual(unchanged)
      expect((await keyBackups.getKeys(alice, version, {}))?.[0]?.sessionData).toEqual({
        ciphertext: 'c-s',
        ephemeral: 'e',
        mac: 'm',
      })

      // A verified key wins even with a worse index.
      const verified = key(roomA, 's', {
        isVerified: true,
        firstMessageIndex: 9,
        forwardedCount: 3,
        sessionData: { ciphertext: 'verified' },
      })
      const replaced = await keyBackups.putKeys(alice, version, [verified], better)
      if (replaced.kind !== 'stored') throw new Error(replaced.kind)
      expect(replaced.count).toBe(1)
      expect(replaced.etag).not.toBe(first.etag)
      expect(await keyBackups.getKeys(alice, version, {})).toEqual([verified])
    })

    it('stores a large batch whole', async () => {
      const { keyBackups } = await open()
      const version = await keyBackups.createVersion(alice, ALGORITHM, { public_key: 'p' })
      const keys = Array.from({ length: 2500 }, (_, i) =>
        key(i % 2 === 0 ? roomA : roomB, `s${String(i).padStart(5, '0')}`),
      )
      const outcome = await keyBackups.putKeys(alice, version, keys, better)
      expect(outcome).toMatchObject({ kind: 'stored', count: 2500 })
      expect(await keyBackups.getKeys(alice, version, { roomId: roomB })).toHaveLength(1250)
    })

    it('writes nothing from a batch when the rule fails part-way', async () => {
      const { keyBackups } = await open()
      const version = await keyBackups.createVersion(alice, ALGORITHM, { public_key: 'p' })
      await keyBackups.putKeys(alice, version, [key(roomA, 'old')], better)
      const before = await keyBackups.getVersion(alice, version)
      const failing = (): boolean => {
        throw new Error('rule failed')
      }
      await expect(
        keyBackups.putKeys(alice, version, [key(roomA, 'new'), key(roomA, 'old')], failing),
      ).rejects.toThrow('rule failed')
      expect(await keyBackups.getVersion(alice, version)).toEqual(before)
      expect(await keyBackups.getKeys(alice, version, {})).toEqual([key(roomA, 'old')])
    })

    it('deletes keys by session, room or all, moving the etag only when some went', async () => {
      const { keyBackups } = await open()
      const version = await keyBackups.createVersion(alice, ALGORITHM, { public_key: 'p' })
      await keyBackups.putKeys(
        alice,
        version,
        [key(roomA, 's1'), key(roomA, 's2'), key(roomB, 's1'), key(roomB, 's2')],
        better,
      )
      const start = await keyBackups.getVersion(alice, version)
      const one = await keyBackups.deleteKeys(alice, version, { roomId: roomA, sessionId: 's1' })
      expect(one?.count).toBe(3)
      expect(one?.etag).not.toBe(start?.etag)
      const none = await keyBackups.deleteKeys(alice, version, { roomId: roomA, sessionId: 's1' })
      expect(none).toEqual(one)
      const room = await keyBackups.deleteKeys(alice, version, { roomId: roomB })
      expect(room?.count).toBe(1)
      expect(await keyBackups.getKeys(alice, version, {})).toEqual([key(roomA, 's2')])
      // Bob deleting with alice's version name touches nothing of hers.
      expect(await keyBackups.deleteKeys(bob, version, {})).toBeUndefined()
      const all = await keyBackups.deleteKeys(alice, version, {})
      expect(all?.count).toBe(0)
      expect(await keyBackups.getKeys(alice, version, {})).toEqual([])
    })

    it('deletes a version with its keys; it is remembered, and never current again', async () => {
      const { keyBackups } = await open()
      const first = await keyBackups.createVersion(alice, ALGORITHM, { public_key: 'p' })
      const second = await keyBackups.createVersion(alice, ALGORITHM, { public_key: 'q' })
      await keyBackups.putKeys(alice, second, [key(roomA, 's')], better)
      expect(await keyBackups.deleteVersion(bob, second)).toBe('unknown')
      expect(await keyBackups.deleteVersion(alice, second)).toBe('deleted')
      expect(await keyBackups.deleteVersion(alice, second)).toBe('already-deleted')
      expect(await keyBackups.getVersion(alice, second)).toBeUndefined()
      expect(await keyBackups.getKeys(alice, second, {})).toBeUndefined()
      // The older version is the newest live one again.
      expect((await keyBackups.getVersion(alice, undefined))?.version).toBe(first)
      expect(await keyBackups.putKeys(alice, second, [key(roomA, 's')], better)).toEqual({
        kind: 'not-current',
        currentVersion: first,
      })
      expect(await keyBackups.deleteVersion(alice, first)).toBe('deleted')
      expect(await keyBackups.getVersion(alice, undefined)).toBeUndefined()
      expect(await keyBackups.putKeys(alice, first, [key(roomA, 's')], better)).toEqual({
        kind: 'no-backup',
      })
      // A new backup after deletions takes a new number, and starts empty.
      const third = await keyBackups.createVersion(alice, ALGORITHM, { public_key: 'r' })
      expect(Number(third)).toBeGreaterThan(Number(second))
      expect(await keyBackups.getVersion(alice, third)).toMatchObject({ count: 0 })
    })

    it('hands out distinct versions to concurrent creations', async () => {
      const { keyBackups } = await open()
      const versions = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          keyBackups.createVersion(alice, ALGORITHM, { public_key: `p${String(i)}` }),
        ),
      )
      expect(new Set(versions).size).toBe(8)
      const newest = String(Math.max(...versions.map(Number)))
      expect((await keyBackups.getVersion(alice, undefined))?.version).toBe(newest)
    })

    it("orders one user's backup changes across processes", async () => {
      if (harness.openSibling === undefined) return
      const storage = await open()
      const sibling = await openSibling(storage)
      const first = await storage.keyBackups.createVersion(alice, ALGORITHM, { public_key: 'p' })
      // A new version and an upload to the old one race from two processes: the keys either
      // land in the old version before it stops being current, or are refused; never both.
      const [created, put] = await Promise.all([
        sibling.keyBackups.createVersion(alice, ALGORITHM, { public_key: 'q' }),
        storage.keyBackups.putKeys(alice, first, [key(roomA, 's')], better),
      ])
      const stored = await storage.keyBackups.getKeys(alice, first, {})
      if (put.kind === 'stored') expect(stored).toEqual([key(roomA, 's')])
      else expect(put).toEqual({ kind: 'not-current', currentVersion: created })
      const versions = await Promise.all([
        storage.keyBackups.createVersion(alice, ALGORITHM, { public_key: 'r' }),
        sibling.keyBackups.createVersion(alice, ALGORITHM, { public_key: 's' }),
      ])
      expect(new Set([first, created, ...versions]).size).toBe(4)
    })

    it('keeps backups across a restart', async () => {
      if (harness.reopen === undefined) return
      const storage = await open()
      const version = await storage.keyBackups.createVersion(alice, ALGORITHM, {
        public_key: 'p',
        nested: { list: [1, 'two', null, true] },
      })
      const stored = key(roomA, 'session', { isVerified: true, firstMessageIndex: 3 })
      await storage.keyBackups.putKeys(alice, version, [stored], better)
      const before = await storage.keyBackups.getVersion(alice, version)
      const again = await reopen(storage)
      expect(await again.keyBackups.getVersion(alice, undefined)).toEqual(before)
      expect(await again.keyBackups.getKeys(alice, version, {})).toEqual([stored])
    })
  })
}

import type { ServerName } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import type { RemoteKeyResponse, RemoteVerifyKey } from '../../federation/keys/remote-key-store.js'
import { useStorages, type StorageHarness } from './harness.js'

const remote = 'remote.example:8448' as ServerName
const other = 'other.example' as ServerName

function key(overrides: Partial<RemoteVerifyKey> & { keyId: string }): RemoteVerifyKey {
  return {
    serverName: remote,
    key: 'l8Hft5qXKn1vfHrg3p4+W8gELQVo8N13JkluMfmn2sQ',
    validUntilTs: 2_000,
    expiredTs: undefined,
    fetchedTs: 1_000,
    ...overrides,
  }
}

function response(validUntilTs: number, marker: string): RemoteKeyResponse {
  return {
    serverName: remote,
    response: {
      server_name: remote,
      valid_until_ts: validUntilTs,
      verify_keys: { 'ed25519:a': { key: marker } },
      signatures: { [remote]: { 'ed25519:a': 'c2ln' } },
    },
    validUntilTs,
    fetchedTs: 1_000,
  }
}

export function remoteKeysContract(harness: StorageHarness): void {
  describe('remote server keys', () => {
    const { open, reopen } = useStorages(harness)

    it('keeps keys and the signed response as given, per server and key ID', async () => {
      const storage = await open()
      expect(await storage.remoteKeys.getKeys(remote)).toEqual([])
      expect(await storage.remoteKeys.getResponse(remote)).toBeUndefined()
      const current = key({ keyId: 'ed25519:a' })
      const old = key({ keyId: 'ed25519:0ld', key: 'b2xk', validUntilTs: 500, expiredTs: 500 })
      const stored = response(2_000, 'first “quoted” \u{1F511}')
      await storage.remoteKeys.storeResponse(stored, [current, old])
      await storage.remoteKeys.storeResponse(
        { ...response(9, 'x'), serverName: other, response: { server_name: other } },
        [key({ serverName: other, keyId: 'ed25519:a', key: 'b3RoZXI' })],
      )

      expect(await storage.remoteKeys.getKeys(remote)).toEqual([old, current])
      expect(await storage.remoteKeys.getKeys(remote, ['ed25519:a', 'ed25519:none'])).toEqual([
        current,
      ])
      expect(await storage.remoteKeys.getKeys(remote, [])).toEqual([])
      expect(await storage.remoteKeys.getResponse(remote)).toEqual(stored)
      expect((await storage.remoteKeys.getKeys(other)).map((k) => k.key)).toEqual(['b3RoZXI'])
    })

    it('merges what later responses say: longer validity, retirement and new key material', async () => {
      const storage = await open()
      const keys = storage.remoteKeys
      await keys.storeResponse(response(2_000, 'a'), [key({ keyId: 'ed25519:a' })])

      // A stale relay says less: the key keeps its longer validity.
      await keys.storeResponse(response(1_500, 'stale'), [
        key({ keyId: 'ed25519:a', validUntilTs: 1_500, fetchedTs: 1_100 }),
      ])
      expect(await keys.getKeys(remote)).toEqual([key({ keyId: 'ed25519:a', fetchedTs: 1_100 })])
      expect((await keys.getResponse(remote))?.response).toEqual(response(2_000, 'a').response)

      // A fresher response extends it and replaces the stored response.
      await keys.storeResponse(response(3_000, 'b'), [
        key({ keyId: 'ed25519:a', validUntilTs: 3_000, fetchedTs: 1_200 }),
      ])
      expect((await keys.getKeys(remote))[0]?.validUntilTs).toBe(3_000)
      expect((await keys.getResponse(remote))?.response).toEqual(response(3_000, 'b').response)

      // Retired: the expiry replaces the validity, and a later listing does not revive it.
      await keys.storeResponse(response(4_000, 'c'), [
        key({ keyId: 'ed25519:a', validUntilTs: 2_500, expiredTs: 2_500, fetchedTs: 1_300 }),
      ])
      await keys.storeResponse(response(5_000, 'd'), [
        key({ keyId: 'ed25519:a', validUntilTs: 5_000, fetchedTs: 1_400 }),
      ])
      expect(await keys.getKeys(remote)).toEqual([
        key({ keyId: 'ed25519:a', validUntilTs: 2_500, expiredTs: 2_500, fetchedTs: 1_400 }),
      ])

      // Other key material under the same ID replaces the row whole.
      const replaced = key({ keyId: 'ed25519:a', key: 'bmV3', validUntilTs: 900, fetchedTs: 1_500 })
      await keys.storeResponse(response(5_000, 'e'), [replaced])
      expect(await keys.getKeys(remote)).toEqual([replaced])
    })

    it('keeps keys across a restart', async () => {
      if (harness.reopen === undefined) return
      const storage = await open()
      const stored = key({ keyId: 'ed25519:a' })
      await storage.remoteKeys.storeResponse(response(2_000, 'a'), [stored])
      const again = await reopen(storage)
      expect(await again.remoteKeys.getKeys(remote)).toEqual([stored])
      expect(await again.remoteKeys.getResponse(remote)).toEqual(response(2_000, 'a'))
    })
  })
}

import type { UserId } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import { useStorages, type StorageHarness } from './harness.js'

const alice = '@alice:test' as UserId
const bob = '@bob:test' as UserId

export function deviceTokensContract(harness: StorageHarness): void {
  describe('access tokens of one device', () => {
    const { open } = useStorages(harness)

    it("deletes only that device's tokens, and keeps the device", async () => {
      const storage = await open()
      for (const userId of [alice, bob]) {
        await storage.accounts.createUser({ userId, createdTs: 1 })
        for (const deviceId of ['D1', 'D2']) {
          await storage.accounts.createDevice({ userId, deviceId, createdTs: 2 })
        }
      }
      const tokens = [
        [alice, 'D1', 'a1'],
        [alice, 'D1', 'a1b'],
        [alice, 'D2', 'a2'],
        [bob, 'D1', 'b1'],
      ] as const
      for (const [userId, deviceId, tokenHash] of tokens) {
        await storage.accounts.createAccessToken({ tokenHash, userId, deviceId, createdTs: 3 })
      }
      expect(await storage.accounts.deleteDeviceAccessTokens(alice, 'D1')).toBe(2)
      expect(await storage.accounts.lookupAccessToken('a1')).toBeUndefined()
      expect(await storage.accounts.lookupAccessToken('a1b')).toBeUndefined()
      expect(await storage.accounts.lookupAccessToken('a2')).toBeDefined()
      expect(await storage.accounts.lookupAccessToken('b1')).toBeDefined()
      expect(await storage.accounts.getDevice(alice, 'D1')).toBeDefined()
      expect(await storage.accounts.deleteDeviceAccessTokens(alice, 'D1')).toBe(0)
      expect(await storage.accounts.deleteDeviceAccessTokens(alice, 'NONE')).toBe(0)
    })
  })
}

import type { UserId } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import type { PusherRecord } from '../pusher-store.js'
import type { Storage } from '../interface.js'
import { useStorages, type StorageHarness } from './harness.js'

const alice = '@alice:test' as UserId
const bob = '@bob:test' as UserId

function pusher(userId: UserId, overrides: Partial<PusherRecord> = {}): PusherRecord {
  return {
    userId,
    deviceId: 'D1',
    kind: 'http',
    appId: 'com.example.app',
    pushkey: 'key-1',
    appDisplayName: 'App',
    deviceDisplayName: 'Phone',
    profileTag: undefined,
    lang: 'en',
    data: { url: 'https://push.example/_matrix/push/v1/notify', format: 'event_id_only', x: [1] },
    pushkeyTs: 1_700_000_000_000,
    ...overrides,
  }
}

async function withDevices(storage: Storage): Promise<void> {
  for (const userId of [alice, bob]) {
    await storage.accounts.createUser({ userId, createdTs: 1 })
    for (const deviceId of ['D1', 'D2']) {
      await storage.accounts.createDevice({ userId, deviceId, createdTs: 2 })
    }
  }
}

export function pushersContract(harness: StorageHarness): void {
  describe('pushers', () => {
    const { open, reopen } = useStorages(harness)

    it('stores pushers as given, replaces by app ID and pushkey, and deletes them', async () => {
      const storage = await open()
      await withDevices(storage)
      const first = pusher(alice, {
        profileTag: 'tag',
        data: { url: 'https://a/', é: '\u{1F4A9}' },
      })
      await storage.pushers.set(first, false)
      await storage.pushers.set(pusher(alice, { pushkey: 'key-0', deviceId: 'D2' }), false)
      expect(await storage.pushers.list(alice)).toEqual([
        pusher(alice, { pushkey: 'key-0', deviceId: 'D2' }),
        first,
      ])
      const replaced = pusher(alice, { lang: 'de', pushkeyTs: 5, deviceId: 'D2' })
      await storage.pushers.set(replaced, false)
      const reopened = await reopen(storage)
      expect(await reopened.pushers.list(alice)).toEqual([
        pusher(alice, { pushkey: 'key-0', deviceId: 'D2' }),
        replaced,
      ])
      expect(await reopened.pushers.usersWithPushers('http')).toEqual([alice])
      expect(await reopened.pushers.usersWithPushers('email')).toEqual([])
      expect(await reopened.pushers.delete(alice, 'com.example.app', 'key-1')).toBe(true)
      expect(await reopened.pushers.delete(alice, 'com.example.app', 'key-1')).toBe(false)
      expect((await reopened.pushers.list(alice)).map((p) => p.pushkey)).toEqual(['key-0'])
    })

    it("removes other users' pushers with the same app ID and pushkey unless appending", async () => {
      const storage = await open()
      await withDevices(storage)
      await storage.pushers.set(pusher(alice), false)
      await storage.pushers.set(pusher(bob), true)
      expect(await storage.pushers.usersWithPushers('http')).toEqual([alice, bob])
      await storage.pushers.set(pusher(bob, { lang: 'fr' }), false)
      expect(await storage.pushers.list(alice)).toEqual([])
      expect(await storage.pushers.list(bob)).toEqual([pusher(bob, { lang: 'fr' })])
    })

    it('deletes pushers with their device and on deactivation', async () => {
      const storage = await open()
      await withDevices(storage)
      await storage.pushers.set(pusher(alice, { deviceId: 'D1' }), false)
      await storage.pushers.set(pusher(alice, { deviceId: 'D2', pushkey: 'key-2' }), false)
      await storage.pushers.set(pusher(bob, { pushkey: 'key-3' }), false)
      await storage.accounts.deleteDevices(alice, ['D1'])
      expect((await storage.pushers.list(alice)).map((p) => p.pushkey)).toEqual(['key-2'])
      await storage.accounts.deactivate(alice)
      expect(await storage.pushers.list(alice)).toEqual([])
      expect(await storage.pushers.list(bob)).toHaveLength(1)
    })
  })
}

import type { RoomId, UserId } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import { useStorages, type StorageHarness } from './harness.js'

const alice = '@alice:test' as UserId
const bob = '@bob:test' as UserId
const room = '!room:test' as RoomId

export function accountDataContract(harness: StorageHarness): void {
  describe('account data and filters', () => {
    const { open } = useStorages(harness)

    it('stores global and per-room account data apart, and replaces on set', async () => {
      const storage = await open()
      const p1 = await storage.accountData.set(alice, undefined, 'm.direct', { '@b:x': ['!r:x'] })
      const p2 = await storage.accountData.set(alice, room, 'm.tag', {
        tags: { 'm.favourite': {} },
      })
      const p3 = await storage.accountData.set(alice, undefined, 'm.direct', { replaced: true })
      expect([p1, p2, p3]).toEqual([1, 2, 3])
      expect(await storage.accountData.get(alice, undefined, 'm.direct')).toEqual({
        replaced: true,
      })
      expect(await storage.accountData.get(alice, room, 'm.tag')).toEqual({
        tags: { 'm.favourite': {} },
      })
      expect(await storage.accountData.get(alice, room, 'm.direct')).toBeUndefined()
      expect(await storage.accountData.get(bob, undefined, 'm.direct')).toBeUndefined()

      expect(await storage.accountData.changesSince(alice, undefined)).toEqual([
        {
          roomId: room,
          type: 'm.tag',
          content: { tags: { 'm.favourite': {} } },
          streamPosition: 2,
        },
        { roomId: undefined, type: 'm.direct', content: { replaced: true }, streamPosition: 3 },
      ])
      expect((await storage.accountData.changesSince(alice, 2)).map((c) => c.type)).toEqual([
        'm.direct',
      ])
      expect((await storage.accountData.changesSince(alice, 0, 2)).map((c) => c.type)).toEqual([
        'm.tag',
      ])
      expect(await storage.accountData.changesSince(bob, undefined)).toEqual([])
    })

    it('content round-trips, unicode and nesting included', async () => {
      const storage = await open()
      const content = { 'é\u{1F600}': [1, -2, true, null, { deep: { deeper: 'x' } }], b: '' }
      await storage.accountData.set(alice, undefined, 'x.test', content)
      expect(await storage.accountData.get(alice, undefined, 'x.test')).toEqual(content)
    })

    it('filters are per user and get their own IDs', async () => {
      const storage = await open()
      const filter = { room: { timeline: { limit: 10 } }, event_fields: ['content.body'] }
      const id = await storage.filters.create(alice, filter)
      const other = await storage.filters.create(alice, { presence: { types: [] } })
      expect(id).toMatch(/^[0-9]+$/)
      expect(other).not.toBe(id)
      expect(await storage.filters.get(alice, id)).toEqual(filter)
      expect(await storage.filters.get(bob, id)).toBeUndefined()
      expect(await storage.filters.get(alice, '999999')).toBeUndefined()
      expect(await storage.filters.get(alice, 'not-a-number')).toBeUndefined()
      expect(await storage.filters.get(alice, `${id}' OR '1'='1`)).toBeUndefined()
    })
  })
}

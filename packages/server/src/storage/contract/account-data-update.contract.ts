import { isJsonObject, type JsonObject, type RoomId, type UserId } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import { useStorages, type StorageHarness } from './harness.js'

const alice = '@alice:test' as UserId
const room = '!room:test' as RoomId

/** Adds one key to a `{tags: {...}}` content, as the tag endpoints do. */
function addTag(name: string) {
  return (current: JsonObject | undefined): JsonObject => {
    const tags = current?.['tags']
    const base = isJsonObject(tags) ? tags : {}
    return { tags: { ...base, [name]: {} } }
  }
}

export function accountDataUpdateContract(harness: StorageHarness): void {
  describe('account data read-modify-write', () => {
    const { open } = useStorages(harness)

    it('stores what the change makes of the current content, at a new position', async () => {
      const storage = await open()
      const first = await storage.accountData.update(alice, room, 'm.tag', (current) => {
        expect(current).toBeUndefined()
        return { tags: { 'u.a': { order: 0.5 } } }
      })
      expect(first).toBe(1)
      const second = await storage.accountData.update(alice, room, 'm.tag', addTag('u.b'))
      expect(second).toBe(2)
      expect(await storage.accountData.get(alice, room, 'm.tag')).toEqual({
        tags: { 'u.a': { order: 0.5 }, 'u.b': {} },
      })
      expect(await storage.accountData.get(alice, undefined, 'm.tag')).toBeUndefined()
      expect(await storage.accountData.changesSince(alice, 1)).toEqual([
        {
          roomId: room,
          type: 'm.tag',
          content: { tags: { 'u.a': { order: 0.5 }, 'u.b': {} } },
          streamPosition: 2,
        },
      ])
    })

    it('no change writes nothing and takes no position', async () => {
      const storage = await open()
      await storage.accountData.set(alice, undefined, 'x.y', { v: 1 })
      const seen: (JsonObject | undefined)[] = []
      const result = await storage.accountData.update(alice, undefined, 'x.y', (current) => {
        seen.push(current)
        return undefined
      })
      expect(result).toBeUndefined()
      expect(seen).toEqual([{ v: 1 }])
      expect(await storage.streams.currentPosition()).toBe(1)
      expect(await storage.accountData.get(alice, undefined, 'x.y')).toEqual({ v: 1 })
      // The next write gets the next position: nothing was skipped.
      expect(await storage.accountData.set(alice, undefined, 'x.y', { v: 2 })).toBe(2)
    })

    it('concurrent changes to one item are all kept', async () => {
      const storage = await open()
      const names = Array.from({ length: 12 }, (_, i) => `u.tag${i}`)
      await Promise.all(
        names.map((name) => storage.accountData.update(alice, room, 'm.tag', addTag(name))),
      )
      const stored = await storage.accountData.get(alice, room, 'm.tag')
      expect(Object.keys((stored?.['tags'] ?? {}) as JsonObject).sort()).toEqual([...names].sort())
      expect(await storage.streams.currentPosition()).toBe(names.length)
    })
  })
}

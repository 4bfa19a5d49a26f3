import type { RoomAlias, RoomId, UserId } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import { useStorages, type StorageHarness } from './harness.js'

const alice = '@alice:test' as UserId
const room = '!room:test' as RoomId
const other = '!other:test' as RoomId
const alias = (name: string): RoomAlias => `#${name}:test` as RoomAlias

export function roomAliasesContract(harness: StorageHarness): void {
  describe('room aliases', () => {
    const { open, reopen, openSibling } = useStorages(harness)

    it('creates, reads, lists and deletes aliases', async () => {
      const storage = await open()
      const record = {
        alias: alias('b'),
        roomId: room,
        creator: alice,
        createdTs: 1_700_000_000_000,
      }
      expect(await storage.roomAliases.createAlias(record)).toBe(true)
      expect(await storage.roomAliases.createAlias({ ...record, alias: alias('a') })).toBe(true)
      expect(
        await storage.roomAliases.createAlias({ ...record, alias: alias('é'), roomId: other }),
      ).toBe(true)
      expect(await storage.roomAliases.getAlias(alias('b'))).toEqual(record)
      expect(await storage.roomAliases.getAlias(alias('none'))).toBeUndefined()
      expect(await storage.roomAliases.roomAliases(room)).toEqual([alias('a'), alias('b')])
      expect(await storage.roomAliases.deleteAlias(alias('a'))).toBe(true)
      expect(await storage.roomAliases.deleteAlias(alias('a'))).toBe(false)
      expect(await storage.roomAliases.roomAliases(room)).toEqual([alias('b')])
      expect(await storage.roomAliases.roomAliases('!empty:test' as RoomId)).toEqual([])
    })

    it('moves every alias of a room to another, keeping creators and leaving others', async () => {
      const storage = await open()
      const upgraded = '!upgraded:test' as RoomId
      const base = { roomId: room, creator: alice, createdTs: 1 }
      await storage.roomAliases.createAlias({ ...base, alias: alias('m1') })
      await storage.roomAliases.createAlias({ ...base, alias: alias('m2') })
      await storage.roomAliases.createAlias({ ...base, alias: alias('stay'), roomId: other })
      expect(await storage.roomAliases.moveAliases(room, upgraded)).toBe(2)
      expect(await storage.roomAliases.roomAliases(room)).toEqual([])
      expect(await storage.roomAliases.roomAliases(upgraded)).toEqual([alias('m1'), alias('m2')])
      expect(await storage.roomAliases.getAlias(alias('m1'))).toEqual({
        ...base,
        alias: alias('m1'),
        roomId: upgraded,
      })
      expect(await storage.roomAliases.roomAliases(other)).toEqual([alias('stay')])
      expect(await storage.roomAliases.moveAliases(room, upgraded)).toBe(0)
    })

    it('hands out an alias once, however many ask at the same time', async () => {
      const storage = await open()
      const attempts = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          storage.roomAliases.createAlias({
            alias: alias('taken'),
            roomId: `!r${i}:test` as RoomId,
            creator: alice,
            createdTs: i,
          }),
        ),
      )
      expect(attempts.filter(Boolean)).toHaveLength(1)
      const winner = attempts.indexOf(true)
      expect((await storage.roomAliases.getAlias(alias('taken')))?.roomId).toBe(`!r${winner}:test`)
    })

    it('keeps aliases across a restart', async () => {
      const storage = await open()
      await storage.roomAliases.createAlias({
        alias: alias('kept'),
        roomId: room,
        creator: alice,
        createdTs: 5,
      })
      const again = await reopen(storage)
      expect((await again.roomAliases.getAlias(alias('kept')))?.roomId).toBe(room)
    })

    if (harness.openSibling !== undefined) {
      it('lets only one process take an alias', async () => {
        const storage = await open()
        const sibling = await openSibling(storage)
        const results = await Promise.all(
          [storage, sibling].map((s, i) =>
            s.roomAliases.createAlias({
              alias: alias('shared'),
              roomId: `!p${i}:test` as RoomId,
              creator: alice,
              createdTs: i,
            }),
          ),
        )
        expect(results.filter(Boolean)).toHaveLength(1)
      })
    }
  })
}

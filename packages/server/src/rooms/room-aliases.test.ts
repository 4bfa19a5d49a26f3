import type { JsonObject, RoomAlias, RoomId } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import { crypto, SERVER_NAME, SIGNING_KEY, userId } from '../testing/room-kit.js'
import { roomTestStorages, useRoomStorage } from '../testing/room-storages.js'
import { aliasFromLocalpart, checkCanonicalAlias } from './room-aliases.js'
import { createRoomContext, type RoomContext } from './room-context.js'

const room = '!room:example.org' as RoomId
const other = '!other:example.org' as RoomId

for (const kind of roomTestStorages()) {
  describe(`checkCanonicalAlias on ${kind.name}`, () => {
    const open = useRoomStorage(kind)

    async function context(): Promise<RoomContext> {
      const storage = await open()
      const ctx = createRoomContext({
        storage,
        serverName: SERVER_NAME,
        signingKey: SIGNING_KEY,
        crypto,
        now: Date.now,
      })
      for (const [alias, roomId] of [
        ['#here:example.org', room],
        ['#also:example.org', room],
        ['#there:example.org', other],
      ] as const) {
        await storage.roomAliases.createAlias({
          alias: alias as RoomAlias,
          roomId,
          creator: userId('alice'),
          createdTs: 1,
        })
      }
      return ctx
    }

    async function check(
      ctx: RoomContext,
      content: JsonObject,
      current?: JsonObject,
    ): Promise<string | undefined> {
      const result = await checkCanonicalAlias(ctx, room, content, current)
      return result.ok ? undefined : result.error.errcode
    }

    it('accepts aliases of this server that point to the room, and any of other servers', async () => {
      const ctx = await context()
      expect(await check(ctx, {})).toBeUndefined()
      expect(await check(ctx, { alias: null })).toBeUndefined()
      expect(await check(ctx, { alias: '#here:example.org' })).toBeUndefined()
      expect(
        await check(ctx, {
          alias: '#here:example.org',
          alt_aliases: ['#also:example.org', '#anything:elsewhere.test'],
        }),
      ).toBeUndefined()
      expect(await check(ctx, { alt_aliases: [] })).toBeUndefined()
    })

    it('is M_BAD_ALIAS for an alias or alternative that points elsewhere or nowhere', async () => {
      const ctx = await context()
      expect(await check(ctx, { alias: '#there:example.org' })).toBe('M_BAD_ALIAS')
      expect(await check(ctx, { alias: '#missing:example.org' })).toBe('M_BAD_ALIAS')
      expect(await check(ctx, { alt_aliases: ['#here:example.org', '#there:example.org'] })).toBe(
        'M_BAD_ALIAS',
      )
      expect(await check(ctx, { alt_aliases: ['#missing:example.org'] })).toBe('M_BAD_ALIAS')
    })

    it('is M_INVALID_PARAM for malformed aliases and lists', async () => {
      const ctx = await context()
      for (const content of [
        { alias: 'here' },
        { alias: '#here' },
        { alias: 5 },
        { alias: ['#here:example.org'] },
        { alt_aliases: '#here:example.org' },
        { alt_aliases: [1] },
        { alt_aliases: [null] },
        { alt_aliases: ['#also:example.org', 'not an alias'] },
        { alt_aliases: ['#bad:not a server'] },
      ] as JsonObject[]) {
        expect({ content, errcode: await check(ctx, content) }).toEqual({
          content,
          errcode: 'M_INVALID_PARAM',
        })
      }
    })

    it('makes aliases from localparts, refusing empty, colon and white space ones', async () => {
      const ctx = await context()
      expect(aliasFromLocalpart(ctx, 'lobby')).toEqual({ ok: true, value: '#lobby:example.org' })
      for (const localpart of ['', 'a:b', 'two words', 'tab\there', 'x'.repeat(300)]) {
        const refused = aliasFromLocalpart(ctx, localpart)
        expect(refused.ok ? undefined : refused.error.errcode).toBe('M_INVALID_PARAM')
      }
    })

    it('does not check again the aliases the current event lists', async () => {
      const ctx = await context()
      const current = { alias: '#gone:example.org', alt_aliases: ['#there:example.org'] }
      expect(await check(ctx, current, current)).toBeUndefined()
      expect(await check(ctx, { alt_aliases: ['#there:example.org'] }, current)).toBeUndefined()
      // A new one still is.
      expect(await check(ctx, { ...current, alt_aliases: ['#missing:example.org'] }, current)).toBe(
        'M_BAD_ALIAS',
      )
    })
  })
}

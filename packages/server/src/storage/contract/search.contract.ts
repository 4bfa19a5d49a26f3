import type { EventId, Pdu } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import type { Storage } from '../interface.js'
import type { SearchPage, SearchQuery } from '../search-store.js'
import { useStorages, type StorageHarness } from './harness.js'
import { append, createRoom, TestRoom } from './test-room.js'

async function persist(storage: Storage, ...events: Pdu[]): Promise<EventId[]> {
  for (const event of events) await append(storage, event)
  return events.map((e) => e.eventId)
}

const found = (page: SearchPage): EventId[] => page.hits.map((hit) => hit.event.pdu.eventId)

export function searchContract(harness: StorageHarness): void {
  describe('search', () => {
    const { open } = useStorages(harness)

    async function setup(): Promise<{ storage: Storage; room: TestRoom; other: TestRoom }> {
      const storage = await open()
      const room = new TestRoom()
      const other = new TestRoom()
      await createRoom(storage, room)
      await createRoom(storage, other)
      return { storage, room, other }
    }

    const base = (room: TestRoom, term: string): SearchQuery => ({
      term,
      rooms: [{ roomId: room.roomId }],
      keys: [],
      order: 'recent',
      limit: 10,
    })

    it('finds messages by a word, stemmed and in any case, in the rooms asked only', async () => {
      const { storage, room, other } = await setup()
      const [running, , shouted] = await persist(
        storage,
        room.message('The dogs were running in the park'),
        room.message('Nothing to see here'),
        room.message('RUN!'),
      )
      await persist(storage, other.message('run elsewhere'))

      const page = await storage.search.search(base(room, 'run'))
      expect(found(page)).toEqual([shouted, running])
      expect(page.count).toBe(2)
      expect(page.more).toBe(false)
      expect(page.hits[1]?.highlights).toEqual(['running'])
      expect(page.hits[0]?.highlights).toEqual(['RUN'])
      expect(page.hits.every((hit) => hit.rank > 0)).toBe(true)

      const both = await storage.search.search({
        ...base(room, 'run'),
        rooms: [{ roomId: room.roomId }, { roomId: other.roomId }],
      })
      expect(both.count).toBe(3)
      expect((await storage.search.search(base(room, 'absent'))).hits).toEqual([])
      expect((await storage.search.search({ ...base(room, 'run'), rooms: [] })).count).toBe(0)
    })

    it('searches room names and topics, and narrows by key, type and sender', async () => {
      const { storage, room } = await setup()
      const bob = `@bob-${room.roomId.slice(1, 9)}:test`
      const [name, topic, message, fromBob] = await persist(
        storage,
        room.state('m.room.name', '', { name: 'Garden club' }),
        room.state('m.room.topic', '', { topic: 'All about the garden' }),
        room.message('my garden is green'),
        room.message('garden party', bob),
      )
      const all = await storage.search.search(base(room, 'garden'))
      expect(found(all)).toEqual([fromBob, message, topic, name])
      const names = await storage.search.search({ ...base(room, 'garden'), keys: ['content.name'] })
      expect(found(names)).toEqual([name])
      const bodies = await storage.search.search({
        ...base(room, 'garden'),
        keys: ['content.body', 'content.topic'],
        filter: { senders: [room.creator] },
      })
      expect(found(bodies)).toEqual([message, topic])
      const notMessages = await storage.search.search({
        ...base(room, 'garden'),
        filter: { notTypes: ['m.room.mess*'] },
      })
      expect(found(notMessages)).toEqual([topic, name])
    })

    it('reads phrases, alternatives and exclusions', async () => {
      const { storage, room } = await setup()
      const [cake, pie, cakeShop] = await persist(
        storage,
        room.message('chocolate cake recipe'),
        room.message('apple pie recipe'),
        room.message('cake shop chocolate'),
      )
      expect(found(await storage.search.search(base(room, '"chocolate cake"')))).toEqual([cake])
      expect(found(await storage.search.search(base(room, 'cake or pie')))).toEqual([
        cakeShop,
        pie,
        cake,
      ])
      // `or` joins the terms beside it only: (cake or pie) and recipe.
      expect(found(await storage.search.search(base(room, 'cake or pie recipe')))).toEqual([
        pie,
        cake,
      ])
      expect(found(await storage.search.search(base(room, 'recipe -pie')))).toEqual([cake])
      expect(found(await storage.search.search(base(room, 'chocolate shop')))).toEqual([cakeShop])
      expect((await storage.search.search(base(room, '-cake'))).hits).toEqual([])
    })

    it('pages recent results by cursor and ranked results by offset', async () => {
      const { storage, room } = await setup()
      const sent = await persist(
        storage,
        ...Array.from({ length: 5 }, (_, i) => room.message(`word number ${i}`)),
        room.message('word word word word'),
      )
      const newestFirst = [...sent].reverse()
      const first = await storage.search.search({ ...base(room, 'word'), limit: 4 })
      expect(found(first)).toEqual(newestFirst.slice(0, 4))
      expect(first.more).toBe(true)
      expect(first.count).toBe(6)
      const second = await storage.search.search({
        ...base(room, 'word'),
        limit: 4,
        after: first.hits.at(-1)?.cursor ?? -1,
      })
      expect(found(second)).toEqual(newestFirst.slice(4))
      expect(second.more).toBe(false)

      const ranked = await storage.search.search({ ...base(room, 'word'), order: 'rank', limit: 3 })
      // The message that is nothing but the word ranks first.
      expect(found(ranked)[0]).toBe(sent[5])
      const ranks = ranked.hits.map((hit) => hit.rank)
      expect([...ranks].sort((a, b) => b - a)).toEqual(ranks)
      const rest = await storage.search.search({
        ...base(room, 'word'),
        order: 'rank',
        limit: 10,
        after: ranked.hits.at(-1)?.cursor ?? -1,
      })
      expect(new Set([...found(ranked), ...found(rest)])).toEqual(new Set(sent))
      expect(rest.hits).toHaveLength(3)
    })

    it('indexes text holding U+0000, which PostgreSQL text cannot', async () => {
      const { storage, room } = await setup()
      const [odd] = await persist(storage, room.message('null\u0000byte inside'))
      expect(found(await storage.search.search(base(room, 'inside')))).toEqual([odd])
    })

    it('stops at the position a room is readable up to', async () => {
      const { storage, room } = await setup()
      const [early] = await persist(storage, room.message('secret plans'))
      const upTo = await storage.streams.currentPosition()
      await persist(storage, room.message('later secret'))
      const page = await storage.search.search({
        ...base(room, 'secret'),
        rooms: [{ roomId: room.roomId, upTo }],
      })
      expect(found(page)).toEqual([early])
      expect(page.count).toBe(1)
    })

    it('drops redacted events from the index, also when the redaction came first', async () => {
      const { storage, room } = await setup()
      const [kept, redacted] = await persist(
        storage,
        room.message('banana bread'),
        room.message('banana split'),
      )
      if (redacted === undefined) throw new Error('nothing sent')
      const early = room.message('banana milkshake')
      await persist(
        storage,
        room.event({ type: 'm.room.redaction', redacts: redacted, content: {} }),
        room.event({ type: 'm.room.redaction', redacts: early.eventId, content: {} }),
        early,
      )
      await append(storage, room.message('banana rejected'), { rejectionReason: 'test' })
      const page = await storage.search.search(base(room, 'banana'))
      expect(found(page)).toEqual([kept])
      expect(page.count).toBe(1)
    })
  })
}

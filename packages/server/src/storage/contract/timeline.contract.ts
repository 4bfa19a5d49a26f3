import type { RoomId, UserId } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import type { Storage, StoredEvent, TimelineQuery } from '../interface.js'
import { useStorages, type StorageHarness } from './harness.js'
import { append, createRoom, TestRoom } from './test-room.js'

const bodies = (events: readonly StoredEvent[]): unknown[] =>
  events.filter((e) => e.pdu.type === 'm.room.message').map((e) => e.pdu.content['body'])

/** Follows `next` tokens to the end and returns every page. */
async function allPages(
  storage: Storage,
  roomId: RoomId,
  query: TimelineQuery,
): Promise<StoredEvent[][]> {
  const pages: StoredEvent[][] = []
  let from = query.from
  for (;;) {
    const page = await storage.events.roomTimeline(roomId, {
      ...query,
      ...(from !== undefined ? { from } : {}),
    })
    pages.push([...page.events])
    if (page.next === undefined) return pages
    from = page.next
    if (pages.length > 100) throw new Error('pagination does not end')
  }
}

export function timelineContract(harness: StorageHarness): void {
  describe('timeline', () => {
    const { open } = useStorages(harness)

    async function roomWithMessages(storage: Storage, count: number): Promise<TestRoom> {
      const room = new TestRoom()
      await createRoom(storage, room)
      for (let i = 1; i <= count; i++) await append(storage, room.message(`m${i}`))
      return room
    }

    it('pages backwards from the end and forwards from the start, with limits', async () => {
      const storage = await open()
      const room = await roomWithMessages(storage, 7)
      const backwards = await allPages(storage, room.roomId, { direction: 'b', limit: 3 })
      expect(backwards.map((page) => page.length)).toEqual([3, 3, 3])
      expect(bodies(backwards.flat())).toEqual(['m7', 'm6', 'm5', 'm4', 'm3', 'm2', 'm1'])
      expect(
        backwards
          .flat()
          .map((e) => e.pdu.type)
          .slice(-2),
      ).toEqual(['m.room.member', 'm.room.create'])

      const forwards = await allPages(storage, room.roomId, { direction: 'f', limit: 4 })
      expect(forwards.map((page) => page.length)).toEqual([4, 4, 1])
      expect(forwards.flat().map((e) => e.pdu.eventId)).toEqual(
        backwards
          .flat()
          .map((e) => e.pdu.eventId)
          .reverse(),
      )
      const positions = forwards.flat().map((e) => e.streamPosition ?? -1)
      expect(positions).toEqual([...positions].sort((a, b) => a - b))
    })

    it('honours from and to in both directions, and interleaved rooms stay apart', async () => {
      const storage = await open()
      const a = new TestRoom()
      const b = new TestRoom()
      await createRoom(storage, a)
      await createRoom(storage, b)
      const positions: number[] = []
      for (let i = 1; i <= 4; i++) {
        positions.push((await append(storage, a.message(`a${i}`))).streamPosition)
        await append(storage, b.message(`b${i}`))
      }
      const [p1, p2, p3, p4] = positions as [number, number, number, number]
      const forward = await storage.events.roomTimeline(a.roomId, {
        direction: 'f',
        from: p1,
        to: p3,
        limit: 10,
      })
      expect(bodies(forward.events)).toEqual(['a2', 'a3'])
      expect(forward.next).toBeUndefined()
      const backward = await storage.events.roomTimeline(a.roomId, {
        direction: 'b',
        from: p4 - 1,
        to: p1,
        limit: 10,
      })
      expect(bodies(backward.events)).toEqual(['a3', 'a2'])
      const tail = await storage.events.roomTimeline(a.roomId, {
        direction: 'b',
        from: p2,
        limit: 2,
      })
      expect(tail.events.map((e) => e.pdu.content['body'] ?? e.pdu.type)).toEqual(['a2', 'a1'])
      expect(tail.next).toBe(p1 - 1)
      const none = await storage.events.roomTimeline(a.roomId, {
        direction: 'f',
        from: p4,
        limit: 5,
      })
      expect(none).toEqual({ events: [], next: undefined })
      expect(
        await storage.events.roomTimeline(new TestRoom().roomId, { direction: 'b', limit: 5 }),
      ).toEqual({ events: [], next: undefined })
    })

    it('applies type and sender filters, wildcards included, in SQL', async () => {
      const storage = await open()
      const room = new TestRoom()
      await createRoom(storage, room)
      const bob = '@bob:test'
      await append(storage, room.member(bob, 'join'))
      await append(storage, room.message('from alice'))
      await append(storage, room.message('from bob', bob))
      await append(storage, room.event({ type: 'm.reaction', content: { body: 'r' } }))
      await append(storage, room.event({ type: 'org.example_x', content: { body: 'x' } }))
      await append(storage, room.event({ type: 'org.exampleyx', content: { body: 'y' } }))
      const types = async (filter: TimelineQuery['filter']): Promise<string[]> => {
        const page = await storage.events.roomTimeline(room.roomId, {
          direction: 'f',
          limit: 50,
          ...(filter !== undefined ? { filter } : {}),
        })
        return page.events.map((e) => e.pdu.type)
      }
      expect(await types({ types: ['m.room.message'] })).toEqual([
        'm.room.message',
        'm.room.message',
      ])
      expect(await types({ types: ['m.room.*'] })).toEqual([
        'm.room.create',
        'm.room.member',
        'm.room.member',
        'm.room.message',
        'm.room.message',
      ])
      // '_' is a literal underscore, not a one-character wildcard.
      expect(await types({ types: ['org.example_*'] })).toEqual(['org.example_x'])
      expect(await types({ types: ['M.ROOM.*'] })).toEqual([])
      expect(await types({ notTypes: ['m.room.*', 'org.*'] })).toEqual(['m.reaction'])
      expect(await types({ types: ['m.*'], notTypes: ['m.room.m*'] })).toEqual([
        'm.room.create',
        'm.reaction',
      ])
      expect(await types({ senders: [bob as UserId] })).toEqual(['m.room.member', 'm.room.message'])
      expect(await types({ notSenders: [room.creator] })).toEqual([
        'm.room.member',
        'm.room.message',
      ])
      expect(await types({ types: [] })).toEqual([])
      expect(await types({ notTypes: [] })).toHaveLength(8)
      // Pagination counts only the events that pass the filter.
      const filter = { types: ['m.room.*'], senders: [room.creator] }
      const first = await storage.events.roomTimeline(room.roomId, {
        direction: 'b',
        limit: 1,
        filter,
      })
      expect(bodies(first.events)).toEqual(['from alice'])
      const rest = await storage.events.roomTimeline(room.roomId, {
        direction: 'b',
        limit: 5,
        from: first.next ?? -1,
        filter,
      })
      expect(rest.events.map((e) => e.pdu.type)).toEqual(['m.room.member', 'm.room.create'])
      expect(rest.next).toBeUndefined()
    })

    it('applies contains_url and ignored senders in SQL, so that pages stay full', async () => {
      const storage = await open()
      const room = new TestRoom()
      await createRoom(storage, room)
      const bob = '@bob:test'
      const file = (body: string, url: unknown, sender?: string): ReturnType<TestRoom['event']> =>
        room.event({
          type: 'm.room.message',
          content: { msgtype: 'm.file', body, url } as never,
          ...(sender === undefined ? {} : { sender }),
        })
      await append(storage, room.member(bob, 'join'))
      await append(storage, file('a.png', 'mxc://test/a'))
      await append(storage, room.message('plain'))
      await append(storage, file('odd', 42))
      const gone = file('gone.png', 'mxc://test/gone')
      await append(storage, gone)
      await append(storage, room.event({ type: 'm.room.redaction', redacts: gone.eventId }))
      await append(storage, file('b.png', 'mxc://test/b', bob))
      await append(storage, room.message('from bob', bob))
      await append(storage, room.state('m.room.topic', '', { topic: 'by alice' }))
      await append(
        storage,
        room.event({
          type: 'm.room.topic',
          stateKey: '',
          sender: bob,
          content: { topic: 'by bob' },
        }),
      )

      const page = async (filter: TimelineQuery['filter'], limit = 50): Promise<unknown[]> => {
        const got = await storage.events.roomTimeline(room.roomId, {
          direction: 'b',
          limit,
          ...(filter === undefined ? {} : { filter }),
        })
        return got.events.map((e) => e.pdu.content['body'] ?? e.pdu.content['topic'] ?? e.pdu.type)
      }
      expect(await page({ containsUrl: true })).toEqual(['b.png', 'a.png'])
      // A short limit still fills the page: the filter runs before the LIMIT.
      expect(await page({ containsUrl: true }, 1)).toEqual(['b.png'])
      expect(await page({ containsUrl: false, types: ['m.room.message'] })).toEqual([
        'from bob',
        'gone.png',
        'odd',
        'plain',
      ])
      // Bob's messages go; his member event and his topic (state) stay.
      expect(await page({ ignoredSenders: [bob as UserId], types: ['m.room.*'] })).toEqual([
        'by bob',
        'by alice',
        'm.room.redaction',
        'gone.png',
        'odd',
        'plain',
        'a.png',
        'm.room.member',
        'm.room.member',
        'm.room.create',
      ])
      expect(await page({ ignoredSenders: [bob as UserId], containsUrl: true }, 1)).toEqual([
        'a.png',
      ])

      const since = await storage.events.eventsSince([room.roomId], {
        since: undefined,
        upTo: await storage.streams.currentPosition(),
        limitPerRoom: 1,
        filter: { containsUrl: true, ignoredSenders: [bob as UserId] },
      })
      expect(since.get(room.roomId)?.events.map((e) => e.pdu.content['body'])).toEqual(['a.png'])
      expect(since.get(room.roomId)?.limited).toBe(false)
    })

    it('eventsSince gives the latest events per room, oldest first, and says when it cut', async () => {
      const storage = await open()
      const quiet = new TestRoom()
      const busy = await roomWithMessages(storage, 6)
      await createRoom(storage, quiet)
      const since = await storage.streams.currentPosition()
      for (let i = 7; i <= 9; i++) await append(storage, busy.message(`m${i}`))
      const upTo = await storage.streams.currentPosition()
      await append(storage, busy.message('after upTo'))
      const unknown = new TestRoom().roomId

      const incremental = await storage.events.eventsSince([busy.roomId, quiet.roomId, unknown], {
        since,
        upTo,
        limitPerRoom: 2,
      })
      expect([...incremental.keys()]).toEqual([busy.roomId])
      expect(bodies(incremental.get(busy.roomId)?.events ?? [])).toEqual(['m8', 'm9'])
      expect(incremental.get(busy.roomId)?.limited).toBe(true)

      const exact = await storage.events.eventsSince([busy.roomId], {
        since,
        upTo,
        limitPerRoom: 3,
      })
      expect(bodies(exact.get(busy.roomId)?.events ?? [])).toEqual(['m7', 'm8', 'm9'])
      expect(exact.get(busy.roomId)?.limited).toBe(false)

      const initial = await storage.events.eventsSince([busy.roomId, quiet.roomId], {
        since: undefined,
        upTo,
        limitPerRoom: 3,
      })
      expect(bodies(initial.get(busy.roomId)?.events ?? [])).toEqual(['m7', 'm8', 'm9'])
      expect(initial.get(quiet.roomId)?.events.map((e) => e.pdu.type)).toEqual([
        'm.room.create',
        'm.room.member',
      ])
      expect(initial.get(quiet.roomId)?.limited).toBe(false)

      const filtered = await storage.events.eventsSince([busy.roomId, quiet.roomId], {
        since: undefined,
        upTo,
        limitPerRoom: 20,
        filter: { notTypes: ['m.room.message'] },
      })
      expect(filtered.get(busy.roomId)?.events.map((e) => e.pdu.type)).toEqual([
        'm.room.create',
        'm.room.member',
      ])
      expect((await storage.events.eventsSince([], { since, upTo, limitPerRoom: 5 })).size).toBe(0)
    })

    it('state events are in the timeline with their state groups', async () => {
      const storage = await open()
      const room = new TestRoom()
      await createRoom(storage, room)
      const name = room.state('m.room.name', '', { name: 'n' })
      const outcome = await append(storage, name)
      const page = await storage.events.roomTimeline(room.roomId, { direction: 'b', limit: 1 })
      const [event] = page.events
      expect(event?.pdu.eventId).toBe(name.eventId)
      expect(event?.stateGroupBefore).toBe(outcome.stateGroupBefore)
      expect(event?.stateGroupAfter).toBe(outcome.stateGroupAfter)
    })
  })
}

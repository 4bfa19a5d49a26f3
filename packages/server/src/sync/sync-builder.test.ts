import type { JsonObject, RoomId, UserId } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import type { Requester } from '../http/authenticate.js'
import { createRoomService, type RoomService } from '../rooms/room-service.js'
import type { Storage } from '../storage/interface.js'
import { crypto, must, SERVER_NAME, SIGNING_KEY, userId } from '../testing/room-kit.js'
import { roomTestStorages, useRoomStorage } from '../testing/room-storages.js'
import { DEFAULT_SYNC_FILTER, parseSyncFilter, type SyncFilter } from './filter/sync-filter.js'
import { buildSync, MAX_TIMELINE_LIMIT, type SyncParams } from './sync-builder.js'
import { parseStrippedList } from './stripped-state.js'

const alice = userId('alice')
const bob = userId('bob')
const as = (user: UserId): Requester => ({ userId: user, deviceId: 'DEV', isGuest: false })

function filter(json: JsonObject): SyncFilter {
  return must(parseSyncFilter(json))
}

for (const kind of roomTestStorages()) {
  describe(`buildSync on ${kind.name}`, () => {
    const open = useRoomStorage(kind)

    async function setup(): Promise<{ storage: Storage; rooms: RoomService }> {
      const storage = await open()
      for (const user of [alice, bob]) {
        await storage.accounts.createUser({ userId: user, createdTs: Date.now() })
      }
      const rooms = createRoomService({
        storage,
        serverName: SERVER_NAME,
        signingKey: SIGNING_KEY,
        crypto,
        now: Date.now,
      })
      return { storage, rooms }
    }

    async function build(
      storage: Storage,
      rooms: RoomService,
      params: Partial<SyncParams> & { readonly userId: UserId },
    ): ReturnType<typeof buildSync> {
      return buildSync(
        { storage, serializer: rooms.serializer, pdus: rooms.pipeline.pdus },
        {
          deviceId: 'DEV',
          since: undefined,
          upTo: await storage.streams.currentPosition(),
          filter: DEFAULT_SYNC_FILTER,
          fullState: false,
          useStateAfter: false,
          ...params,
        },
      )
    }

    async function publicRoom(rooms: RoomService): Promise<RoomId> {
      return must(
        await rooms.createRoom(as(alice), {
          visibility: 'public',
          invite: [],
          initialState: [],
          isDirect: false,
        }),
      )
    }

    it('reports memberships as they were at upTo, not as they became afterwards', async () => {
      const { storage, rooms } = await setup()
      const roomId = await publicRoom(rooms)
      const before = await storage.streams.currentPosition()
      must(await rooms.join(as(bob), { kind: 'id', roomId }, {}))
      must(await rooms.sendMessage(as(alice), roomId, 'm.room.message', 't1', { body: 'hi' }))
      const upTo = await storage.streams.currentPosition()
      // Bob leaves while the request that read upTo is still building.
      must(await rooms.leave(as(bob), roomId, {}))

      const built = await build(storage, rooms, { userId: bob, since: before, upTo })
      expect(Object.keys(built.response.rooms.join)).toEqual([roomId])
      expect(built.response.rooms.leave).toEqual({})
      expect(built.joinedRoomIds).toEqual([roomId])
      const bodies = built.response.rooms.join[roomId]?.timeline.events.map(
        (e) => (e['content'] as JsonObject)['body'],
      )
      expect(bodies).toContain('hi')
      // The next sync reports the leave.
      const next = await build(storage, rooms, { userId: bob, since: upTo })
      expect(Object.keys(next.response.rooms.leave)).toEqual([roomId])

      // An initial sync at upTo sees bob joined there too.
      const initial = await build(storage, rooms, { userId: bob, upTo })
      expect(Object.keys(initial.response.rooms.join)).toEqual([roomId])
    })

    it('puts knocks in the knock section with stripped state', async () => {
      const { storage, rooms } = await setup()
      const roomId = must(
        await rooms.createRoom(as(alice), {
          visibility: 'private',
          invite: [],
          initialState: [
            { type: 'm.room.join_rules', stateKey: '', content: { join_rule: 'knock' } },
          ],
          isDirect: false,
          name: 'Knock here',
        }),
      )
      const since = await storage.streams.currentPosition()
      must(
        await rooms.pipeline.send(roomId, {
          type: 'm.room.member',
          stateKey: bob,
          sender: bob,
          content: { membership: 'knock' },
        }),
      )
      const built = await build(storage, rooms, { userId: bob, since })
      const knock = built.response.rooms.knock[roomId]
      expect(knock?.knock_state.events.map((e) => e.type)).toEqual(
        expect.arrayContaining(['m.room.create', 'm.room.join_rules', 'm.room.name']),
      )
      expect(knock?.knock_state.events.at(-1)).toEqual({
        type: 'm.room.member',
        state_key: bob,
        sender: bob,
        content: { membership: 'knock' },
      })
      expect(built.empty).toBe(false)
      // Alice, joined, sees the knock in her timeline; bob's next sync does not repeat it.
      const later = await build(storage, rooms, {
        userId: bob,
        since: await storage.streams.currentPosition(),
      })
      expect(later.empty).toBe(true)
    })

    it('applies contains_url in the timeline', async () => {
      const { storage, rooms } = await setup()
      const roomId = await publicRoom(rooms)
      const since = await storage.streams.currentPosition()
      must(
        await rooms.sendMessage(as(alice), roomId, 'm.room.message', 'a', {
          msgtype: 'm.image',
          body: 'cat',
          url: 'mxc://example.org/cat',
        }),
      )
      must(await rooms.sendMessage(as(alice), roomId, 'm.room.message', 'b', { body: 'text' }))
      const withUrl = await build(storage, rooms, {
        userId: alice,
        since,
        filter: filter({ room: { timeline: { contains_url: true } } }),
      })
      const events = withUrl.response.rooms.join[roomId]?.timeline.events ?? []
      expect(events.map((e) => (e['content'] as JsonObject)['body'])).toEqual(['cat'])
      const without = await build(storage, rooms, {
        userId: alice,
        since,
        filter: filter({ room: { timeline: { contains_url: false } } }),
      })
      const plain = without.response.rooms.join[roomId]?.timeline.events ?? []
      expect(plain.map((e) => (e['content'] as JsonObject)['body'])).toEqual(['text'])
    })

    it('fills a limited timeline with contains_url matches, filtering before the limit', async () => {
      const { storage, rooms } = await setup()
      const roomId = await publicRoom(rooms)
      const since = await storage.streams.currentPosition()
      const image = (body: string): JsonObject => ({ msgtype: 'm.image', body, url: 'mxc://x/y' })
      must(await rooms.sendMessage(as(alice), roomId, 'm.room.message', '1', image('one')))
      must(await rooms.sendMessage(as(alice), roomId, 'm.room.message', '2', image('two')))
      for (const txn of ['3', '4', '5']) {
        must(await rooms.sendMessage(as(alice), roomId, 'm.room.message', txn, { body: txn }))
      }
      const built = await build(storage, rooms, {
        userId: alice,
        since,
        filter: filter({ room: { timeline: { contains_url: true, limit: 1 } } }),
      })
      const timeline = built.response.rooms.join[roomId]?.timeline
      expect(timeline?.events.map((e) => (e['content'] as JsonObject)['body'])).toEqual(['two'])
      expect(timeline?.limited).toBe(true)
      const both = await build(storage, rooms, {
        userId: alice,
        since,
        filter: filter({ room: { timeline: { contains_url: true, limit: 2 } } }),
      })
      const all = both.response.rooms.join[roomId]?.timeline
      expect(all?.events.map((e) => (e['content'] as JsonObject)['body'])).toEqual(['one', 'two'])
      expect(all?.limited).toBe(false)
    })

    it('applies an ignore list set in the sync range to that same response', async () => {
      const { storage, rooms } = await setup()
      const roomId = await publicRoom(rooms)
      must(await rooms.join(as(bob), { kind: 'id', roomId }, {}))
      const since = await storage.streams.currentPosition()
      must(await rooms.sendMessage(as(bob), roomId, 'm.room.message', 'b', { body: 'from bob' }))
      must(await rooms.sendMessage(as(alice), roomId, 'm.room.message', 'a', { body: 'mine' }))
      await storage.accountData.set(alice, undefined, 'm.ignored_user_list', {
        ignored_users: { [bob]: {} },
      })
      const bodiesFor = async (sinceAt: number | undefined): Promise<unknown[]> => {
        const built = await build(storage, rooms, { userId: alice, since: sinceAt })
        const events = built.response.rooms.join[roomId]?.timeline.events ?? []
        return events
          .filter((e) => e['type'] === 'm.room.message')
          .map((e) => (e['content'] as JsonObject)['body'])
      }
      expect(await bodiesFor(since)).toEqual(['mine'])
      expect(await bodiesFor(undefined)).toEqual(['mine'])
      // The list was set before this range: it is read from storage.
      const later = await storage.streams.currentPosition()
      must(await rooms.sendMessage(as(bob), roomId, 'm.room.message', 'c', { body: 'again' }))
      expect(await bodiesFor(later)).toEqual([])
    })

    it('caps the timeline limit, and takes the newest global account data under a limit', async () => {
      const { storage, rooms } = await setup()
      const roomId = await publicRoom(rooms)
      for (let i = 0; i < MAX_TIMELINE_LIMIT + 5; i++) {
        must(
          await rooms.sendMessage(as(alice), roomId, 'm.room.message', `m${i}`, { body: `${i}` }),
        )
      }
      for (const type of ['a.one', 'a.two', 'a.three']) {
        await storage.accountData.set(alice, undefined, type, { type })
      }
      const built = await build(storage, rooms, {
        userId: alice,
        filter: filter({ room: { timeline: { limit: 100_000 } }, account_data: { limit: 2 } }),
      })
      const timeline = built.response.rooms.join[roomId]?.timeline
      expect(timeline?.events).toHaveLength(MAX_TIMELINE_LIMIT)
      expect(timeline?.limited).toBe(true)
      expect(built.response.account_data.events.map((e) => e.type)).toEqual(['a.two', 'a.three'])
      const none = await build(storage, rooms, {
        userId: alice,
        filter: filter({ room: { timeline: { limit: 0 } }, account_data: { types: ['a.one'] } }),
      })
      expect(none.response.rooms.join[roomId]?.timeline).toMatchObject({
        events: [],
        limited: true,
      })
      expect(none.response.account_data.events.map((e) => e.type)).toEqual(['a.one'])
      // With an empty timeline the state is the whole state at upTo.
      expect(
        none.response.rooms.join[roomId]?.state?.events.some((e) => e['type'] === 'm.room.create'),
      ).toBe(true)
    })

    it('carries a room whose counts the push processor changed, with no new event', async () => {
      const { storage, rooms } = await setup()
      const roomId = await publicRoom(rooms)
      must(await rooms.join(as(bob), { kind: 'id', roomId }, {}))
      const sent = must(
        await rooms.sendMessage(as(alice), roomId, 'm.room.message', 'c1', { body: 'hi' }),
      )
      const since = await storage.streams.currentPosition()
      const at = (await storage.events.getEvent(sent))?.streamPosition ?? 0
      await storage.push.processBatch((position) =>
        Promise.resolve({
          position: Math.max(position, since),
          actions: [],
          // A room action: the outcome bob shares with every member on the default rules.
          roomActions: [
            {
              roomId,
              eventId: sent,
              sender: alice,
              streamPosition: at,
              threadId: 'main',
              actions: ['notify'],
              highlight: false,
              ts: Date.now(),
            },
          ],
          reads: [],
        }),
      )
      const upTo = await storage.streams.currentPosition()
      expect(upTo).toBe(since + 1)
      const asked: RoomId[][] = []
      const unread = {
        countsAt: (_user: UserId, roomIds: readonly RoomId[], to: number) => {
          asked.push([...roomIds])
          return storage.push.unreadCounts(bob, roomIds, to)
        },
      }
      const built = await buildSync(
        { storage, serializer: rooms.serializer, pdus: rooms.pipeline.pdus, unread },
        {
          userId: bob,
          deviceId: 'DEV',
          since,
          upTo,
          filter: DEFAULT_SYNC_FILTER,
          fullState: false,
          useStateAfter: false,
        },
      )
      expect(built.empty).toBe(false)
      const room = built.response.rooms.join[roomId]
      expect(room?.timeline.events).toEqual([])
      expect(room?.unread_notifications).toEqual({ notification_count: 1, highlight_count: 0 })
      expect(asked).toEqual([[roomId]])
      // Alice's counts did not change: nothing for her.
      const hers = await buildSync(
        { storage, serializer: rooms.serializer, pdus: rooms.pipeline.pdus, unread },
        {
          userId: alice,
          deviceId: 'DEV',
          since,
          upTo,
          filter: DEFAULT_SYNC_FILTER,
          fullState: false,
          useStateAfter: false,
        },
      )
      expect(hers.empty).toBe(true)
    })

    it('leaves out rooms the filter excludes, and does not wait on them', async () => {
      const { storage, rooms } = await setup()
      const shown = await publicRoom(rooms)
      const hidden = await publicRoom(rooms)
      const built = await build(storage, rooms, {
        userId: alice,
        filter: filter({ room: { not_rooms: [hidden] } }),
      })
      expect(Object.keys(built.response.rooms.join)).toEqual([shown])
      expect(built.joinedRoomIds).toEqual([shown])
    })

    it('puts a rejected invite in state_after too when use_state_after is on', async () => {
      const { storage, rooms } = await setup()
      const roomId = await publicRoom(rooms)
      must(await rooms.invite(as(alice), roomId, bob, {}))
      const since = await storage.streams.currentPosition()
      must(await rooms.leave(as(bob), roomId, {}))
      const built = await build(storage, rooms, { userId: bob, since, useStateAfter: true })
      const left = built.response.rooms.leave[roomId]
      expect(left?.state).toBeUndefined()
      expect(left?.timeline.events.map((e) => e['type'])).toEqual(['m.room.member'])
      expect(left?.state_after).toEqual({ events: [] })
    })
  })
}

describe('parseStrippedList', () => {
  it('keeps well-formed stripped events and drops the rest', () => {
    expect(parseStrippedList(undefined)).toBeUndefined()
    expect(parseStrippedList({})).toBeUndefined()
    expect(
      parseStrippedList([
        { type: 'm.room.name', state_key: '', sender: '@a:x', content: { name: 'N' }, extra: 1 },
        { type: 'm.room.name', state_key: '', sender: 'nobody', content: {} },
        { type: 'm.room.name', state_key: 5, sender: '@a:x', content: {} },
        { type: 'm.room.name', state_key: '', sender: '@a:x', content: 'x' },
        'junk',
      ]),
    ).toEqual([{ type: 'm.room.name', state_key: '', sender: '@a:x', content: { name: 'N' } }])
  })
})

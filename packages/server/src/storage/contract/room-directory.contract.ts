import type { JsonObject, RoomId } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import type { Storage } from '../interface.js'
import type { PublishedRoomsQuery } from '../room-directory-store.js'
import { useStorages, type StorageHarness } from './harness.js'
import { append, TestRoom } from './test-room.js'

interface RoomSpec {
  readonly published?: boolean
  readonly joined: number
  readonly create?: JsonObject
  readonly state?: Readonly<Record<string, JsonObject>>
}

/** A room with `joined` members and the given state events (by type, state key ''). */
async function makeRoom(storage: Storage, spec: RoomSpec): Promise<TestRoom> {
  const room = new TestRoom()
  await append(
    storage,
    room.event({
      type: 'm.room.create',
      stateKey: '',
      content: { room_version: '12', ...spec.create },
    }),
  )
  await append(storage, room.member(room.creator, 'join'))
  for (let i = 1; i < spec.joined; i++) {
    await append(storage, room.member(`@m${i}-${room.roomId.slice(1, 9)}:test`, 'join'))
  }
  for (const [type, content] of Object.entries(spec.state ?? {})) {
    await append(storage, room.state(type, '', content))
  }
  if (spec.published ?? true) {
    expect(await storage.rooms.setDirectoryVisibility(room.roomId, true)).toBe(true)
  }
  return room
}

async function ids(storage: Storage, query: Partial<PublishedRoomsQuery>): Promise<RoomId[]> {
  const page = await storage.roomDirectory.publishedRooms({ limit: undefined, ...query })
  return page.rooms.map((r) => r.roomId)
}

export function roomDirectoryContract(harness: StorageHarness): void {
  describe('room directory', () => {
    const { open } = useStorages(harness)

    async function directory(
      storage: Storage,
    ): Promise<{ cheese: RoomId; space: RoomId; readable: RoomId }> {
      const cheese = await makeRoom(storage, {
        joined: 3,
        state: {
          'm.room.join_rules': { join_rule: 'public' },
          'm.room.history_visibility': { history_visibility: 'shared' },
          'm.room.guest_access': { guest_access: 'can_join' },
          'm.room.name': { name: 'Cheese Club' },
          'm.room.topic': { topic: 'Tasty 100% cheese_talk' },
          'm.room.canonical_alias': { alias: '#cheese:test' },
          'm.room.avatar': { url: 'mxc://test/cheese' },
        },
      })
      const space = await makeRoom(storage, {
        joined: 2,
        create: { type: 'm.space' },
        state: { 'm.room.join_rules': { join_rule: 'knock' }, 'm.room.name': { name: 'Space' } },
      })
      const readable = await makeRoom(storage, {
        joined: 1,
        state: {
          'm.room.join_rules': { join_rule: 'invite' },
          'm.room.history_visibility': { history_visibility: 'world_readable' },
          'm.room.name': { name: 42 },
        },
      })
      // Published but invite-only and not world-readable: not listed.
      await makeRoom(storage, {
        joined: 5,
        state: { 'm.room.join_rules': { join_rule: 'invite' } },
      })
      // Public join rule, but not published.
      await makeRoom(storage, {
        published: false,
        joined: 4,
        state: { 'm.room.join_rules': { join_rule: 'public' } },
      })
      return { cheese: cheese.roomId, space: space.roomId, readable: readable.roomId }
    }

    it('lists published rooms anyone can reach, most members first, with their state', async () => {
      const storage = await open()
      const { cheese, space, readable } = await directory(storage)
      const page = await storage.roomDirectory.publishedRooms({ limit: undefined })
      expect(page.total).toBe(3)
      expect(page.more).toBe(false)
      expect(page.rooms).toEqual([
        {
          roomId: cheese,
          joinedMembers: 3,
          name: 'Cheese Club',
          topic: 'Tasty 100% cheese_talk',
          canonicalAlias: '#cheese:test',
          avatarUrl: 'mxc://test/cheese',
          joinRule: 'public',
          historyVisibility: 'shared',
          guestAccess: 'can_join',
          roomType: undefined,
        },
        {
          roomId: space,
          joinedMembers: 2,
          name: 'Space',
          topic: undefined,
          canonicalAlias: undefined,
          avatarUrl: undefined,
          joinRule: 'knock',
          historyVisibility: undefined,
          guestAccess: undefined,
          roomType: 'm.space',
        },
        {
          roomId: readable,
          joinedMembers: 1,
          // Not a string: left out.
          name: undefined,
          topic: undefined,
          canonicalAlias: undefined,
          avatarUrl: undefined,
          joinRule: 'invite',
          historyVisibility: 'world_readable',
          guestAccess: undefined,
          roomType: undefined,
        },
      ])
      await storage.rooms.setDirectoryVisibility(space, false)
      expect(await ids(storage, {})).toEqual([cheese, readable])
    })

    it('pages forwards and backwards from a room', async () => {
      const storage = await open()
      const { cheese, space, readable } = await directory(storage)
      const first = await storage.roomDirectory.publishedRooms({ limit: 1 })
      expect(first.rooms.map((r) => r.roomId)).toEqual([cheese])
      expect(first.more).toBe(true)
      expect(first.total).toBe(3)
      const at = (roomId: RoomId, joinedMembers: number, direction: 'forwards' | 'backwards') => ({
        direction,
        joinedMembers,
        roomId,
      })
      const second = await storage.roomDirectory.publishedRooms({
        limit: 1,
        from: at(cheese, 3, 'forwards'),
      })
      expect(second.rooms.map((r) => r.roomId)).toEqual([space])
      expect(second.more).toBe(true)
      const rest = await storage.roomDirectory.publishedRooms({
        limit: 5,
        from: at(cheese, 3, 'forwards'),
      })
      expect(rest.rooms.map((r) => r.roomId)).toEqual([space, readable])
      expect(rest.more).toBe(false)
      const back = await storage.roomDirectory.publishedRooms({
        limit: 1,
        from: at(readable, 1, 'backwards'),
      })
      expect(back.rooms.map((r) => r.roomId)).toEqual([space])
      expect(back.more).toBe(true)
      const backAll = await storage.roomDirectory.publishedRooms({
        limit: 5,
        from: at(readable, 1, 'backwards'),
      })
      expect(backAll.rooms.map((r) => r.roomId)).toEqual([cheese, space])
      expect(backAll.more).toBe(false)
      const past = await storage.roomDirectory.publishedRooms({
        limit: 5,
        from: at(readable, 1, 'forwards'),
      })
      expect(past).toEqual({ rooms: [], more: false, total: 3 })
    })

    it('orders rooms with as many members by room ID', async () => {
      const storage = await open()
      const made = await Promise.all(
        [1, 2, 3].map(() =>
          makeRoom(storage, { joined: 2, state: { 'm.room.join_rules': { join_rule: 'public' } } }),
        ),
      )
      const sorted = made.map((r) => r.roomId).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
      expect(await ids(storage, {})).toEqual(sorted)
      const [a, b, c] = sorted
      if (a === undefined || b === undefined || c === undefined) throw new Error('three rooms')
      const next = await storage.roomDirectory.publishedRooms({
        limit: 1,
        from: { direction: 'forwards', joinedMembers: 2, roomId: a },
      })
      expect(next.rooms.map((r) => r.roomId)).toEqual([b])
      const previous = await storage.roomDirectory.publishedRooms({
        limit: 1,
        from: { direction: 'backwards', joinedMembers: 2, roomId: c },
      })
      expect(previous.rooms.map((r) => r.roomId)).toEqual([b])
    })

    it('filters by a search term in name, topic or alias, and by room type', async () => {
      const storage = await open()
      const { cheese, space, readable } = await directory(storage)
      expect(await ids(storage, { searchTerm: 'CHEESE club' })).toEqual([cheese])
      expect(await ids(storage, { searchTerm: 'tast' })).toEqual([cheese])
      expect(await ids(storage, { searchTerm: '#cheese:' })).toEqual([cheese])
      expect(await ids(storage, { searchTerm: 'spa' })).toEqual([space])
      // LIKE's wildcards are taken literally.
      expect(await ids(storage, { searchTerm: '100%' })).toEqual([cheese])
      expect(await ids(storage, { searchTerm: '%' })).toEqual([cheese])
      expect(await ids(storage, { searchTerm: 'e_t' })).toEqual([cheese])
      expect(await ids(storage, { searchTerm: 's_a' })).toEqual([])
      expect(await ids(storage, { searchTerm: 'nothing like it' })).toEqual([])
      const filtered = await storage.roomDirectory.publishedRooms({
        limit: undefined,
        searchTerm: 'e',
      })
      expect(filtered.total).toBe(2)

      expect(await ids(storage, { roomTypes: [null] })).toEqual([cheese, readable])
      expect(await ids(storage, { roomTypes: ['m.space'] })).toEqual([space])
      expect(await ids(storage, { roomTypes: ['m.space', null] })).toEqual([
        cheese,
        space,
        readable,
      ])
      expect(await ids(storage, { roomTypes: [] })).toEqual([])
    })

    it('reads a redacted name as unset, and follows state changes', async () => {
      const storage = await open()
      const room = await makeRoom(storage, {
        joined: 1,
        state: { 'm.room.join_rules': { join_rule: 'public' } },
      })
      const name = room.state('m.room.name', '', { name: 'Secret' })
      await append(storage, name)
      expect((await storage.roomDirectory.publishedRooms({ limit: 1 })).rooms[0]?.name).toBe(
        'Secret',
      )
      await append(storage, room.event({ type: 'm.room.redaction', redacts: name.eventId }))
      expect(await ids(storage, { searchTerm: 'secret' })).toEqual([])
      expect((await storage.roomDirectory.publishedRooms({ limit: 1 })).rooms[0]?.name).toBe(
        undefined,
      )
      await append(storage, room.member('@second:test', 'join'))
      expect(
        (await storage.roomDirectory.publishedRooms({ limit: 1 })).rooms[0]?.joinedMembers,
      ).toBe(2)
      await append(storage, room.state('m.room.join_rules', '', { join_rule: 'invite' }))
      expect(await ids(storage, {})).toEqual([])
    })

    it('reads a name holding U+0000 as unset rather than failing the listing', async () => {
      const storage = await open()
      const room = await makeRoom(storage, {
        joined: 1,
        state: {
          'm.room.join_rules': { join_rule: 'public' },
          'm.room.name': { name: 'nul\u0000name' },
          'm.room.topic': { topic: 'fine' },
        },
      })
      const page = await storage.roomDirectory.publishedRooms({ limit: 5, searchTerm: 'fine' })
      expect(page.rooms.map((r) => [r.roomId, r.name, r.topic])).toEqual([
        [room.roomId, undefined, 'fine'],
      ])
    })
  })
}

import { describe, expect, it } from 'vitest'
import type { TestUser } from '../../testing/fake-authenticate.js'
import { expectMatchesSpec } from '../../testing/openapi-spec.js'
import { roomTestStorages } from '../../testing/room-storages.js'
import { useSyncTestServer, type SyncTestServer } from '../../testing/sync-test-server.js'

const V3 = '/_matrix/client/v3'
const SEARCH = `${V3}/search`

interface Event {
  readonly event_id: string
  readonly type: string
  readonly sender: string
  readonly room_id: string
  readonly content: Record<string, unknown>
  readonly unsigned?: Record<string, unknown>
}
interface Result {
  readonly rank: number
  readonly result: Event
  readonly context?: {
    readonly start?: string
    readonly end?: string
    readonly events_before: Event[]
    readonly events_after: Event[]
    readonly profile_info?: Record<string, { displayname?: string }>
  }
}
interface RoomEvents {
  readonly results: Result[]
  readonly count: number
  readonly highlights: string[]
  readonly next_batch?: string
  readonly groups?: Record<string, Record<string, { order: number; results: string[] }>>
  readonly state?: Record<string, Event[]>
}

const room = (roomId: string, rest: string): string =>
  `${V3}/rooms/${encodeURIComponent(roomId)}/${rest}`

async function createRoom(t: SyncTestServer, user: TestUser, body: object = {}): Promise<string> {
  const reply = await t.call('POST', `${V3}/createRoom`, { user, body })
  expect(reply.status).toBe(200)
  return (reply.body as { room_id: string }).room_id
}

let txn = 0
async function say(t: SyncTestServer, user: TestUser, roomId: string, body: string) {
  const reply = await t.call('PUT', room(roomId, `send/m.room.message/s${++txn}`), {
    user,
    body: { msgtype: 'm.text', body },
  })
  expect(reply.status).toBe(200)
  return (reply.body as { event_id: string }).event_id
}

async function post(t: SyncTestServer, user: TestUser, path: string, body: object = {}) {
  const reply = await t.call('POST', path, { user, body })
  expect(reply.status, JSON.stringify(reply.body)).toBe(200)
}

async function search(
  t: SyncTestServer,
  user: TestUser,
  criteria: object,
  nextBatch?: string,
): Promise<RoomEvents> {
  const query = nextBatch === undefined ? '' : `?next_batch=${encodeURIComponent(nextBatch)}`
  const reply = await t.call('POST', `${SEARCH}${query}`, {
    user,
    body: { search_categories: { room_events: criteria } },
  })
  expect(reply.status, JSON.stringify(reply.body)).toBe(200)
  expectMatchesSpec('client-server', 'search.yaml', 'POST', SEARCH, 200, reply.body)
  return (reply.body as { search_categories: { room_events: RoomEvents } }).search_categories
    .room_events
}

const found = (events: RoomEvents): string[] => events.results.map((r) => r.result.event_id)

for (const kind of roomTestStorages()) {
  describe(`POST /search on ${kind.name}`, () => {
    const start = useSyncTestServer(kind)

    it('finds a message by a word in it, in every room the user is in', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const bob = await t.users.user('bob')
      const one = await createRoom(t, alice, { name: 'Kitchen' })
      const two = await createRoom(t, alice, { topic: 'Baking bread' })
      const bobs = await createRoom(t, bob)
      const cake = await say(t, alice, one, 'I baked a chocolate cake')
      await say(t, alice, one, 'nothing to see')
      const more = await say(t, alice, two, 'More cakes tomorrow')
      await say(t, bob, bobs, 'cake in a room alice is not in')

      const page = await search(t, alice, { search_term: 'cake', order_by: 'recent' })
      expect(found(page)).toEqual([more, cake])
      expect(page.count).toBe(2)
      expect(page.highlights.sort()).toEqual(['cake', 'cakes'])
      expect(page.next_batch).toBeUndefined()
      expect(page.results[0]?.result.room_id).toBe(two)
      expect(page.results.every((r) => r.rank > 0)).toBe(true)

      // Room names and topics are searched too, and keys narrow the search.
      const topics = await search(t, alice, { search_term: 'bread', keys: ['content.topic'] })
      expect(topics.results.map((r) => r.result.type)).toEqual(['m.room.topic'])
      expect((await search(t, alice, { search_term: 'bread', keys: ['content.body'] })).count).toBe(
        0,
      )
      const names = await search(t, alice, { search_term: 'kitchen' })
      expect(names.results.map((r) => r.result.type)).toEqual(['m.room.name'])

      // The filter narrows by room and sender.
      const inOne = await search(t, alice, { search_term: 'cake', filter: { rooms: [one] } })
      expect(found(inOne)).toEqual([cake])
      const notOne = await search(t, alice, { search_term: 'cake', filter: { not_rooms: [one] } })
      expect(found(notOne)).toEqual([more])
      const byBob = await search(t, alice, {
        search_term: 'cake',
        filter: { senders: [bob.userId] },
      })
      expect(byBob.results).toEqual([])
    })

    it('pages results with next_batch in both orders', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const roomId = await createRoom(t, alice)
      const sent: string[] = []
      for (let i = 0; i < 5; i++) sent.push(await say(t, alice, roomId, `apple number ${i}`))
      const newestFirst = [...sent].reverse()
      const criteria = { search_term: 'apple', order_by: 'recent', filter: { limit: 2 } }
      const seen: string[] = []
      let token: string | undefined
      for (let page = 0; page < 5; page++) {
        const results = await search(t, alice, criteria, token)
        seen.push(...found(results))
        expect(results.count).toBe(5)
        token = results.next_batch
        if (token === undefined) break
      }
      expect(seen).toEqual(newestFirst)

      const ranked: string[] = []
      token = undefined
      for (let page = 0; page < 5; page++) {
        const results = await search(t, alice, { ...criteria, order_by: 'rank' }, token)
        ranked.push(...found(results))
        token = results.next_batch
        if (token === undefined) break
      }
      expect(ranked.sort()).toEqual([...sent].sort())

      // A token from one order is not one for the other.
      const first = await search(t, alice, criteria)
      const mixed = await t.call(
        'POST',
        `${SEARCH}?next_batch=${encodeURIComponent(first.next_batch ?? '')}`,
        { user: alice, body: { search_categories: { room_events: { search_term: 'apple' } } } },
      )
      expect(mixed.status).toBe(400)
      expect((mixed.body as { errcode: string }).errcode).toBe('M_INVALID_PARAM')
    })

    it('gives context, historic profiles, room state and groups on request', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const roomId = await createRoom(t, alice)
      const put = await t.call('PUT', room(roomId, `state/m.room.member/${alice.userId}`), {
        user: alice,
        body: { membership: 'join', displayname: 'Alice A.' },
      })
      expect(put.status).toBe(200)
      const before = await say(t, alice, roomId, 'before')
      const hit = await say(t, alice, roomId, 'the needle')
      const after = await say(t, alice, roomId, 'after')
      const results = await search(t, alice, {
        search_term: 'needle',
        event_context: { before_limit: 1, after_limit: 3, include_profile: true },
        include_state: true,
        groupings: { group_by: [{ key: 'room_id' }, { key: 'sender' }] },
      })
      const [result] = results.results
      expect(result?.result.event_id).toBe(hit)
      expect(result?.context?.events_before.map((e) => e.event_id)).toEqual([before])
      expect(result?.context?.events_after.map((e) => e.event_id)).toEqual([after])
      expect(result?.context?.profile_info?.[alice.userId]?.displayname).toBe('Alice A.')
      expect(typeof result?.context?.start).toBe('string')
      // The context tokens page /messages.
      const older = await t.call(
        'GET',
        room(roomId, `messages?dir=b&limit=1&from=${result?.context?.start ?? ''}`),
        { user: alice },
      )
      expect((older.body as { chunk: Event[] }).chunk[0]?.type).toBe('m.room.member')
      expect(results.state?.[roomId]?.some((e) => e.type === 'm.room.create')).toBe(true)
      expect(results.groups).toEqual({
        room_id: { [roomId]: { order: 1, results: [hit] } },
        sender: { [alice.userId]: { order: 1, results: [hit] } },
      })
    })

    it('searches only what the user may see: up to a departure, and after a joined-only join', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const bob = await t.users.user('bob')
      const carol = await t.users.user('carol')
      const roomId = await createRoom(t, alice, { preset: 'public_chat' })
      await post(t, bob, room(roomId, 'join'))
      const seen = await say(t, alice, roomId, 'secret one')
      await post(t, bob, room(roomId, 'leave'))
      await say(t, alice, roomId, 'secret two')
      expect(found(await search(t, bob, { search_term: 'secret' }))).toEqual([seen])
      // Carol was never in the room.
      expect((await search(t, carol, { search_term: 'secret' })).results).toEqual([])
      // Once bob forgets the room, its history is not his to search.
      await post(t, bob, room(roomId, 'forget'))
      expect((await search(t, bob, { search_term: 'secret' })).results).toEqual([])

      const joinedOnly = await createRoom(t, alice, {
        preset: 'public_chat',
        initial_state: [
          {
            type: 'm.room.history_visibility',
            state_key: '',
            content: { history_visibility: 'joined' },
          },
        ],
      })
      await say(t, alice, joinedOnly, 'hidden word')
      await post(t, carol, room(joinedOnly, 'join'))
      const visible = await say(t, alice, joinedOnly, 'visible word')
      expect(found(await search(t, carol, { search_term: 'word' }))).toEqual([visible])
    })

    it('refuses malformed requests with the right error codes', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const cases: [unknown, number, string][] = [
        [{}, 400, 'M_MISSING_PARAM'],
        [{ search_categories: [] }, 400, 'M_BAD_JSON'],
        [{ search_categories: { room_events: {} } }, 400, 'M_MISSING_PARAM'],
        [{ search_categories: { room_events: { search_term: 5 } } }, 400, 'M_BAD_JSON'],
        [
          { search_categories: { room_events: { search_term: 'x', order_by: 'oldest' } } },
          400,
          'M_INVALID_PARAM',
        ],
        [
          { search_categories: { room_events: { search_term: 'x', keys: ['content.url'] } } },
          400,
          'M_INVALID_PARAM',
        ],
        [
          { search_categories: { room_events: { search_term: 'x', filter: { limit: 0 } } } },
          400,
          'M_INVALID_PARAM',
        ],
        [
          {
            search_categories: {
              room_events: { search_term: 'x', event_context: { before_limit: -1 } },
            },
          },
          400,
          'M_INVALID_PARAM',
        ],
        [
          {
            search_categories: {
              room_events: { search_term: 'x', groupings: { group_by: [{ key: 'type' }] } },
            },
          },
          400,
          'M_INVALID_PARAM',
        ],
        [
          { search_categories: { room_events: { search_term: 'x'.repeat(1001) } } },
          400,
          'M_INVALID_PARAM',
        ],
      ]
      for (const [body, status, errcode] of cases) {
        const reply = await t.call('POST', SEARCH, { user: alice, body })
        expect(reply.status, JSON.stringify(body)).toBe(status)
        expect((reply.body as { errcode: string }).errcode, JSON.stringify(body)).toBe(errcode)
      }
      const badToken = await t.call('POST', `${SEARCH}?next_batch=zzz`, {
        user: alice,
        body: { search_categories: { room_events: { search_term: 'x' } } },
      })
      expect(badToken.status).toBe(400)
      expect((badToken.body as { errcode: string }).errcode).toBe('M_INVALID_PARAM')
      const anonymous = await t.call('POST', SEARCH, { body: { search_categories: {} } })
      expect(anonymous.status).toBe(401)
      // No category asked: nothing to search, nothing found.
      const empty = await t.call('POST', SEARCH, { user: alice, body: { search_categories: {} } })
      expect(empty.status).toBe(200)
      expect(empty.body).toEqual({ search_categories: {} })
    })
  })
}

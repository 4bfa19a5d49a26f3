/**
 * History over federation: a user of server B joins a room on server A long after it began. B's
 * history of the room starts at the join, so when B's client reads back with /messages, B asks A
 * for the rest (/backfill, and /state_ids where it needs the state), checks it, and hands it on
 * in order. One of the servers runs on PostgreSQL when RHIZOME_TEST_POSTGRES is set.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BACKENDS } from './harness/backends.js'
import { startFederation, type Federation } from './harness/federation.js'
import { registerAccount, type Account } from './harness/matrix-clients.js'

const MESSAGES = 60
const PAGE = 25

interface ClientEvent {
  readonly type: string
  readonly event_id: string
  readonly content: { readonly body?: unknown }
}

async function call(
  baseUrl: string,
  account: Account,
  method: string,
  path: string,
  body?: object,
): Promise<Record<string, unknown>> {
  const response = await fetch(`${baseUrl}/_matrix/client/v3${path}`, {
    method,
    headers: {
      authorization: `Bearer ${account.accessToken}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  const json = (await response.json()) as Record<string, unknown>
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`)
  return json
}

/** Each backend once as the room's server and once as the late joiner's (with PostgreSQL on). */
const PAIRS = [
  [...BACKENDS, ...BACKENDS].slice(0, 2),
  [...BACKENDS, ...BACKENDS].slice(0, 2).reverse(),
].filter((pair, i) => i === 0 || BACKENDS.length > 1)

describe.each(PAIRS.map((pair) => ({ pair, names: pair.map((b) => b.name).join(' -> ') })))(
  'room history across servers ($names)',
  ({ pair }) => {
    let federation: Federation

    beforeAll(async () => {
      federation = await startFederation(pair)
    }, 90_000)

    afterAll(async () => {
      await federation.close()
    })

    it('gives a late joiner every earlier message, in order, fetched from the room’s server', async () => {
      const [a, b] = federation.servers
      if (a === undefined || b === undefined) throw new Error('need two servers')
      const alice = await registerAccount(a.server.baseUrl, 'alice')
      const bob = await registerAccount(b.server.baseUrl, 'bob')
      const created = await call(a.server.baseUrl, alice, 'POST', '/createRoom', {
        preset: 'public_chat',
        name: 'Long history',
      })
      const roomId = String(created['room_id'])
      const room = encodeURIComponent(roomId)
      for (let i = 0; i < MESSAGES; i++) {
        await call(a.server.baseUrl, alice, 'PUT', `/rooms/${room}/send/m.room.message/m${i}`, {
          msgtype: 'm.text',
          body: `message ${i}`,
        })
      }
      await call(b.server.baseUrl, bob, 'POST', `/join/${room}?server_name=${a.serverName}`, {})

      // Bob's client reads back from now, page by page, until the server has nothing older.
      const started = performance.now()
      const bodies: string[] = []
      const types: string[] = []
      let from: string | undefined
      for (let page = 0; page < 20; page++) {
        const query = new URLSearchParams({ dir: 'b', limit: String(PAGE) })
        if (from !== undefined) query.set('from', from)
        const answer = await call(
          b.server.baseUrl,
          bob,
          'GET',
          `/rooms/${room}/messages?${query.toString()}`,
        )
        const chunk = answer['chunk'] as ClientEvent[]
        for (const event of chunk) {
          types.push(event.type)
          if (event.type === 'm.room.message') bodies.push(String(event.content.body))
        }
        if (typeof answer['end'] !== 'string') break
        from = answer['end']
      }
      const elapsed = performance.now() - started
      console.log(`read ${types.length} events back over federation in ${Math.round(elapsed)} ms`)

      const expected = Array.from({ length: MESSAGES }, (_, i) => `message ${MESSAGES - 1 - i}`)
      expect(bodies).toEqual(expected)
      // Down to the room's beginning, after Bob's own join at the top.
      expect(types[0]).toBe('m.room.member')
      expect(types.at(-1)).toBe('m.room.create')

      // The history is not news: Bob's next sync from before reports none of it.
      const sync = await call(b.server.baseUrl, bob, 'GET', '/sync?timeout=0')
      const joined = (
        sync['rooms'] as { join?: Record<string, { timeline: { events: ClientEvent[] } }> }
      ).join?.[roomId]
      const synced = (joined?.timeline.events ?? []).map((e) => e.content.body)
      expect(
        synced.filter((body) => typeof body === 'string' && body.startsWith('message')),
      ).toEqual([])
    }, 180_000)
  },
)

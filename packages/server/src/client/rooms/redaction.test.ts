/**
 * A redacted event is served in its room version's redacted form, with the redaction in
 * `unsigned.redacted_because`, by every endpoint that serves events.
 */
import { describe, expect, it } from 'vitest'
import type { TestUser } from '../../testing/fake-authenticate.js'
import { expectMatchesSpec } from '../../testing/openapi-spec.js'
import { roomTestStorages } from '../../testing/room-storages.js'
import { useSyncTestServer, type SyncTestServer } from '../../testing/sync-test-server.js'

const V1 = '/_matrix/client/v1'
const V3 = '/_matrix/client/v3'

interface Event {
  readonly event_id: string
  readonly type: string
  readonly content: Record<string, unknown>
  readonly redacts?: string
  readonly unsigned?: { redacted_because?: Event } & Record<string, unknown>
}

const room = (roomId: string, rest: string, version = V3): string =>
  `${version}/rooms/${encodeURIComponent(roomId)}/${rest}`

let txn = 0
async function call(
  t: SyncTestServer,
  user: TestUser,
  method: string,
  path: string,
  body?: object,
): Promise<unknown> {
  const reply = await t.call(method, path, { user, ...(body === undefined ? {} : { body }) })
  expect(reply.status, `${method} ${path}: ${JSON.stringify(reply.body)}`).toBe(200)
  return reply.body
}

async function send(t: SyncTestServer, user: TestUser, roomId: string, content: object) {
  const body = await call(t, user, 'PUT', room(roomId, `send/m.room.message/d${++txn}`), content)
  return (body as { event_id: string }).event_id
}

async function redact(t: SyncTestServer, user: TestUser, roomId: string, target: string) {
  const path = room(roomId, `redact/${encodeURIComponent(target)}/d${++txn}`)
  const body = await call(t, user, 'PUT', path, { reason: 'spam' })
  return (body as { event_id: string }).event_id
}

/** The redacted message as every endpoint must serve it. */
function expectRedacted(event: Event | undefined, target: string, redaction: string): void {
  expect(event?.event_id).toBe(target)
  expect(event?.content).toEqual({})
  const because = event?.unsigned?.redacted_because
  expect(because?.event_id).toBe(redaction)
  expect(because?.type).toBe('m.room.redaction')
  expect(because?.content).toEqual({ redacts: target, reason: 'spam' })
  expect(because?.redacts).toBe(target)
}

for (const kind of roomTestStorages()) {
  describe(`redacted events on ${kind.name}`, () => {
    const start = useSyncTestServer(kind)

    it('are served redacted with redacted_because by every endpoint', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const roomId = await (async () => {
        const body = await call(t, alice, 'POST', `${V3}/createRoom`, {})
        return (body as { room_id: string }).room_id
      })()
      const before = await send(t, alice, roomId, { msgtype: 'm.text', body: 'before' })
      const target = await send(t, alice, roomId, {
        msgtype: 'm.text',
        body: 'unwanted words here',
        'm.relates_to': { rel_type: 'm.thread', event_id: before },
      })
      const after = await send(t, alice, roomId, { msgtype: 'm.text', body: 'after unwanted' })
      const redaction = await redact(t, alice, roomId, target)

      // /event
      const single = await call(
        t,
        alice,
        'GET',
        room(roomId, `event/${encodeURIComponent(target)}`),
      )
      expectMatchesSpec(
        'client-server',
        'rooms.yaml',
        'GET',
        `${V3}/rooms/{roomId}/event/{eventId}`,
        200,
        single,
      )
      expectRedacted(single as Event, target, redaction)

      // /messages
      const messages = (await call(t, alice, 'GET', room(roomId, 'messages?dir=b&limit=20'))) as {
        chunk: Event[]
      }
      expectRedacted(
        messages.chunk.find((e) => e.event_id === target),
        target,
        redaction,
      )

      // /context, as the event and around another
      const context = (await call(
        t,
        alice,
        'GET',
        room(roomId, `context/${encodeURIComponent(target)}`),
      )) as { event: Event }
      expectMatchesSpec(
        'client-server',
        'event_context.yaml',
        'GET',
        `${V3}/rooms/{roomId}/context/{eventId}`,
        200,
        context,
      )
      expectRedacted(context.event, target, redaction)
      const around = (await call(
        t,
        alice,
        'GET',
        room(roomId, `context/${encodeURIComponent(after)}?limit=4`),
      )) as { events_before: Event[] }
      expectRedacted(
        around.events_before.find((e) => e.event_id === target),
        target,
        redaction,
      )

      // /sync
      const synced = (await call(t, alice, 'GET', `${V3}/sync`)) as {
        rooms: { join: Record<string, { timeline: { events: Event[] } }> }
      }
      const timeline = synced.rooms.join[roomId]?.timeline.events ?? []
      expectRedacted(
        timeline.find((e) => e.event_id === target),
        target,
        redaction,
      )

      // The redacted reply lost its relation: the root's thread and /relations no longer have it.
      const children = (await call(
        t,
        alice,
        'GET',
        room(roomId, `relations/${encodeURIComponent(before)}`, V1),
      )) as { chunk: Event[] }
      expect(children.chunk).toEqual([])
      const root = (await call(
        t,
        alice,
        'GET',
        room(roomId, `event/${encodeURIComponent(before)}`),
      )) as Event
      expect(root.unsigned?.['m.relations']).toBeUndefined()

      // /search: the redacted text is gone from the index, and context shows the redacted form.
      const found = (await call(t, alice, 'POST', `${V3}/search`, {
        search_categories: {
          room_events: { search_term: 'unwanted', event_context: { before_limit: 2 } },
        },
      })) as {
        search_categories: {
          room_events: { results: { result: Event; context: { events_before: Event[] } }[] }
        }
      }
      const results = found.search_categories.room_events.results
      expect(results.map((r) => r.result.event_id)).toEqual([after])
      expectRedacted(
        results[0]?.context.events_before.find((e) => e.event_id === target),
        target,
        redaction,
      )
    })

    it('serves a redacted thread root redacted from /threads, and a redacted member with its membership', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const body = await call(t, alice, 'POST', `${V3}/createRoom`, {})
      const roomId = (body as { room_id: string }).room_id
      const root = await send(t, alice, roomId, { msgtype: 'm.text', body: 'root' })
      await send(t, alice, roomId, {
        msgtype: 'm.text',
        body: 'reply',
        'm.relates_to': { rel_type: 'm.thread', event_id: root },
      })
      const redaction = await redact(t, alice, roomId, root)
      const threads = (await call(t, alice, 'GET', room(roomId, 'threads', V1))) as {
        chunk: Event[]
      }
      expectMatchesSpec(
        'client-server',
        'threads_list.yaml',
        'GET',
        `${V1}/rooms/{roomId}/threads`,
        200,
        threads,
      )
      const [served] = threads.chunk
      expectRedacted(served, root, redaction)
      // The thread outlives its redacted root.
      expect(served?.unsigned?.['m.relations']).toMatchObject({ 'm.thread': { count: 1 } })

      const member = (await call(
        t,
        alice,
        'PUT',
        room(roomId, `state/m.room.member/${encodeURIComponent(alice.userId)}`),
        { membership: 'join', displayname: 'Alice' },
      )) as { event_id: string }
      const memberRedaction = await redact(t, alice, roomId, member.event_id)
      const state = (await call(t, alice, 'GET', room(roomId, 'state'))) as Event[]
      const redactedMember = state.find((e) => e.event_id === member.event_id)
      expect(redactedMember?.content).toEqual({ membership: 'join' })
      expect(redactedMember?.unsigned?.redacted_because?.event_id).toBe(memberRedaction)
    })
  })
}

import { describe, expect, it } from 'vitest'
import type { TestUser } from '../../testing/fake-authenticate.js'
import { expectMatchesSpec } from '../../testing/openapi-spec.js'
import { roomTestStorages } from '../../testing/room-storages.js'
import { useSyncTestServer, type SyncTestServer } from '../../testing/sync-test-server.js'

const V1 = '/_matrix/client/v1'
const V3 = '/_matrix/client/v3'
const RELATIONS = `${V1}/rooms/{roomId}/relations/{eventId}`
const BY_REL_TYPE = `${RELATIONS}/{relType}`
const BY_EVENT_TYPE = `${BY_REL_TYPE}/{eventType}`
const THREADS = `${V1}/rooms/{roomId}/threads`

interface Event {
  readonly event_id: string
  readonly type: string
  readonly sender: string
  readonly content: Record<string, unknown>
  readonly unsigned?: { 'm.relations'?: Relations } & Record<string, unknown>
}
interface Relations {
  readonly 'm.replace'?: Event
  readonly 'm.thread'?: { latest_event: Event; count: number; current_user_participated: boolean }
  readonly 'm.reference'?: { chunk: { event_id: string }[] }
  readonly 'm.annotation'?: unknown
}
interface RelationsBody {
  readonly chunk: Event[]
  readonly next_batch?: string
  readonly prev_batch?: string
  readonly recursion_depth?: number
}

const room = (roomId: string, rest: string): string =>
  `${V3}/rooms/${encodeURIComponent(roomId)}/${rest}`
const v1room = (roomId: string, rest: string): string =>
  `${V1}/rooms/${encodeURIComponent(roomId)}/${rest}`

async function createRoom(t: SyncTestServer, user: TestUser, body: object = {}): Promise<string> {
  const reply = await t.call('POST', `${V3}/createRoom`, { user, body })
  expect(reply.status).toBe(200)
  return (reply.body as { room_id: string }).room_id
}

let txn = 0
async function sendEvent(
  t: SyncTestServer,
  user: TestUser,
  roomId: string,
  type: string,
  content: object,
): Promise<string> {
  const reply = await t.call('PUT', room(roomId, `send/${type}/r${++txn}`), { user, body: content })
  expect(reply.status, JSON.stringify(reply.body)).toBe(200)
  return (reply.body as { event_id: string }).event_id
}

const say = (t: SyncTestServer, user: TestUser, roomId: string, body: string): Promise<string> =>
  sendEvent(t, user, roomId, 'm.room.message', { msgtype: 'm.text', body })

const inThread = (t: SyncTestServer, user: TestUser, roomId: string, root: string, body: string) =>
  sendEvent(t, user, roomId, 'm.room.message', {
    msgtype: 'm.text',
    body,
    'm.relates_to': { rel_type: 'm.thread', event_id: root },
  })

const edit = (t: SyncTestServer, user: TestUser, roomId: string, target: string, body: string) =>
  sendEvent(t, user, roomId, 'm.room.message', {
    msgtype: 'm.text',
    body: `* ${body}`,
    'm.new_content': { msgtype: 'm.text', body },
    'm.relates_to': { rel_type: 'm.replace', event_id: target },
  })

const react = (t: SyncTestServer, user: TestUser, roomId: string, target: string, key: string) =>
  sendEvent(t, user, roomId, 'm.reaction', {
    'm.relates_to': { rel_type: 'm.annotation', event_id: target, key },
  })

async function relations(
  t: SyncTestServer,
  user: TestUser,
  roomId: string,
  rest: string,
): Promise<{ status: number; body: RelationsBody }> {
  const reply = await t.call('GET', v1room(roomId, `relations/${rest}`), { user })
  const segments = rest.split('?')[0]?.split('/').length ?? 1
  const specPath = [RELATIONS, BY_REL_TYPE, BY_EVENT_TYPE][segments - 1] ?? RELATIONS
  if (reply.status === 200 || reply.status === 404) {
    expectMatchesSpec('client-server', 'relations.yaml', 'GET', specPath, reply.status, reply.body)
  }
  return reply as { status: number; body: RelationsBody }
}

async function getEvent(t: SyncTestServer, user: TestUser, roomId: string, id: string) {
  const reply = await t.call('GET', room(roomId, `event/${encodeURIComponent(id)}`), { user })
  expect(reply.status).toBe(200)
  return reply.body as Event
}

const ids = (events: readonly Event[]): string[] => events.map((e) => e.event_id)

for (const kind of roomTestStorages()) {
  describe(`relations and threads on ${kind.name}`, () => {
    const start = useSyncTestServer(kind)

    it('lists the children of an event, filtered, paged both ways, and recursively', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const roomId = await createRoom(t, alice)
      const root = await say(t, alice, roomId, 'root')
      const reply = await inThread(t, alice, roomId, root, 'in thread')
      const reaction = await react(t, alice, roomId, root, '👍')
      const reference = await sendEvent(t, alice, roomId, 'm.room.message', {
        msgtype: 'm.text',
        body: 'see above',
        'm.relates_to': { rel_type: 'm.reference', event_id: root },
      })
      const onReply = await react(t, alice, roomId, reply, '🎉')
      const rootId = encodeURIComponent(root)

      const all = await relations(t, alice, roomId, rootId)
      expect(all.status).toBe(200)
      expect(ids(all.body.chunk)).toEqual([reference, reaction, reply])
      expect(all.body.next_batch).toBeUndefined()
      expect(all.body.recursion_depth).toBeUndefined()

      const threads = await relations(t, alice, roomId, `${rootId}/m.thread`)
      expect(ids(threads.body.chunk)).toEqual([reply])
      const reactions = await relations(t, alice, roomId, `${rootId}/m.annotation/m.reaction`)
      expect(ids(reactions.body.chunk)).toEqual([reaction])
      expect(reactions.body.chunk[0]?.content['m.relates_to']).toEqual({
        rel_type: 'm.annotation',
        event_id: root,
        key: '👍',
      })
      const wrongType = await relations(t, alice, roomId, `${rootId}/m.annotation/m.room.message`)
      expect(wrongType.body.chunk).toEqual([])

      const first = await relations(t, alice, roomId, `${rootId}?limit=2`)
      expect(ids(first.body.chunk)).toEqual([reference, reaction])
      const next = first.body.next_batch ?? ''
      const second = await relations(t, alice, roomId, `${rootId}?limit=2&from=${next}`)
      expect(ids(second.body.chunk)).toEqual([reply])
      expect(second.body.prev_batch).toBe(next)
      expect(second.body.next_batch).toBeUndefined()
      const forwards = await relations(t, alice, roomId, `${rootId}?dir=f`)
      expect(ids(forwards.body.chunk)).toEqual([reply, reaction, reference])
      const upTo = await relations(t, alice, roomId, `${rootId}?dir=b&to=${next}`)
      expect(ids(upTo.body.chunk)).toEqual([reference, reaction])

      const deep = await relations(t, alice, roomId, `${rootId}?recurse=true`)
      expect(ids(deep.body.chunk)).toEqual([onReply, reference, reaction, reply])
      expect(deep.body.recursion_depth).toBe(3)
      const shallow = await relations(t, alice, roomId, `${rootId}?recurse=false`)
      expect(ids(shallow.body.chunk)).toEqual([reference, reaction, reply])
      expect(shallow.body.recursion_depth).toBe(1)
    })

    it('answers 404 for an event the user may not see, and 400 for bad parameters', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const eve = await t.users.user('eve')
      const roomId = await createRoom(t, alice)
      const other = await createRoom(t, alice)
      const root = await say(t, alice, roomId, 'private')
      const rootId = encodeURIComponent(root)

      for (const [user, target] of [
        [eve, roomId],
        [alice, other],
      ] as const) {
        const hidden = await relations(t, user, target, rootId)
        expect(hidden.status).toBe(404)
        expect((hidden.body as unknown as { errcode: string }).errcode).toBe('M_NOT_FOUND')
      }
      const unknown = await relations(t, alice, roomId, encodeURIComponent('$nothing:example.org'))
      expect(unknown.status).toBe(404)

      for (const query of ['dir=up', 'recurse=yes', 'from=bogus', 'to=x', 'limit=-1']) {
        const bad = await t.call('GET', v1room(roomId, `relations/${rootId}?${query}`), {
          user: alice,
        })
        expect(bad.status, query).toBe(400)
        expect((bad.body as { errcode: string }).errcode, query).toBe('M_INVALID_PARAM')
      }
      const badId = await t.call('GET', v1room(roomId, 'relations/not-an-id'), { user: alice })
      expect(badId.status).toBe(400)
      const anonymous = await t.call('GET', v1room(roomId, `relations/${rootId}`))
      expect(anonymous.status).toBe(401)
      expect((anonymous.body as { errcode: string }).errcode).toBe('M_MISSING_TOKEN')
    })

    it('shows only what a departed member could see', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const bob = await t.users.user('bob')
      const roomId = await createRoom(t, alice, { preset: 'public_chat' })
      expect((await t.call('POST', room(roomId, 'join'), { user: bob })).status).toBe(200)
      const root = await say(t, alice, roomId, 'root')
      const before = await react(t, alice, roomId, root, 'a')
      expect((await t.call('POST', room(roomId, 'leave'), { user: bob, body: {} })).status).toBe(
        200,
      )
      await react(t, alice, roomId, root, 'b')
      const seen = await relations(t, bob, roomId, encodeURIComponent(root))
      expect(ids(seen.body.chunk)).toEqual([before])
    })

    it('bundles the latest edit, threads and references wherever events are served', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const bob = await t.users.user('bob')
      const roomId = await createRoom(t, alice, { preset: 'public_chat' })
      expect((await t.call('POST', room(roomId, 'join'), { user: bob })).status).toBe(200)
      const root = await say(t, alice, roomId, 'original')
      await edit(t, alice, roomId, root, 'first edit')
      const latestEdit = await edit(t, alice, roomId, root, 'second edit')
      // Bob cannot edit alice's message: his "edit" is not bundled.
      await edit(t, bob, roomId, root, 'not allowed')
      await inThread(t, bob, roomId, root, 'first reply')
      const latestReply = await inThread(t, bob, roomId, root, 'second reply')
      const replyEdit = await edit(t, bob, roomId, latestReply, 'second reply, edited')
      const reference = await sendEvent(t, alice, roomId, 'm.room.message', {
        msgtype: 'm.text',
        body: 'ref',
        'm.relates_to': { rel_type: 'm.reference', event_id: root },
      })

      const check = (event: Event | undefined, viewer: 'alice' | 'bob'): void => {
        const bundle = event?.unsigned?.['m.relations']
        expect(bundle?.['m.replace']?.event_id).toBe(latestEdit)
        expect(bundle?.['m.replace']?.content['m.new_content']).toEqual({
          msgtype: 'm.text',
          body: 'second edit',
        })
        const thread = bundle?.['m.thread']
        expect(thread?.count).toBe(2)
        expect(thread?.current_user_participated).toBe(true)
        expect(thread?.latest_event.event_id).toBe(latestReply)
        // The latest reply carries its own edit.
        expect(thread?.latest_event.unsigned?.['m.relations']?.['m.replace']?.event_id).toBe(
          replyEdit,
        )
        expect(bundle?.['m.reference']).toEqual({ chunk: [{ event_id: reference }] })
        // The original content is served as it is.
        expect(event?.content['body'], viewer).toBe('original')
      }

      const single = await getEvent(t, alice, roomId, root)
      expect(single.unsigned?.['m.relations']?.['m.annotation']).toBeUndefined()
      check(single, 'alice')
      check(await getEvent(t, bob, roomId, root), 'bob')

      const messages = await t.call('GET', room(roomId, 'messages?dir=b&limit=50'), { user: alice })
      expectMatchesSpec(
        'client-server',
        'message_pagination.yaml',
        'GET',
        `${V3}/rooms/{roomId}/messages`,
        200,
        messages.body,
      )
      const chunk = (messages.body as { chunk: Event[] }).chunk
      check(
        chunk.find((e) => e.event_id === root),
        'alice',
      )
      // Edits carry no aggregations of their own.
      expect(
        chunk.find((e) => e.event_id === latestEdit)?.unsigned?.['m.relations'],
      ).toBeUndefined()

      const context = await t.call('GET', room(roomId, `context/${encodeURIComponent(root)}`), {
        user: alice,
      })
      expect(context.status).toBe(200)
      check((context.body as { event: Event }).event, 'alice')

      const synced = await t.call(
        'GET',
        `${V3}/sync?filter=${encodeURIComponent(
          JSON.stringify({ room: { timeline: { limit: 50 } } }),
        )}`,
        { user: alice },
      )
      expect(synced.status).toBe(200)
      const timeline = (
        synced.body as { rooms: { join: Record<string, { timeline: { events: Event[] } }> } }
      ).rooms.join[roomId]?.timeline.events
      check(
        timeline?.find((e) => e.event_id === root),
        'alice',
      )

      // The thread's replies, through /relations, carry theirs too.
      const replies = await relations(t, alice, roomId, `${encodeURIComponent(root)}/m.thread`)
      expect(
        replies.body.chunk.find((e) => e.event_id === latestReply)?.unsigned?.['m.relations']?.[
          'm.replace'
        ]?.event_id,
      ).toBe(replyEdit)
    })

    it('drops redacted edits and replies from aggregations, and edits of a redacted event', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const roomId = await createRoom(t, alice)
      const root = await say(t, alice, roomId, 'original')
      const firstEdit = await edit(t, alice, roomId, root, 'first edit')
      const secondEdit = await edit(t, alice, roomId, root, 'second edit')
      const reply = await inThread(t, alice, roomId, root, 'reply')
      const redact = async (target: string): Promise<void> => {
        const reply = await t.call(
          'PUT',
          room(roomId, `redact/${encodeURIComponent(target)}/x${++txn}`),
          { user: alice, body: {} },
        )
        expect(reply.status).toBe(200)
      }
      await redact(secondEdit)
      await redact(reply)
      const event = await getEvent(t, alice, roomId, root)
      expect(event.unsigned?.['m.relations']).toEqual({
        'm.replace': expect.objectContaining({ event_id: firstEdit }) as unknown,
      })
      const children = await relations(t, alice, roomId, encodeURIComponent(root))
      expect(ids(children.body.chunk)).toEqual([firstEdit])

      await redact(root)
      const redacted = await getEvent(t, alice, roomId, root)
      expect(redacted.content).toEqual({})
      expect(redacted.unsigned?.['m.relations']).toBeUndefined()
    })

    it('rejects a thread off a child event, and a second identical reaction', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const roomId = await createRoom(t, alice)
      const root = await say(t, alice, roomId, 'root')
      const reply = await inThread(t, alice, roomId, root, 'reply')
      const nested = await t.call('PUT', room(roomId, `send/m.room.message/n${++txn}`), {
        user: alice,
        body: {
          msgtype: 'm.text',
          body: 'nested',
          'm.relates_to': { rel_type: 'm.thread', event_id: reply },
        },
      })
      expect(nested.status).toBe(400)
      expect((nested.body as { errcode: string }).errcode).toBe('M_UNKNOWN')

      const reaction = await react(t, alice, roomId, root, '👍')
      const body = { 'm.relates_to': { rel_type: 'm.annotation', event_id: root, key: '👍' } }
      const again = await t.call('PUT', room(roomId, `send/m.reaction/d${++txn}`), {
        user: alice,
        body,
      })
      expect(again.status).toBe(400)
      expect((again.body as { errcode: string }).errcode).toBe('M_DUPLICATE_ANNOTATION')
      // A retry of the first request is still answered with its event.
      const retryTxn = `retry${++txn}`
      const first = await t.call('PUT', room(roomId, `send/m.reaction/${retryTxn}`), {
        user: alice,
        body: { 'm.relates_to': { rel_type: 'm.annotation', event_id: root, key: '🎉' } },
      })
      const retry = await t.call('PUT', room(roomId, `send/m.reaction/${retryTxn}`), {
        user: alice,
        body: { 'm.relates_to': { rel_type: 'm.annotation', event_id: root, key: '🎉' } },
      })
      expect(retry.body).toEqual(first.body)
      // Once redacted, the same reaction may be sent again.
      const redaction = await t.call(
        'PUT',
        room(roomId, `redact/${encodeURIComponent(reaction)}/r${++txn}`),
        { user: alice, body: {} },
      )
      expect(redaction.status).toBe(200)
      await react(t, alice, roomId, root, '👍')
    })

    it('lists threads by latest activity, pages them, and filters those participated in', async () => {
      const t = await start()
      const alice = await t.users.user('alice')
      const bob = await t.users.user('bob')
      const roomId = await createRoom(t, alice, { preset: 'public_chat' })
      expect((await t.call('POST', room(roomId, 'join'), { user: bob })).status).toBe(200)
      const first = await say(t, alice, roomId, 'first root')
      const second = await say(t, bob, roomId, 'second root')
      const third = await say(t, bob, roomId, 'third root')
      await inThread(t, bob, roomId, first, 'a')
      await inThread(t, bob, roomId, third, 'b')
      await inThread(t, bob, roomId, second, 'c')
      await inThread(t, bob, roomId, first, 'd')

      const threads = async (user: TestUser, query: string) => {
        const reply = await t.call('GET', v1room(roomId, `threads?${query}`), { user })
        expectMatchesSpec(
          'client-server',
          'threads_list.yaml',
          'GET',
          THREADS,
          reply.status,
          reply.body,
        )
        return reply as { status: number; body: { chunk: Event[]; next_batch?: string } }
      }
      const all = await threads(alice, '')
      expect(ids(all.body.chunk)).toEqual([first, second, third])
      expect(all.body.chunk[0]?.unsigned?.['m.relations']?.['m.thread']?.count).toBe(2)
      const page1 = await threads(alice, 'limit=2')
      expect(ids(page1.body.chunk)).toEqual([first, second])
      const page2 = await threads(alice, `limit=2&from=${page1.body.next_batch ?? ''}`)
      expect(ids(page2.body.chunk)).toEqual([third])
      expect(page2.body.next_batch).toBeUndefined()
      expect(ids((await threads(alice, 'include=participated')).body.chunk)).toEqual([first])
      expect(ids((await threads(bob, 'include=participated')).body.chunk)).toEqual([
        first,
        second,
        third,
      ])

      const eve = await t.users.user('eve')
      const private_ = await createRoom(t, alice)
      const hidden = await t.call('GET', v1room(private_, 'threads'), { user: eve })
      expect(hidden.status).toBe(403)
      expectMatchesSpec('client-server', 'threads_list.yaml', 'GET', THREADS, 403, hidden.body)
      for (const query of ['include=mine', 'limit=0', 'from=nope']) {
        const bad = await threads(alice, query)
        expect(bad.status, query).toBe(400)
        expect((bad.body as unknown as { errcode: string }).errcode).toBe('M_INVALID_PARAM')
      }
    })
  })
}

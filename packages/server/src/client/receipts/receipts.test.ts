import { describe, expect, it } from 'vitest'
import { expectMatchesSpec } from '../../testing/openapi-spec.js'
import {
  receipt,
  roomPath,
  sendEvent,
  sendText,
  sharedRoom,
  sync,
  V3,
  type SyncBody,
} from '../../testing/push-test-client.js'
import { usePushTestServer } from '../../testing/push-test-server.js'
import { roomTestStorages } from '../../testing/room-storages.js'

const SPEC_RECEIPT = `${V3}/rooms/{roomId}/receipt/{receiptType}/{eventId}`
const SPEC_MARKERS = `${V3}/rooms/{roomId}/read_markers`

function receiptsIn(body: SyncBody, roomId: string): Record<string, unknown>[] {
  return (body.rooms.join[roomId]?.ephemeral?.events ?? [])
    .filter((e) => e.type === 'm.receipt')
    .map((e) => e.content)
}

describe.each(roomTestStorages())('receipts and read markers ($name)', (kind) => {
  const start = usePushTestServer(kind)

  async function setup(): Promise<{
    t: Awaited<ReturnType<typeof start>>
    alice: Awaited<ReturnType<Awaited<ReturnType<typeof start>>['users']['user']>>
    bob: Awaited<ReturnType<Awaited<ReturnType<typeof start>>['users']['user']>>
    roomId: string
    first: string
    second: string
  }> {
    const t = await start()
    const alice = await t.users.user('alice')
    const bob = await t.users.user('bob')
    const roomId = await sharedRoom(t, alice, [bob])
    const first = await sendText(t, alice, roomId, 'first')
    const second = await sendText(t, alice, roomId, 'second')
    return { t, alice, bob, roomId, first, second }
  }

  it('delivers a read receipt to the other member, at once to a waiting sync', async () => {
    const { t, alice, bob, roomId, second } = await setup()
    const before = await sync(t, alice)
    const waiting = sync(t, alice, { since: before.next_batch, timeout: '10000' })
    await new Promise((resolve) => setTimeout(resolve, 50))
    const sent = Date.now()
    const reply = await t.call(
      'POST',
      roomPath(roomId, `receipt/m.read/${encodeURIComponent(second)}`),
      { user: bob, body: {} },
    )
    expect(reply).toEqual({ status: 200, body: {} })
    expectMatchesSpec('client-server', 'receipts.yaml', 'POST', SPEC_RECEIPT, 200, reply.body)
    const woken = await waiting
    expect(Date.now() - sent).toBeLessThan(5000)
    const [content] = receiptsIn(woken, roomId)
    expect(content).toEqual({
      [second]: { 'm.read': { [bob.userId]: { ts: expect.any(Number) as number } } },
    })
    // An initial sync has every current receipt; the sender sees their own too.
    expect(receiptsIn(await sync(t, bob), roomId)).toEqual([content])
  })

  it('shows a private receipt only to its owner', async () => {
    const { t, alice, bob, roomId, first } = await setup()
    const aliceBefore = await sync(t, alice)
    const bobBefore = await sync(t, bob)
    await receipt(t, bob, roomId, first, 'm.read.private')
    const mine = await sync(t, bob, { since: bobBefore.next_batch })
    expect(receiptsIn(mine, roomId)).toEqual([
      { [first]: { 'm.read.private': { [bob.userId]: { ts: expect.any(Number) as number } } } },
    ])
    const theirs = await sync(t, alice, { since: aliceBefore.next_batch })
    expect(theirs.rooms.join[roomId]).toBeUndefined()
    expect(receiptsIn(await sync(t, alice), roomId)).toEqual([])
  })

  it('keeps receipts per thread, checking the event is in the thread', async () => {
    const { t, alice, bob, roomId, first } = await setup()
    const inThread = await sendText(t, alice, roomId, 'reply', {
      'm.relates_to': { rel_type: 'm.thread', event_id: first },
    })
    const reaction = await sendEvent(
      t,
      alice,
      roomId,
      { 'm.relates_to': { rel_type: 'm.annotation', event_id: inThread, key: '👍' } },
      'm.reaction',
    )
    await receipt(t, bob, roomId, first, 'm.read', { thread_id: 'main' })
    await receipt(t, bob, roomId, inThread, 'm.read', { thread_id: first })
    // A reaction to a thread event is in the thread; the root may name its own thread.
    await receipt(t, bob, roomId, reaction, 'm.read.private', { thread_id: first })
    await receipt(t, bob, roomId, first, 'm.read.private', { thread_id: first })
    const [content] = receiptsIn(await sync(t, bob), roomId)
    expect(content).toEqual({
      [first]: {
        'm.read': { [bob.userId]: { ts: expect.any(Number) as number, thread_id: 'main' } },
      },
      [inThread]: {
        'm.read': { [bob.userId]: { ts: expect.any(Number) as number, thread_id: first } },
      },
      [reaction]: {
        'm.read.private': { [bob.userId]: { ts: expect.any(Number) as number, thread_id: first } },
      },
    })

    const bad = async (eventId: string, body: unknown, type = 'm.read'): Promise<void> => {
      const reply = await t.call(
        'POST',
        roomPath(roomId, `receipt/${type}/${encodeURIComponent(eventId)}`),
        { user: bob, body },
      )
      expect(reply.status, JSON.stringify(body)).toBe(400)
      expect((reply.body as { errcode: string }).errcode).toBe('M_INVALID_PARAM')
      expectMatchesSpec('client-server', 'receipts.yaml', 'POST', SPEC_RECEIPT, 400, reply.body)
    }
    await bad(inThread, { thread_id: 'main' })
    await bad(first, { thread_id: inThread })
    await bad(first, { thread_id: 7 })
    await bad(first, { thread_id: '' })
    await bad(first, { thread_id: null })
    await bad(first, { thread_id: 'main' }, 'm.fully_read')
  })

  it('moves a receipt only forward', async () => {
    const { t, alice, bob, roomId, first, second } = await setup()
    await receipt(t, bob, roomId, second)
    const after = await sync(t, alice)
    await receipt(t, bob, roomId, first)
    const later = await sync(t, alice, { since: after.next_batch })
    expect(later.rooms.join[roomId]).toBeUndefined()
    expect(Object.keys(receiptsIn(await sync(t, alice), roomId)[0] ?? {})).toEqual([second])
  })

  it('sets the fully read marker as room account data, from either endpoint', async () => {
    const { t, bob, roomId, first, second } = await setup()
    const before = await sync(t, bob)
    await receipt(t, bob, roomId, first, 'm.fully_read')
    const marked = await sync(t, bob, { since: before.next_batch })
    expect(marked.rooms.join[roomId]?.account_data?.events).toEqual([
      { type: 'm.fully_read', content: { event_id: first } },
    ])
    // m.fully_read is never a receipt.
    expect(receiptsIn(marked, roomId)).toEqual([])

    const reply = await t.call('POST', roomPath(roomId, 'read_markers'), {
      user: bob,
      body: { 'm.fully_read': second, 'm.read': first, 'm.read.private': second },
    })
    expect(reply).toEqual({ status: 200, body: {} })
    expectMatchesSpec('client-server', 'read_markers.yaml', 'POST', SPEC_MARKERS, 200, reply.body)
    const after = await sync(t, bob, { since: marked.next_batch })
    expect(after.rooms.join[roomId]?.account_data?.events).toEqual([
      { type: 'm.fully_read', content: { event_id: second } },
    ])
    expect(receiptsIn(after, roomId)).toEqual([
      {
        [first]: { 'm.read': { [bob.userId]: { ts: expect.any(Number) as number } } },
        [second]: { 'm.read.private': { [bob.userId]: { ts: expect.any(Number) as number } } },
      },
    ])
    // Clients may not set it directly.
    const direct = await t.call(
      'PUT',
      `${V3}/user/${encodeURIComponent(bob.userId)}/rooms/${encodeURIComponent(roomId)}/account_data/m.fully_read`,
      { user: bob, body: { event_id: first } },
    )
    expect(direct.status).toBe(405)
    // An empty body changes nothing and succeeds.
    expect(
      (await t.call('POST', roomPath(roomId, 'read_markers'), { user: bob, body: {} })).status,
    ).toBe(200)
  })

  it('accepts a receipt without a body', async () => {
    const { t, bob, roomId, first } = await setup()
    const reply = await t.call(
      'POST',
      roomPath(roomId, `receipt/m.read/${encodeURIComponent(first)}`),
      { user: bob },
    )
    expect(reply).toEqual({ status: 200, body: {} })
  })

  it('refuses bad types and IDs, unknown events, outsiders and anonymous callers', async () => {
    const { t, alice, bob, roomId, first } = await setup()
    const carol = await t.users.user('carol')
    const post = (
      user: typeof bob | undefined,
      rest: string,
      body: unknown = {},
      room = roomId,
    ): ReturnType<typeof t.call> =>
      t.call('POST', roomPath(room, rest), user === undefined ? { body } : { user, body })
    const expectError = (
      reply: Awaited<ReturnType<typeof t.call>>,
      status: number,
      errcode: string,
    ): void => {
      expect(reply.status, JSON.stringify(reply.body)).toBe(status)
      expect((reply.body as { errcode: string }).errcode).toBe(errcode)
    }
    const event = encodeURIComponent(first)
    expectError(await post(bob, `receipt/m.unknown/${event}`), 400, 'M_INVALID_PARAM')
    expectError(await post(bob, 'receipt/m.read/not-an-event'), 400, 'M_INVALID_PARAM')
    expectError(
      await post(bob, `receipt/m.read/${encodeURIComponent('$missing:example.org')}`),
      404,
      'M_NOT_FOUND',
    )
    const otherRoom = await sharedRoom(t, alice, [])
    expectError(await post(alice, `receipt/m.read/${event}`, {}, otherRoom), 404, 'M_NOT_FOUND')
    expectError(await post(carol, `receipt/m.read/${event}`), 403, 'M_FORBIDDEN')
    expectError(
      await post(bob, `receipt/m.read/${event}`, {}, 'not-a-room'),
      400,
      'M_INVALID_PARAM',
    )
    expectError(await post(undefined, `receipt/m.read/${event}`), 401, 'M_MISSING_TOKEN')

    expectError(await post(bob, 'read_markers', { 'm.read': 5 }), 400, 'M_BAD_JSON')
    expectError(await post(bob, 'read_markers', { 'm.fully_read': 'nope' }), 400, 'M_INVALID_PARAM')
    expectError(
      await post(bob, 'read_markers', { 'm.fully_read': first, 'm.read': '$gone:example.org' }),
      404,
      'M_NOT_FOUND',
    )
    expectError(await post(carol, 'read_markers', { 'm.read': first }), 403, 'M_FORBIDDEN')
    expectError(await post(undefined, 'read_markers', {}), 401, 'M_MISSING_TOKEN')
    // Nothing of the refused requests was written.
    expect(receiptsIn(await sync(t, alice), roomId)).toEqual([])
    const bobSync = await sync(t, bob)
    expect(bobSync.rooms.join[roomId]?.account_data).toBeUndefined()
  })
})

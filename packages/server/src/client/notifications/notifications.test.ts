import { describe, expect, it } from 'vitest'
import { expectMatchesSpec } from '../../testing/openapi-spec.js'
import { receipt, sendText, sharedRoom, V3 } from '../../testing/push-test-client.js'
import { usePushTestServer } from '../../testing/push-test-server.js'
import { roomTestStorages } from '../../testing/room-storages.js'

interface Page {
  readonly next_token?: string
  readonly notifications: {
    readonly actions: unknown[]
    readonly event: { event_id: string; type: string; content: Record<string, unknown> }
    readonly read: boolean
    readonly room_id: string
    readonly ts: number
  }[]
}

describe.each(roomTestStorages())('GET /notifications ($name)', (kind) => {
  const start = usePushTestServer(kind)

  it('lists notifications newest first, in pages, with highlights and read flags', async () => {
    const t = await start()
    const alice = await t.users.user('alice')
    const bob = await t.users.user('bob')
    const carol = await t.users.user('carol')
    const roomId = await sharedRoom(t, alice, [bob, carol])
    const sent: string[] = []
    for (let i = 0; i < 5; i++) {
      sent.push(
        await sendText(
          t,
          alice,
          roomId,
          `message ${i}`,
          i % 2 === 0 ? { 'm.mentions': { user_ids: [bob.userId] } } : {},
        ),
      )
    }
    await receipt(t, bob, roomId, sent[1] ?? '')
    await t.processor.drain()

    const get = async (query: string): Promise<Page> => {
      const reply = await t.call('GET', `${V3}/notifications${query}`, { user: bob })
      expect(reply.status, JSON.stringify(reply.body)).toBe(200)
      expectMatchesSpec(
        'client-server',
        'notifications.yaml',
        'GET',
        `${V3}/notifications`,
        200,
        reply.body,
      )
      return reply.body as Page
    }
    const first = await get('?limit=2')
    expect(first.notifications.map((n) => n.event.event_id)).toEqual([sent[4], sent[3]])
    expect(first.notifications[0]).toEqual({
      actions: ['notify', { set_tweak: 'sound', value: 'default' }, { set_tweak: 'highlight' }],
      event: expect.objectContaining({
        event_id: sent[4],
        room_id: roomId,
        type: 'm.room.message',
        content: { msgtype: 'm.text', body: 'message 4', 'm.mentions': { user_ids: [bob.userId] } },
      }) as unknown,
      read: false,
      room_id: roomId,
      ts: expect.any(Number) as number,
    })
    expect(first.next_token).toEqual(expect.any(String))
    const second = await get(`?limit=2&from=${first.next_token ?? ''}`)
    expect(second.notifications.map((n) => [n.event.event_id, n.read])).toEqual([
      [sent[2], false],
      [sent[1], true],
    ])
    const third = await get(`?limit=2&from=${second.next_token ?? ''}`)
    // The last page: message 0 and bob's invite; nothing after.
    expect(third.notifications.map((n) => [n.event.type, n.read])).toEqual([
      ['m.room.message', true],
      ['m.room.member', true],
    ])
    expect(third.next_token).toBeUndefined()

    const highlights = await get('?only=highlight')
    expect(highlights.notifications.map((n) => n.event.event_id)).toEqual([
      sent[4],
      sent[2],
      sent[0],
    ])
    expect(highlights.next_token).toBeUndefined()
    // Another user sees only their own.
    const mine = await t.call('GET', `${V3}/notifications`, { user: alice })
    expect((mine.body as Page).notifications).toEqual([])
  })

  it('refuses a bad from or limit, and callers without a token', async () => {
    const t = await start()
    const bob = await t.users.user('bob')
    for (const query of ['?from=abc', '?from=-1', '?limit=ten', '?limit=-5', '?limit=1.5']) {
      const reply = await t.call('GET', `${V3}/notifications${query}`, { user: bob })
      expect(reply.status, query).toBe(400)
      expect((reply.body as { errcode: string }).errcode).toBe('M_INVALID_PARAM')
    }
    const anonymous = await t.call('GET', `${V3}/notifications`)
    expect(anonymous.status).toBe(401)
    expect((anonymous.body as { errcode: string }).errcode).toBe('M_MISSING_TOKEN')
    const empty = await t.call('GET', `${V3}/notifications?limit=0`, { user: bob })
    expect(empty).toEqual({ status: 200, body: { notifications: [] } })
  })
})

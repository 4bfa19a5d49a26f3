import { describe, expect, it } from 'vitest'
import type { TestUser } from '../testing/fake-authenticate.js'
import type { PushedNotification } from './pusher-hook.js'
import {
  receipt,
  roomPath,
  sendEvent,
  sendText,
  sharedRoom,
  sync as rawSync,
  V3,
  type SyncBody,
  type UnreadCounts,
} from '../testing/push-test-client.js'
import { startPushTestServer, usePushTestServer } from '../testing/push-test-server.js'
import { roomTestStorages, useRoomStorage } from '../testing/room-storages.js'

type PushTestServer = Parameters<typeof rawSync>[0]

/**
 * A sync once the processor has evaluated everything sent: sync does not wait for it, so tests
 * that look at the counts of what they just sent let it finish first.
 */
async function sync(
  t: PushTestServer,
  user: TestUser,
  params: Record<string, string> = {},
): Promise<SyncBody> {
  await t.processor.drain()
  return rawSync(t, user, params)
}

function counts(body: SyncBody, roomId: string): UnreadCounts | undefined {
  return body.rooms.join[roomId]?.unread_notifications
}

const THREADS_FILTER = JSON.stringify({ room: { timeline: { unread_thread_notifications: true } } })

describe.each(roomTestStorages())('push processing and unread counts ($name)', (kind) => {
  const start = usePushTestServer(kind)

  async function room(members = 2): Promise<{
    t: Awaited<ReturnType<typeof start>>
    alice: TestUser
    bob: TestUser
    others: TestUser[]
    roomId: string
  }> {
    const t = await start()
    const alice = await t.users.user('alice')
    const bob = await t.users.user('bob')
    const others: TestUser[] = []
    for (let i = 2; i < members; i++) others.push(await t.users.user(`member${i}`))
    const roomId = await sharedRoom(t, alice, [bob, ...others])
    return { t, alice, bob, others, roomId }
  }

  it('counts messages, highlights mentions, and reports them soon after the event', async () => {
    const { t, alice, bob, roomId } = await room(3)
    const initial = await sync(t, bob)
    expect(counts(initial, roomId)).toEqual({ notification_count: 0, highlight_count: 0 })
    const waiting = rawSync(t, bob, { since: initial.next_batch, timeout: '10000' })
    const mention = await sendText(t, alice, roomId, 'hey bob', {
      'm.mentions': { user_ids: [bob.userId] },
    })
    // The event wakes the sync at once; its count comes with it, or wakes the next sync.
    const woken = await waiting
    expect(woken.rooms.join[roomId]?.timeline.events.map((e) => e.event_id)).toEqual([mention])
    const counted =
      counts(woken, roomId)?.notification_count === 1
        ? woken
        : await rawSync(t, bob, { since: woken.next_batch, timeout: '10000' })
    expect(counts(counted, roomId)).toEqual({ notification_count: 1, highlight_count: 1 })
    await sendText(t, alice, roomId, 'plain')
    const later = await sync(t, bob, { since: woken.next_batch })
    expect(counts(later, roomId)).toEqual({ notification_count: 2, highlight_count: 1 })
    // The sender is not notified of their own events.
    expect(counts(await sync(t, alice), roomId)).toEqual({
      notification_count: 0,
      highlight_count: 0,
    })
  })

  it('clears the counts with a read receipt, waking the reader’s sync', async () => {
    const { t, alice, bob, roomId } = await room(3)
    await sendText(t, alice, roomId, 'one', { 'm.mentions': { user_ids: [bob.userId] } })
    const two = await sendText(t, alice, roomId, 'two')
    const three = await sendText(t, alice, roomId, 'three')
    const before = await sync(t, bob)
    expect(counts(before, roomId)).toEqual({ notification_count: 3, highlight_count: 1 })
    const waiting = sync(t, bob, { since: before.next_batch, timeout: '10000' })
    await new Promise((resolve) => setTimeout(resolve, 30))
    await receipt(t, bob, roomId, two, 'm.read.private')
    expect(counts(await waiting, roomId)).toEqual({ notification_count: 1, highlight_count: 0 })
    await receipt(t, bob, roomId, three)
    expect(counts(await sync(t, bob), roomId)).toEqual({
      notification_count: 0,
      highlight_count: 0,
    })
  })

  it('neither notifies nor counts what an ignored user sends, until the ignore ends', async () => {
    const { t, alice, bob, others, roomId } = await room(4)
    const [carol, dave] = others as [TestUser, TestUser]
    await sendText(t, alice, roomId, 'before ignoring')
    // Ignoring applies from the batch after the change: let the first message be counted.
    await t.processor.drain()
    await t.storage.accountData.set(bob.userId, undefined, 'm.ignored_user_list', {
      ignored_users: { [alice.userId]: {} },
    })
    await sendText(t, alice, roomId, 'ignored', { 'm.mentions': { user_ids: [bob.userId] } })
    await sendText(t, carol, roomId, 'from carol')
    expect(counts(await sync(t, bob), roomId)).toEqual({
      notification_count: 2,
      highlight_count: 0,
    })
    // Dave, who ignores nobody, is notified of everything as usual.
    expect(counts(await sync(t, dave), roomId)?.notification_count).toBe(3)
    await t.storage.accountData.set(bob.userId, undefined, 'm.ignored_user_list', {
      ignored_users: {},
    })
    await sendText(t, alice, roomId, 'heard again')
    expect(counts(await sync(t, bob), roomId)?.notification_count).toBe(3)
  })

  it('treats a user’s own message as read up to it', async () => {
    const { t, alice, bob, roomId } = await room(3)
    await sendText(t, alice, roomId, 'one')
    await sendText(t, alice, roomId, 'two')
    expect(counts(await sync(t, bob), roomId)?.notification_count).toBe(2)
    await sendText(t, bob, roomId, 'my answer')
    expect(counts(await sync(t, bob), roomId)?.notification_count).toBe(0)
  })

  it('uses the one-to-one and room-mention rules with the room’s members and power', async () => {
    const { t, alice, bob, others, roomId } = await room(3)
    const carol = others[0] as TestUser
    // @room from a member without the power (50) notifies but does not highlight.
    await sendText(t, carol, roomId, '@room hi', { 'm.mentions': { room: true } })
    expect(counts(await sync(t, bob), roomId)).toEqual({
      notification_count: 1,
      highlight_count: 0,
    })
    // From the creator it highlights.
    await sendText(t, alice, roomId, '@room hi', { 'm.mentions': { room: true } })
    expect(counts(await sync(t, bob), roomId)).toEqual({
      notification_count: 2,
      highlight_count: 1,
    })
    const notifications = await t.call('GET', `${V3}/notifications`, { user: bob })
    const actions = (
      notifications.body as { notifications: { actions: unknown[] }[] }
    ).notifications.map((n) => n.actions)
    // Newest first; the oldest is bob's invite, with the invite rule's sound.
    expect(actions).toEqual([
      ['notify', { set_tweak: 'highlight' }],
      ['notify'],
      ['notify', { set_tweak: 'sound', value: 'default' }],
    ])
    // A room of two: the one-to-one rule, with its sound.
    const direct = await sharedRoom(t, alice, [bob])
    await sendText(t, alice, direct, 'psst')
    // The list is what was processed so far; wait for the processor to pass the send.
    await t.processor.drain()
    const dm = await t.call('GET', `${V3}/notifications?limit=1`, { user: bob })
    expect(
      (dm.body as { notifications: { actions: unknown[] }[] }).notifications[0]?.actions,
    ).toEqual(['notify', { set_tweak: 'sound', value: 'default' }])
  })

  it('notifies an invited user through .m.rule.invite_for_me', async () => {
    const t = await start()
    const alice = await t.users.user('alice')
    const dave = await t.users.user('dave')
    const roomId = await sharedRoom(t, alice, [])
    const invited = await t.call('POST', roomPath(roomId, 'invite'), {
      user: alice,
      body: { user_id: dave.userId },
    })
    expect(invited.status).toBe(200)
    await t.processor.drain()
    const list = await t.call('GET', `${V3}/notifications`, { user: dave })
    const items = (list.body as { notifications: { event: { type: string }; room_id: string }[] })
      .notifications
    expect(items.map((n) => [n.room_id, n.event.type])).toEqual([[roomId, 'm.room.member']])
  })

  it('follows the user’s rules, and a rule change applies to later events', async () => {
    const { t, alice, bob, roomId } = await room(3)
    const silence = await t.call(
      'PUT',
      `${V3}/pushrules/global/room/${encodeURIComponent(roomId)}`,
      { user: bob, body: { actions: [] } },
    )
    expect(silence.status).toBe(200)
    await sendText(t, alice, roomId, 'muted')
    expect(counts(await sync(t, bob), roomId)).toEqual({
      notification_count: 0,
      highlight_count: 0,
    })
    await t.call('DELETE', `${V3}/pushrules/global/room/${encodeURIComponent(roomId)}`, {
      user: bob,
    })
    await t.call('PUT', `${V3}/pushrules/global/content/lunch`, {
      user: bob,
      body: { pattern: 'lunch', actions: ['notify', { set_tweak: 'highlight' }] },
    })
    await sendText(t, alice, roomId, 'Lunch, anyone?')
    await sendText(t, alice, roomId, 'nothing')
    expect(counts(await sync(t, bob), roomId)).toEqual({
      notification_count: 2,
      highlight_count: 1,
    })
  })

  it('counts what most members share once for the room, but not for a muted member nor a later joiner', async () => {
    const { t, alice, bob, others, roomId } = await room(3)
    const carol = others[0]
    if (carol === undefined) throw new Error('no third member')
    await t.call('PUT', `${V3}/pushrules/global/room/${encodeURIComponent(roomId)}`, {
      user: carol,
      body: { actions: [] },
    })
    const root = await sendText(t, alice, roomId, 'root')
    const reply = await sendText(t, alice, roomId, 'in a thread', {
      'm.relates_to': { rel_type: 'm.thread', event_id: root },
    })
    const dave = await t.users.user('dave')
    const invited = await t.call('POST', roomPath(roomId, 'invite'), {
      user: alice,
      body: { user_id: dave.userId },
    })
    expect(invited.status).toBe(200)
    const joined = await t.call('POST', `${V3}/join/${encodeURIComponent(roomId)}`, {
      user: dave,
      body: {},
    })
    expect(joined.status).toBe(200)
    await sync(t, bob)
    // Bob shares the default outcome: both messages. Carol's room rule silences them; Dave
    // joined after them, the thread reply too; Alice sent them.
    const threads = { filter: THREADS_FILTER }
    expect((await sync(t, bob, threads)).rooms.join[roomId]).toMatchObject({
      unread_notifications: { notification_count: 1, highlight_count: 0 },
      unread_thread_notifications: { [root]: { notification_count: 1, highlight_count: 0 } },
    })
    for (const user of [carol, dave, alice]) {
      const room = (await sync(t, user, threads)).rooms.join[roomId]
      expect(room?.unread_notifications).toEqual({ notification_count: 0, highlight_count: 0 })
      expect(room?.unread_thread_notifications).toBeUndefined()
    }
    const later = await sendText(t, alice, roomId, 'after the join')
    expect(counts(await sync(t, dave), roomId)).toEqual({
      notification_count: 1,
      highlight_count: 0,
    })
    const listed = async (user: TestUser): Promise<string[]> => {
      const answer = await t.call('GET', `${V3}/notifications`, { user })
      expect(answer.status).toBe(200)
      const body = answer.body as { notifications: { event: { event_id: string } }[] }
      return body.notifications.map((n) => n.event.event_id)
    }
    // Their invites come last: the invite rule is each invitee's own outcome.
    expect((await listed(bob)).slice(0, 3)).toEqual([later, reply, root])
    const daves = await listed(dave)
    expect(daves[0]).toBe(later)
    expect(daves).toHaveLength(2)
    const carols = await listed(carol)
    for (const messages of [root, reply, later]) expect(carols).not.toContain(messages)
    expect(carols).toHaveLength(1)
    expect(await listed(alice)).toEqual([])
  })

  it('counts threads apart when the filter asks, and clears them by threaded receipts', async () => {
    const { t, alice, bob, roomId } = await room(3)
    const root = await sendText(t, alice, roomId, 'root')
    const inThread = (body: string, extra: Record<string, unknown> = {}): Promise<string> =>
      sendText(t, alice, roomId, body, {
        'm.relates_to': { rel_type: 'm.thread', event_id: root },
        ...extra,
      })
    const r1 = await inThread('r1')
    const r2 = await inThread('r2', { 'm.mentions': { user_ids: [bob.userId] } })
    const reaction = await sendEvent(
      t,
      alice,
      roomId,
      { 'm.relates_to': { rel_type: 'm.annotation', event_id: r1, key: '👍' } },
      'm.reaction',
    )
    expect(reaction).toMatch(/^\$/)
    const main = await sendText(t, alice, roomId, 'main again')

    const byThread = await sync(t, bob, { filter: THREADS_FILTER })
    const joined = byThread.rooms.join[roomId]
    expect(joined?.unread_notifications).toEqual({ notification_count: 2, highlight_count: 0 })
    expect(joined?.unread_thread_notifications).toEqual({
      [root]: { notification_count: 2, highlight_count: 1 },
    })
    // Without the filter flag, all in the room's counts.
    const together = await sync(t, bob)
    expect(counts(together, roomId)).toEqual({ notification_count: 4, highlight_count: 1 })
    expect(together.rooms.join[roomId]?.unread_thread_notifications).toBeUndefined()

    await receipt(t, bob, roomId, r2, 'm.read', { thread_id: root })
    const threadRead = await sync(t, bob, { filter: THREADS_FILTER })
    expect(threadRead.rooms.join[roomId]?.unread_notifications).toEqual({
      notification_count: 2,
      highlight_count: 0,
    })
    expect(threadRead.rooms.join[roomId]?.unread_thread_notifications).toBeUndefined()
    await receipt(t, bob, roomId, main, 'm.read', { thread_id: 'main' })
    expect(counts(await sync(t, bob), roomId)).toEqual({
      notification_count: 0,
      highlight_count: 0,
    })
  })

  it('an unthreaded receipt clears every thread up to its event', async () => {
    const { t, alice, bob, roomId } = await room(3)
    const root = await sendText(t, alice, roomId, 'root')
    await sendText(t, alice, roomId, 'reply', {
      'm.relates_to': { rel_type: 'm.thread', event_id: root },
    })
    const last = await sendText(t, alice, roomId, 'last')
    await sendText(t, alice, roomId, 'after')
    await receipt(t, bob, roomId, last)
    const body = await sync(t, bob, { filter: THREADS_FILTER })
    expect(body.rooms.join[roomId]?.unread_notifications).toEqual({
      notification_count: 1,
      highlight_count: 0,
    })
    expect(body.rooms.join[roomId]?.unread_thread_notifications).toBeUndefined()
  })

  it('keeps suppressed events out of the counts: notices, edits, reactions, members', async () => {
    const { t, alice, bob, roomId } = await room(3)
    const target = await sendText(t, alice, roomId, 'original')
    await sendEvent(t, alice, roomId, { msgtype: 'm.notice', body: 'bot says' })
    await sendText(t, alice, roomId, '* edited', {
      'm.new_content': { msgtype: 'm.text', body: 'edited' },
      'm.relates_to': { rel_type: 'm.replace', event_id: target },
    })
    await sendEvent(
      t,
      alice,
      roomId,
      { 'm.relates_to': { rel_type: 'm.annotation', event_id: target, key: 'x' } },
      'm.reaction',
    )
    await sendEvent(t, alice, roomId, { name: 'renamed' }, 'm.room.name')
    expect(counts(await sync(t, bob), roomId)).toEqual({
      notification_count: 1,
      highlight_count: 0,
    })
  })

  it('shows the ruleset as m.push_rules in sync account data', async () => {
    const { t, bob } = await room(2)
    const initial = await sync(t, bob)
    const rules = initial.account_data.events.find((e) => e.type === 'm.push_rules')
    const global = rules?.content['global'] as Record<string, { rule_id: string }[]>
    expect(global['override']?.map((r) => r.rule_id)).toContain('.m.rule.is_user_mention')
    expect(global['underride']?.map((r) => r.rule_id)).toContain('.m.rule.encrypted')
    await t.call('PUT', `${V3}/pushrules/global/override/.m.rule.master/enabled`, {
      user: bob,
      body: { enabled: true },
    })
    const changed = await sync(t, bob, { since: initial.next_batch })
    const after = changed.account_data.events.find((e) => e.type === 'm.push_rules')
    const override = (
      after?.content['global'] as Record<string, { rule_id: string; enabled: boolean }[]>
    )['override']
    expect(override?.[0]).toMatchObject({ rule_id: '.m.rule.master', enabled: true })
    expect(override?.map((r) => r.rule_id)).toContain('.m.rule.tombstone')
  })
})

describe.each(roomTestStorages())('the processor’s position ($name)', (kind) => {
  const open = useRoomStorage(kind)

  it('wakes a long-poll sync with new counts when the processor stores them', async () => {
    const storage = await open()
    // A processor that runs only when told: the event reaches the sync before its counts.
    const t = await startPushTestServer(storage, { coalesceMs: 60_000 })
    const alice = await t.users.user('alice')
    const bob = await t.users.user('bob')
    const carol = await t.users.user('carol')
    const roomId = await sharedRoom(t, alice, [bob, carol])
    await t.processor.drain()
    const mention = await sendText(t, alice, roomId, 'hey bob', {
      'm.mentions': { user_ids: [bob.userId] },
    })
    // Sync does not wait for the processor: the event is there, its count not yet.
    const withEvent = await rawSync(t, bob)
    expect(withEvent.rooms.join[roomId]?.timeline.events.at(-1)?.event_id).toBe(mention)
    expect(counts(withEvent, roomId)).toEqual({ notification_count: 0, highlight_count: 0 })

    const started = performance.now()
    const waiting = rawSync(t, bob, { since: withEvent.next_batch, timeout: '20000' })
    const early = await Promise.race([
      waiting.then(() => 'answered'),
      new Promise((resolve) => setTimeout(resolve, 100, 'waiting')),
    ])
    expect(early).toBe('waiting')
    // No new event: only the processor's batch, which stores bob's counts.
    expect(await t.processor.runBatch()).toBe('processed')
    const woken = await waiting
    expect(performance.now() - started).toBeLessThan(10_000)
    const room = woken.rooms.join[roomId]
    expect(room?.timeline.events).toEqual([])
    expect(counts(woken, roomId)).toEqual({ notification_count: 1, highlight_count: 1 })
    // Alice's counts did not change (her own message): her sync stays asleep and quiet.
    const aliceNow = await rawSync(t, alice)
    const aliceNext = await rawSync(t, alice, { since: aliceNow.next_batch, timeout: '50' })
    expect(aliceNext.rooms.join).toEqual({})
    // The change is reported once: the next sync from there has nothing.
    const after = await rawSync(t, bob, { since: woken.next_batch, timeout: '50' })
    expect(after.rooms.join).toEqual({})
    await t.close()
  })

  it('sends the counts of a room with no new events when a read position hides them', async () => {
    const storage = await open()
    const t = await startPushTestServer(storage, { coalesceMs: 60_000 })
    const alice = await t.users.user('alice')
    const bob = await t.users.user('bob')
    const carol = await t.users.user('carol')
    const roomId = await sharedRoom(t, alice, [bob, carol])
    await sendText(t, alice, roomId, 'one')
    await t.processor.drain()
    const before = await rawSync(t, bob)
    expect(counts(before, roomId)).toEqual({ notification_count: 1, highlight_count: 0 })
    // Bob answers: his own message reads the room up to it, once the processor sees it.
    await sendText(t, bob, roomId, 'my answer')
    const withAnswer = await rawSync(t, bob, { since: before.next_batch })
    expect(counts(withAnswer, roomId)?.notification_count).toBe(1)
    const waiting = rawSync(t, bob, { since: withAnswer.next_batch, timeout: '20000' })
    await new Promise((resolve) => setTimeout(resolve, 50))
    await t.processor.drain()
    const woken = await waiting
    expect(woken.rooms.join[roomId]?.timeline.events).toEqual([])
    expect(counts(woken, roomId)).toEqual({ notification_count: 0, highlight_count: 0 })
    await t.close()
  })

  it('hands committed notifications to the pusher hook, with counts, for the users it wants', async () => {
    const storage = await open()
    const delivered: PushedNotification[] = []
    const t = await startPushTestServer(storage, {
      pusher: {
        wants: (userId) => userId.startsWith('@bob:'),
        notify: (notifications) => {
          delivered.push(...notifications)
          return Promise.resolve()
        },
      },
    })
    const alice = await t.users.user('alice')
    const bob = await t.users.user('bob')
    const carol = await t.users.user('carol')
    const roomId = await sharedRoom(t, alice, [bob, carol])
    await sendText(t, alice, roomId, 'first')
    const mention = await sendText(t, alice, roomId, 'bob!', {
      'm.mentions': { user_ids: [bob.userId] },
    })
    await t.processor.drain()
    // The hook runs after the commit, and after waiters are woken.
    for (let i = 0; i < 500 && delivered.length < 3; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    // Bob's invite, then the two messages; nothing for carol, whom the hook does not want.
    expect(delivered.map((n) => [n.userId, n.event.pdu.type])).toEqual([
      [bob.userId, 'm.room.member'],
      [bob.userId, 'm.room.message'],
      [bob.userId, 'm.room.message'],
    ])
    const last = delivered.at(-1)
    expect(last?.event.pdu.eventId).toBe(mention)
    expect(last?.roomId).toBe(roomId)
    expect(last?.actions).toEqual([
      'notify',
      { set_tweak: 'sound', value: 'default' },
      { set_tweak: 'highlight' },
    ])
    expect(last?.counts).toEqual({ notifications: 2, highlights: 1 })
    await t.close()
  })

  it('keeps going when the pusher hook fails', async () => {
    const storage = await open()
    const t = await startPushTestServer(storage, {
      pusher: {
        wants: () => true,
        notify: () => Promise.reject(new Error('gateway down')),
      },
    })
    const alice = await t.users.user('alice')
    const bob = await t.users.user('bob')
    const carol = await t.users.user('carol')
    const roomId = await sharedRoom(t, alice, [bob, carol])
    await sendText(t, alice, roomId, 'still counted')
    expect(counts(await sync(t, bob), roomId)).toEqual({
      notification_count: 1,
      highlight_count: 0,
    })
    await t.close()
  })

  it('resumes after a stop where it left off, counting each event once', async () => {
    const storage = await open()
    // A processor that never runs on its own: events pile up unprocessed.
    const first = await startPushTestServer(storage, { coalesceMs: 60_000 })
    const alice = await first.users.user('alice')
    const bob = await first.users.user('bob')
    const carol = await first.users.user('carol')
    const roomId = await sharedRoom(first, alice, [bob, carol])
    await first.processor.drain()
    for (let i = 0; i < 5; i++) await sendText(first, alice, roomId, `m${i}`)
    await first.processor.close()
    expect(
      await storage.push.unreadCounts(bob.userId, [roomId as never], Number.MAX_SAFE_INTEGER),
    ).toEqual(new Map())
    // A second processor on the same database takes over from the stored position, twice over.
    const second = await startPushTestServer(storage, { coalesceMs: 60_000 })
    await second.processor.drain()
    await second.processor.drain()
    const upTo = await storage.streams.currentPosition()
    expect(await storage.push.eventsAfter(await storage.push.processedPosition(), upTo, 1)).toEqual(
      [],
    )
    const stored = await storage.push.unreadCounts(bob.userId, [roomId as never], upTo)
    expect([...(stored.get(roomId as never)?.values() ?? [])]).toEqual([
      { notifications: 5, highlights: 0 },
    ])
    await first.close()
    await second.close()
  })

  it('splits a large batch', async () => {
    const storage = await open()
    const t = await startPushTestServer(storage, {
      coalesceMs: 60_000,
      batchEvents: 3,
      batchEvaluations: 4,
    })
    const alice = await t.users.user('alice')
    const bob = await t.users.user('bob')
    const carol = await t.users.user('carol')
    const roomId = await sharedRoom(t, alice, [bob, carol])
    for (let i = 0; i < 7; i++) await sendText(t, alice, roomId, `m${i}`)
    const upTo = await storage.streams.currentPosition()
    const before = await storage.push.processedPosition()
    expect(await t.processor.runBatch()).toBe('processed')
    // At most three events a batch: one batch does not reach the seven messages' end.
    const reached = await storage.push.processedPosition()
    expect(reached).toBeGreaterThan(before)
    // The background loop may have taken some events before `before` was read: count the
    // events the one batch took, which must be at most three.
    const timeline = await storage.events.roomTimeline(roomId as never, {
      direction: 'f',
      limit: 100,
    })
    const positions = timeline.events.map((e) => e.streamPosition ?? 0)
    const taken = positions.filter((p) => p > before && p <= reached).length
    expect(taken).toBeGreaterThan(0)
    expect(taken).toBeLessThanOrEqual(3)
    if (positions.filter((p) => p > before).length > 3) expect(reached).toBeLessThan(upTo)
    await t.processor.drain()
    const stored = await storage.push.unreadCounts(carol.userId, [roomId as never], upTo)
    expect([...(stored.get(roomId as never)?.values() ?? [])]).toEqual([
      { notifications: 7, highlights: 0 },
    ])
    await t.close()
  })
})

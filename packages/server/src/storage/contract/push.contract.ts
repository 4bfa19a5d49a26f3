import type { EventId, RoomId, UserId } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import type { Storage, StreamNotification } from '../interface.js'
import type { NewPushAction, PushBatch, StoredPushAction } from '../push-store.js'
import { useStorages, type StorageHarness } from './harness.js'
import { append, createRoom, TestRoom } from './test-room.js'

interface Sent {
  readonly eventId: EventId
  readonly position: number
}

async function roomWith(
  storage: Storage,
  bodies: readonly string[],
): Promise<{
  room: TestRoom
  sent: Sent[]
}> {
  const room = new TestRoom()
  await createRoom(storage, room)
  const sent: Sent[] = []
  for (const body of bodies) {
    const event = room.message(body)
    sent.push({ eventId: event.eventId, position: (await append(storage, event)).streamPosition })
  }
  return { room, sent }
}

function action(
  userId: UserId,
  roomId: RoomId,
  at: Sent,
  extra: Partial<NewPushAction> = {},
): NewPushAction {
  return {
    userId,
    roomId,
    eventId: at.eventId,
    streamPosition: at.position,
    threadId: 'main',
    actions: ['notify'],
    highlight: false,
    ts: 1_700_000_000_000 + at.position,
    notify: true,
    ...extra,
  }
}

/** The notification a user action is stored as. */
function stored(a: NewPushAction): StoredPushAction {
  const { notify: _, ...rest } = a
  return rest
}

const carol = (room: TestRoom): UserId => `@carol-${room.roomId.slice(1, 9)}:test` as UserId

export function pushContract(harness: StorageHarness): void {
  describe('push actions and the push processor position', () => {
    const { open, reopen, openSibling } = useStorages(harness)

    it('starts at the stream position the database had, and reads events after it', async () => {
      const storage = await open()
      expect(await storage.push.processedPosition()).toBe(0)
      const { room, sent } = await roomWith(storage, ['a', 'b', 'c'])
      const upTo = await storage.streams.currentPosition()
      const all = await storage.push.eventsAfter(0, upTo, 100)
      expect(all.map((e) => e.streamPosition)).toEqual([1, 2, 3, 4, 5])
      expect(all.every((e) => e.pdu.roomId === room.roomId)).toBe(true)
      const page = await storage.push.eventsAfter(2, upTo, 2)
      expect(page.map((e) => e.pdu.eventId)).toEqual([sent[0]?.eventId, sent[1]?.eventId])
      expect(await storage.push.eventsAfter(upTo, upTo, 10)).toEqual([])
    })

    it('leaves rejected events out', async () => {
      const storage = await open()
      const room = new TestRoom()
      await createRoom(storage, room)
      const rejected = room.message('nope')
      await append(storage, rejected, { rejectionReason: 'test', currentState: 'keep' })
      const upTo = await storage.streams.currentPosition()
      const events = await storage.push.eventsAfter(0, upTo, 10)
      expect(events.map((e) => e.pdu.eventId)).not.toContain(rejected.eventId)
    })

    it('commits a batch’s actions, reads and position together', async () => {
      const storage = await open()
      const { room, sent } = await roomWith(storage, ['a', 'b', 'c'])
      const upTo = await storage.streams.currentPosition()
      const user = carol(room)
      const [a, b, c] = sent as [Sent, Sent, Sent]
      const outcome = await storage.push.processBatch(async (position) => {
        expect(position).toBe(0)
        return Promise.resolve<PushBatch>({
          position: upTo,
          actions: [
            action(user, room.roomId, a),
            action(user, room.roomId, b, {
              highlight: true,
              actions: ['notify', { set_tweak: 'highlight' }],
            }),
            action(user, room.roomId, c, { threadId: '$root' }),
            action(room.creator, room.roomId, c),
          ],
          roomActions: [],
          reads: [
            { userId: room.creator, roomId: room.roomId, threadId: 'main', position: b.position },
          ],
        })
      })
      expect(outcome).toBe('processed')
      expect(await storage.push.processedPosition()).toBe(upTo)
      expect(await storage.push.readPositions(room.creator, room.roomId)).toEqual(
        new Map([['main', b.position]]),
      )

      const counts = await storage.push.unreadCounts(user, [room.roomId], upTo)
      expect(counts).toEqual(
        new Map([
          [
            room.roomId,
            new Map([
              ['main', { notifications: 2, highlights: 1 }],
              ['$root', { notifications: 1, highlights: 0 }],
            ]),
          ],
        ]),
      )
      // The sender's own read of the main thread hides nothing in another thread.
      expect(await storage.push.unreadCounts(room.creator, [room.roomId], upTo)).toEqual(
        new Map([[room.roomId, new Map([['main', { notifications: 1, highlights: 0 }]])]]),
      )
      // Counts stop at upTo.
      expect(await storage.push.unreadCounts(user, [room.roomId], a.position)).toEqual(
        new Map([[room.roomId, new Map([['main', { notifications: 1, highlights: 0 }]])]]),
      )

      const notifications = await storage.push.notifications(user, {
        before: undefined,
        limit: 10,
        onlyHighlight: false,
      })
      expect(notifications.map((n) => n.eventId)).toEqual([c.eventId, b.eventId, a.eventId])
      expect(notifications[1]).toEqual(
        stored(
          action(user, room.roomId, b, {
            highlight: true,
            actions: ['notify', { set_tweak: 'highlight' }],
          }),
        ),
      )
      const page = await storage.push.notifications(user, {
        before: c.position,
        limit: 1,
        onlyHighlight: false,
      })
      expect(page.map((n) => n.eventId)).toEqual([b.eventId])
      const highlights = await storage.push.notifications(user, {
        before: undefined,
        limit: 10,
        onlyHighlight: true,
      })
      expect(highlights.map((n) => n.eventId)).toEqual([b.eventId])
    })

    it('counts a room action for every member without an outcome of their own', async () => {
      const storage = await open()
      const room = new TestRoom()
      await createRoom(storage, room)
      const bob = `@bob-${room.roomId.slice(1, 9)}:test` as UserId
      const user = carol(room)
      for (const member of [bob, user]) await append(storage, room.member(member, 'join'))
      const message = room.message('to everyone')
      const m: Sent = {
        eventId: message.eventId,
        position: (await append(storage, message)).streamPosition,
      }
      const reply = room.message('a reply', bob)
      const r: Sent = {
        eventId: reply.eventId,
        position: (await append(storage, reply)).streamPosition,
      }
      const upTo = await storage.streams.currentPosition()
      const roomAction = (at: Sent, sender: UserId, highlight = false) => ({
        roomId: room.roomId,
        eventId: at.eventId,
        sender,
        streamPosition: at.position,
        threadId: 'main',
        actions: highlight ? ['notify', { set_tweak: 'highlight' }] : ['notify'],
        highlight,
        ts: 1_700_000_000_000 + at.position,
      })
      await storage.push.processBatch(() =>
        Promise.resolve<PushBatch>({
          position: upTo,
          // Carol has her own outcome for both: the first does not notify her, the reply
          // notifies her with a highlight (counted once, not with the room action too).
          actions: [
            action(user, room.roomId, m, { notify: false, actions: [] }),
            action(user, room.roomId, r, {
              highlight: true,
              actions: ['notify', { set_tweak: 'highlight' }],
            }),
          ],
          roomActions: [roomAction(m, room.creator), roomAction(r, bob)],
          reads: [
            { userId: room.creator, roomId: room.roomId, threadId: 'main', position: m.position },
            { userId: bob, roomId: room.roomId, threadId: 'main', position: r.position },
          ],
        }),
      )
      const countOf = async (userId: UserId) =>
        (await storage.push.unreadCounts(userId, [room.roomId], upTo)).get(room.roomId)?.get('main')
      expect(await countOf(bob)).toBeUndefined()
      expect(await countOf(user)).toEqual({ notifications: 1, highlights: 1 })
      expect(await countOf(room.creator)).toEqual({ notifications: 1, highlights: 0 })

      const listed = async (userId: UserId, onlyHighlight = false) =>
        (
          await storage.push.notifications(userId, { before: undefined, limit: 10, onlyHighlight })
        ).map((n) => [n.userId, n.eventId, n.highlight])
      expect(await listed(room.creator)).toEqual([[room.creator, r.eventId, false]])
      expect(await listed(bob)).toEqual([[bob, m.eventId, false]])
      expect(await listed(user)).toEqual([[user, r.eventId, true]])
      expect(await listed(bob, true)).toEqual([])

      // The batch's count change reaches every member's sync but the one who sent everything
      // in it; here two members sent, so all of them.
      const news = async (userId: UserId) =>
        (await storage.sync.roomNews(userId, [room.roomId], upTo, upTo + 1)).unreadCounts
      for (const member of [bob, user, room.creator]) {
        expect(await news(member)).toEqual(new Set([room.roomId]))
      }
      const more = room.message('only mine')
      const o: Sent = {
        eventId: more.eventId,
        position: (await append(storage, more)).streamPosition,
      }
      const end = await storage.streams.currentPosition()
      await storage.push.processBatch(() =>
        Promise.resolve<PushBatch>({
          position: end,
          actions: [],
          roomActions: [roomAction(o, room.creator)],
          reads: [],
        }),
      )
      const after = await storage.streams.currentPosition()
      const newsSince = async (userId: UserId) =>
        (await storage.sync.roomNews(userId, [room.roomId], end, after)).unreadCounts
      expect(await newsSince(room.creator)).toEqual(new Set())
      expect(await newsSince(bob)).toEqual(new Set([room.roomId]))
    })

    it('gives a batch that changes counts a stream position and wakes its users', async () => {
      const storage = await open()
      const { room, sent } = await roomWith(storage, ['a', 'b', 'c'])
      const upTo = await storage.streams.currentPosition()
      const user = carol(room)
      const bystander = `@dave-${room.roomId.slice(1, 9)}:test` as UserId
      const [a, b, c] = sent as [Sent, Sent, Sent]
      const heard: StreamNotification[] = []
      const stop = storage.streams.notifier.subscribe((n) => {
        if (!n.catchUp) heard.push(n)
      })
      try {
        await storage.push.processBatch(() =>
          Promise.resolve({
            position: b.position,
            actions: [action(user, room.roomId, a), action(user, room.roomId, b)],
            // The creator has nothing unread: raising the read position changes no count.
            roomActions: [],
            reads: [
              { userId: room.creator, roomId: room.roomId, threadId: 'main', position: b.position },
            ],
          }),
        )
        const first = upTo + 1
        expect(await storage.streams.currentPosition()).toBe(first)
        // Other tests' storages share PostgreSQL's notification channel: find this test's own.
        const mine = (n: StreamNotification): boolean =>
          n.position === first && n.userIds.includes(user)
        await waitFor(() => heard.some(mine))
        expect(heard.find(mine)).toEqual({
          position: first,
          roomIds: [],
          userIds: [user],
          catchUp: false,
        })
        const news = (userId: UserId, since: number, to: number): Promise<unknown> =>
          storage.sync.roomNews(userId, [room.roomId], since, to)
        const none = { events: new Set(), unreadCounts: new Set() }
        expect(await news(user, upTo, first)).toEqual({
          events: new Set(),
          unreadCounts: new Set([room.roomId]),
        })
        expect(await news(user, first, first)).toEqual(none)
        expect(await news(room.creator, upTo, first)).toEqual(none)
        expect(await news(bystander, upTo, first)).toEqual(none)
        expect(await storage.sync.roomNews(user, [], upTo, first)).toEqual(none)
        // Both kinds at once: events in the range and the count change.
        expect(await news(user, 0, first)).toEqual({
          events: new Set([room.roomId]),
          unreadCounts: new Set([room.roomId]),
        })

        // A batch that changes nothing for anyone leaves the stream where it is.
        await storage.push.processBatch(() =>
          Promise.resolve({ position: upTo, actions: [], roomActions: [], reads: [] }),
        )
        expect(await storage.streams.currentPosition()).toBe(first)

        // A read position raised past a stored action changes the reader's counts.
        await storage.push.processBatch(() =>
          Promise.resolve({
            position: first,
            actions: [],
            roomActions: [],
            reads: [{ userId: user, roomId: room.roomId, threadId: 'main', position: c.position }],
          }),
        )
        const second = first + 1
        expect(await storage.streams.currentPosition()).toBe(second)
        expect(await news(user, first, second)).toEqual({
          events: new Set(),
          unreadCounts: new Set([room.roomId]),
        })
        expect(await storage.push.unreadCounts(user, [room.roomId], second)).toEqual(new Map())
        const wakes = (n: StreamNotification): boolean =>
          n.position === second && n.userIds.includes(user)
        await waitFor(() => heard.some(wakes))
        expect(heard.find(wakes)?.userIds).toEqual([user])
      } finally {
        stop()
      }
    })

    it('counts from the unthreaded read position, or a thread’s own when it is ahead', async () => {
      const storage = await open()
      const { room, sent } = await roomWith(storage, ['1', '2', '3', '4', '5'])
      const upTo = await storage.streams.currentPosition()
      const user = carol(room)
      const [e1, e2, e3, e4, e5] = sent as [Sent, Sent, Sent, Sent, Sent]
      await storage.push.processBatch(() =>
        Promise.resolve({
          position: upTo,
          actions: [
            action(user, room.roomId, e1),
            action(user, room.roomId, e2, { threadId: '$t' }),
            action(user, room.roomId, e3, { highlight: true }),
            action(user, room.roomId, e4, { threadId: '$t', highlight: true }),
            action(user, room.roomId, e5, { threadId: '$u' }),
          ],
          roomActions: [],
          reads: [],
        }),
      )
      const counts = async (): Promise<unknown> =>
        storage.push.unreadCounts(user, [room.roomId], upTo)
      expect(await counts()).toEqual(
        new Map([
          [
            room.roomId,
            new Map([
              ['main', { notifications: 2, highlights: 1 }],
              ['$t', { notifications: 2, highlights: 1 }],
              ['$u', { notifications: 1, highlights: 0 }],
            ]),
          ],
        ]),
      )
      // A threaded receipt on $t clears only $t up to it.
      await storage.receipts.put({
        roomId: room.roomId,
        userId: user,
        receiptType: 'm.read',
        threadId: '$t',
        eventId: e4.eventId,
        eventPosition: e4.position,
        ts: 1,
      })
      expect(await counts()).toEqual(
        new Map([
          [
            room.roomId,
            new Map([
              ['main', { notifications: 2, highlights: 1 }],
              ['$u', { notifications: 1, highlights: 0 }],
            ]),
          ],
        ]),
      )
      // An unthreaded receipt clears every thread up to its event.
      await storage.receipts.put({
        roomId: room.roomId,
        userId: user,
        receiptType: 'm.read.private',
        threadId: undefined,
        eventId: e3.eventId,
        eventPosition: e3.position,
        ts: 2,
      })
      expect(await counts()).toEqual(
        new Map([[room.roomId, new Map([['$u', { notifications: 1, highlights: 0 }]])]]),
      )
      await storage.receipts.put({
        roomId: room.roomId,
        userId: user,
        receiptType: 'm.read',
        threadId: undefined,
        eventId: e5.eventId,
        eventPosition: e5.position,
        ts: 3,
      })
      expect(await counts()).toEqual(new Map())
      expect(await storage.push.unreadCounts(user, [], upTo)).toEqual(new Map())
    })

    it('writes nothing for an idle batch or one whose work fails', async () => {
      const storage = await open()
      const { room, sent } = await roomWith(storage, ['a'])
      const upTo = await storage.streams.currentPosition()
      expect(await storage.push.processBatch(() => Promise.resolve(undefined))).toBe('idle')
      await expect(
        storage.push.processBatch(() => Promise.reject(new Error('crashed mid-batch'))),
      ).rejects.toThrow('crashed mid-batch')
      expect(await storage.push.processedPosition()).toBe(0)
      const user = carol(room)
      // A retry after the failure processes the range once.
      for (let i = 0; i < 2; i++) {
        await storage.push.processBatch((position) =>
          Promise.resolve(
            position >= upTo
              ? undefined
              : {
                  position: upTo,
                  actions: [action(user, room.roomId, sent[0] as Sent)],
                  roomActions: [],
                  reads: [],
                },
          ),
        )
      }
      expect(await storage.push.processedPosition()).toBe(upTo)
      expect(await storage.push.unreadCounts(user, [room.roomId], upTo)).toEqual(
        new Map([[room.roomId, new Map([['main', { notifications: 1, highlights: 0 }]])]]),
      )
    })

    it('finds users whose push settings changed, and reads them', async () => {
      const storage = await open()
      const alice = '@alice-rules:test' as UserId
      const bob = '@bob-rules:test' as UserId
      const start = await storage.streams.currentPosition()
      await storage.accountData.set(alice, undefined, 'm.push_rules', { global: { override: [] } })
      await storage.accountData.set(bob, undefined, 'm.direct', {})
      await storage.accountData.set(bob, '!r:test' as RoomId, 'm.push_rules', { wrong: true })
      const upTo = await storage.streams.currentPosition()
      await storage.accountData.set(bob, undefined, 'm.ignored_user_list', { ignored_users: {} })
      const after = await storage.streams.currentPosition()
      expect(await storage.push.settingsChanged(['m.push_rules'], start, upTo)).toEqual([alice])
      expect(await storage.push.settingsChanged(['m.push_rules'], start + 1, upTo)).toEqual([])
      expect(
        await storage.push.settingsChanged(['m.push_rules', 'm.ignored_user_list'], start, after),
      ).toEqual([alice, bob])
      expect(await storage.push.settingsOf('m.push_rules', [alice, bob])).toEqual(
        new Map([[alice, { global: { override: [] } }]]),
      )
      expect(await storage.push.settingsOf('m.ignored_user_list', [alice, bob])).toEqual(
        new Map([[bob, { ignored_users: {} }]]),
      )
      expect(await storage.push.settingsOf('m.push_rules', [])).toEqual(new Map())
    })

    it.runIf(harness.reopen !== undefined)(
      'keeps its position and actions across a restart',
      async () => {
        const storage = await open()
        const { room, sent } = await roomWith(storage, ['a'])
        const upTo = await storage.streams.currentPosition()
        await storage.push.processBatch(() =>
          Promise.resolve({
            position: upTo,
            actions: [action(carol(room), room.roomId, sent[0] as Sent)],
            roomActions: [],
            reads: [],
          }),
        )
        const again = await reopen(storage)
        expect(await again.push.processedPosition()).toBe(upTo)
        expect(
          (
            await again.push.notifications(carol(room), {
              before: undefined,
              limit: 5,
              onlyHighlight: false,
            })
          ).length,
        ).toBe(1)
      },
    )

    it.runIf(harness.openSibling !== undefined)(
      'lets one worker at a time hold the position; the others are told it is busy',
      async () => {
        const one = await open()
        const two = await openSibling(one)
        const { room, sent } = await roomWith(one, ['a', 'b'])
        const upTo = await one.streams.currentPosition()
        let release!: () => void
        const held = new Promise<void>((resolve) => {
          release = resolve
        })
        let started!: () => void
        const running = new Promise<void>((resolve) => {
          started = resolve
        })
        const first = one.push.processBatch(async (position) => {
          started()
          await held
          return {
            position: upTo,
            actions: [
              action(carol(room), room.roomId, sent[0] as Sent, { streamPosition: position + 100 }),
            ],
            roomActions: [],
            reads: [],
          }
        })
        await running
        expect(await two.push.processBatch(() => Promise.resolve(undefined))).toBe('busy')
        release()
        expect(await first).toBe('processed')
        let seen: number | undefined
        expect(
          await two.push.processBatch((position) => {
            seen = position
            return Promise.resolve(undefined)
          }),
        ).toBe('idle')
        expect(seen).toBe(upTo)
      },
    )
  })
}

async function waitFor(done: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000
  while (!done()) {
    if (Date.now() > deadline) throw new Error('timed out')
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
}

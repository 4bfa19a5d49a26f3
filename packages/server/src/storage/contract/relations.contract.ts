import type { EventId, JsonObject, Pdu, RoomId, UserId } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import type { Storage } from '../interface.js'
import { useStorages, type StorageHarness } from './harness.js'
import { append, createRoom, TestRoom } from './test-room.js'

const relates = (relType: string, parent: EventId, extra: JsonObject = {}): JsonObject => ({
  'm.relates_to': { rel_type: relType, event_id: parent, ...extra },
})

function child(room: TestRoom, relType: string, parent: EventId, options: ChildOptions = {}): Pdu {
  return room.event({
    type: options.type ?? 'm.room.message',
    content: { body: 'child', ...relates(relType, parent, options.relates), ...options.content },
    ...(options.sender === undefined ? {} : { sender: options.sender }),
  })
}

interface ChildOptions {
  readonly type?: string
  readonly sender?: string
  readonly content?: JsonObject
  readonly relates?: JsonObject
}

async function persist(storage: Storage, ...events: Pdu[]): Promise<EventId[]> {
  for (const event of events) await append(storage, event)
  return events.map((e) => e.eventId)
}

const ids = (events: readonly { pdu: Pdu }[]): EventId[] => events.map((e) => e.pdu.eventId)

export function relationsContract(harness: StorageHarness): void {
  describe('relations', () => {
    const { open } = useStorages(harness)

    it('pages the children of an event both ways, filtered by relation and event type', async () => {
      const storage = await open()
      const room = new TestRoom()
      await createRoom(storage, room)
      const [parent] = await persist(storage, room.message('parent'))
      if (parent === undefined) throw new Error('no parent')
      const children = await persist(
        storage,
        child(room, 'm.thread', parent),
        child(room, 'm.annotation', parent, { type: 'm.reaction', relates: { key: 'x' } }),
        room.message('unrelated'),
        child(room, 'm.thread', parent),
        child(room, 'm.reference', parent),
      )
      const [t1, a1, , t2, r1] = children
      const { relations } = storage

      const all = await relations.children(room.roomId, parent, {
        direction: 'b',
        limit: 10,
        depth: 1,
      })
      expect(ids(all.events)).toEqual([r1, t2, a1, t1])
      expect(all.next).toBeUndefined()

      const first = await relations.children(room.roomId, parent, {
        direction: 'b',
        limit: 2,
        depth: 1,
      })
      expect(ids(first.events)).toEqual([r1, t2])
      const second = await relations.children(room.roomId, parent, {
        direction: 'b',
        from: first.next ?? -1,
        limit: 2,
        depth: 1,
      })
      expect(ids(second.events)).toEqual([a1, t1])
      expect(second.next).toBeUndefined()

      const forwards = await relations.children(room.roomId, parent, {
        direction: 'f',
        limit: 10,
        depth: 1,
      })
      expect(ids(forwards.events)).toEqual([t1, a1, t2, r1])

      const threads = await relations.children(room.roomId, parent, {
        direction: 'b',
        limit: 10,
        depth: 1,
        relType: 'm.thread',
      })
      expect(ids(threads.events)).toEqual([t2, t1])
      const reactions = await relations.children(room.roomId, parent, {
        direction: 'b',
        limit: 10,
        depth: 1,
        relType: 'm.annotation',
        eventType: 'm.reaction',
      })
      expect(ids(reactions.events)).toEqual([a1])
      const none = await relations.children(room.roomId, parent, {
        direction: 'b',
        limit: 10,
        depth: 1,
        relType: 'm.annotation',
        eventType: 'm.room.message',
      })
      expect(none.events).toEqual([])
      // Another room's view of the same parent ID has no children.
      const elsewhere = await relations.children('!other:test' as RoomId, parent, {
        direction: 'b',
        limit: 10,
        depth: 1,
      })
      expect(elsewhere.events).toEqual([])
    })

    it('recurses through relations that pass the filters, down to the depth asked', async () => {
      const storage = await open()
      const room = new TestRoom()
      await createRoom(storage, room)
      const [root] = await persist(storage, room.message('root'))
      if (root === undefined) throw new Error('no root')
      const level1 = child(room, 'm.thread', root)
      const level2 = child(room, 'm.reference', level1.eventId)
      const level3 = child(room, 'm.reference', level2.eventId)
      const level4 = child(room, 'm.reference', level3.eventId)
      const viaAnnotation = child(room, 'm.annotation', root, { type: 'm.reaction' })
      const underAnnotation = child(room, 'm.reference', viaAnnotation.eventId)
      await persist(storage, level1, level2, level3, level4, viaAnnotation, underAnnotation)

      const query = { direction: 'f' as const, limit: 20 }
      const direct = await storage.relations.children(room.roomId, root, { ...query, depth: 1 })
      expect(ids(direct.events)).toEqual([level1.eventId, viaAnnotation.eventId])
      const deep = await storage.relations.children(room.roomId, root, { ...query, depth: 3 })
      expect(ids(deep.events)).toEqual([
        level1.eventId,
        level2.eventId,
        level3.eventId,
        viaAnnotation.eventId,
        underAnnotation.eventId,
      ])
      // The filter applies at every level: a reference under a thread reply is not reached.
      const references = await storage.relations.children(room.roomId, root, {
        ...query,
        depth: 3,
        relType: 'm.reference',
      })
      expect(references.events).toEqual([])
      const paged = await storage.relations.children(room.roomId, root, {
        direction: 'b',
        limit: 2,
        depth: 3,
      })
      expect(ids(paged.events)).toEqual([underAnnotation.eventId, viaAnnotation.eventId])
      expect(paged.next).toBeDefined()
    })

    it('forgets the relation of a redacted or rejected child, and keeps those of a redacted parent', async () => {
      const storage = await open()
      const room = new TestRoom()
      await createRoom(storage, room)
      const [parent] = await persist(storage, room.message('parent'))
      if (parent === undefined) throw new Error('no parent')
      const kept = child(room, 'm.thread', parent)
      const redacted = child(room, 'm.thread', parent)
      await persist(storage, kept, redacted)
      await append(storage, child(room, 'm.thread', parent), { rejectionReason: 'test' })
      // A redaction stored before its target: the target arrives redacted and is never indexed.
      const early = child(room, 'm.thread', parent)
      await persist(
        storage,
        room.event({ type: 'm.room.redaction', redacts: early.eventId, content: {} }),
        early,
      )
      await persist(
        storage,
        room.event({ type: 'm.room.redaction', redacts: redacted.eventId, content: {} }),
        room.event({ type: 'm.room.redaction', redacts: parent, content: {} }),
      )

      const page = await storage.relations.children(room.roomId, parent, {
        direction: 'b',
        limit: 10,
        depth: 1,
      })
      expect(ids(page.events)).toEqual([kept.eventId])
      const aggregates = await storage.relations.aggregations({
        parents: [parent],
        editable: [],
        viewer: undefined,
      })
      expect(aggregates.get(parent)?.thread).toEqual({
        count: 1,
        latestEventId: kept.eventId,
        viewerReplied: false,
      })
    })

    it('aggregates the latest valid edit, threads and references of many events at once', async () => {
      const storage = await open()
      const room = new TestRoom()
      const bob = `@bob-${room.roomId.slice(1, 9)}:test`
      await createRoom(storage, room)
      const [a, b, c] = await persist(
        storage,
        room.message('a'),
        room.message('b'),
        room.message('c', bob),
      )
      if (a === undefined || b === undefined || c === undefined) throw new Error('no parents')
      const newContent = { 'm.new_content': { body: 'edited', msgtype: 'm.text' } }
      const edit1 = child(room, 'm.replace', a, { content: newContent })
      const edit2 = child(room, 'm.replace', a, { content: newContent })
      // Invalid edits: later, but by someone else, of another type, without m.new_content.
      const byBob = child(room, 'm.replace', a, { content: newContent, sender: bob })
      const otherType = child(room, 'm.replace', a, { content: newContent, type: 'm.sticker' })
      const noNewContent = child(room, 'm.replace', a)
      const reply1 = child(room, 'm.thread', b, { sender: bob })
      const reply2 = child(room, 'm.thread', b)
      const ref1 = child(room, 'm.reference', b)
      const ref2 = child(room, 'm.reference', b, { sender: bob })
      const bobReply = child(room, 'm.thread', c, { sender: bob })
      await persist(
        storage,
        edit1,
        edit2,
        byBob,
        otherType,
        noNewContent,
        reply1,
        reply2,
        ref1,
        ref2,
        bobReply,
      )

      const aggregates = await storage.relations.aggregations({
        parents: [a, b, c],
        editable: [a, b, c],
        viewer: room.creator,
      })
      expect(aggregates.get(a)).toEqual({ latestEdit: edit2.eventId })
      expect(aggregates.get(b)).toEqual({
        thread: { count: 2, latestEventId: reply2.eventId, viewerReplied: true },
        references: [ref1.eventId, ref2.eventId],
      })
      expect(aggregates.get(c)).toEqual({
        thread: { count: 1, latestEventId: bobReply.eventId, viewerReplied: false },
      })
      // An event not listed as editable gets no edit; an empty request reads nothing.
      const notEditable = await storage.relations.aggregations({
        parents: [a],
        editable: [],
        viewer: undefined,
      })
      expect(notEditable.get(a)).toBeUndefined()
      expect(
        (await storage.relations.aggregations({ parents: [], editable: [], viewer: undefined }))
          .size,
      ).toBe(0)

      // Children sent by users the viewer ignores leave threads and references.
      await storage.accountData.set(room.creator, undefined, 'm.ignored_user_list', {
        ignored_users: { [bob]: {} },
      })
      const ignoring = await storage.relations.aggregations({
        parents: [b, c],
        editable: [],
        viewer: room.creator,
      })
      expect(ignoring.get(b)).toEqual({
        thread: { count: 1, latestEventId: reply2.eventId, viewerReplied: true },
        references: [ref1.eventId],
      })
      expect(ignoring.get(c)).toBeUndefined()
    })

    it('breaks ties between edits with the same timestamp by the larger event ID', async () => {
      const storage = await open()
      const room = new TestRoom()
      await createRoom(storage, room)
      const [parent] = await persist(storage, room.message('parent'))
      if (parent === undefined) throw new Error('no parent')
      const newContent = { 'm.new_content': { body: 'x' } }
      const one = child(room, 'm.replace', parent, { content: newContent })
      const two = child(room, 'm.replace', parent, { content: newContent })
      const sameTs: Pdu = {
        ...two,
        originServerTs: one.originServerTs,
        json: { ...two.json, origin_server_ts: one.originServerTs },
      }
      // Stored newest first, so the stream order cannot decide.
      await persist(storage, sameTs, one)
      const expected = [one.eventId, two.eventId].sort().at(-1)
      const aggregates = await storage.relations.aggregations({
        parents: [parent],
        editable: [parent],
        viewer: undefined,
      })
      expect(aggregates.get(parent)?.latestEdit).toBe(expected)
    })

    it('lists threads by their latest reply, pages them, and filters by participation', async () => {
      const storage = await open()
      const room = new TestRoom()
      const bob = `@bob-${room.roomId.slice(1, 9)}:test` as UserId
      await createRoom(storage, room)
      const [root1, root2, root3] = await persist(
        storage,
        room.message('one'),
        room.message('two', bob),
        room.message('three', bob),
      )
      if (root1 === undefined || root2 === undefined || root3 === undefined) {
        throw new Error('no roots')
      }
      await persist(
        storage,
        child(room, 'm.thread', root1, { sender: bob }),
        child(room, 'm.thread', root2),
        child(room, 'm.thread', root3, { sender: bob }),
      )
      const cut = await storage.streams.currentPosition()
      await persist(storage, child(room, 'm.thread', root1, { sender: bob }))

      const all = await storage.relations.threads(room.roomId, { limit: 10 })
      expect(all.roots.map((r) => r.event.pdu.eventId)).toEqual([root1, root3, root2])
      expect(all.next).toBeUndefined()
      const [latest] = all.roots
      expect(latest?.latestPosition).toBe(cut + 1)

      const first = await storage.relations.threads(room.roomId, { limit: 2 })
      expect(first.roots.map((r) => r.event.pdu.eventId)).toEqual([root1, root3])
      const second = await storage.relations.threads(room.roomId, {
        limit: 2,
        from: first.next ?? -1,
      })
      expect(second.roots.map((r) => r.event.pdu.eventId)).toEqual([root2])

      // alice started root1 and replied in root2; root3 is bob's alone.
      const mine = await storage.relations.threads(room.roomId, {
        limit: 10,
        participant: room.creator,
      })
      expect(mine.roots.map((r) => r.event.pdu.eventId)).toEqual([root1, root2])
      // Replies after `upTo` do not count: root1's latest reply then is its first.
      const before = await storage.relations.threads(room.roomId, { limit: 10, upTo: cut })
      expect(before.roots.map((r) => r.event.pdu.eventId)).toEqual([root3, root2, root1])
    })

    it('finds a user’s annotation with a key', async () => {
      const storage = await open()
      const room = new TestRoom()
      await createRoom(storage, room)
      const [parent] = await persist(storage, room.message('parent'))
      if (parent === undefined) throw new Error('no parent')
      const reaction = child(room, 'm.annotation', parent, {
        type: 'm.reaction',
        relates: { key: '👍' },
      })
      await persist(storage, reaction)
      const { relations } = storage
      expect(await relations.hasAnnotation(parent, room.creator, 'm.reaction', '👍')).toBe(true)
      expect(await relations.hasAnnotation(parent, room.creator, 'm.reaction', '👎')).toBe(false)
      expect(await relations.hasAnnotation(parent, '@x:test' as UserId, 'm.reaction', '👍')).toBe(
        false,
      )
      await persist(
        storage,
        room.event({ type: 'm.room.redaction', redacts: reaction.eventId, content: {} }),
      )
      expect(await relations.hasAnnotation(parent, room.creator, 'm.reaction', '👍')).toBe(false)
    })
  })
}

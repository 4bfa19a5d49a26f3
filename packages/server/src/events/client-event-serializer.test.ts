import { roomVersionRules, type EventId, type JsonObject } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import { planRoom } from '../rooms/create-room-plan.js'
import { must, newPipeline, userId } from '../testing/room-kit.js'
import { roomTestStorages, useRoomStorage } from '../testing/room-storages.js'
import { ClientEventSerializer, type TransactionIdLookup } from './client-event-serializer.js'

const alice = userId('alice')

for (const kind of roomTestStorages()) {
  describe(`ClientEventSerializer on ${kind.name}`, () => {
    const open = useRoomStorage(kind)

    it('loads redactions, replaced state and transaction IDs in batches', async () => {
      const storage = await open()
      const pipeline = newPipeline(storage)
      const rules = roomVersionRules('12')!
      const plan = planRoom(
        { visibility: 'private', invite: [], initialState: [], isDirect: false, name: 'A' },
        alice,
        rules,
      )
      const { roomId } = must(
        await pipeline.createRoom({
          rules,
          creator: alice,
          createContent: plan.createContent,
          events: plan.events,
          isPublic: false,
        }),
      )
      const rename = must(
        await pipeline.send(roomId, {
          type: 'm.room.name',
          stateKey: '',
          sender: alice,
          content: { name: 'B' },
        }),
      )
      const message = must(
        await pipeline.send(roomId, {
          type: 'm.room.message',
          sender: alice,
          content: { body: 'x' },
        }),
      )
      const redaction = must(
        await pipeline.send(roomId, {
          type: 'm.room.redaction',
          sender: alice,
          content: {},
          redacts: message.eventId,
        }),
      )
      const asked: EventId[][] = []
      const lookup: TransactionIdLookup = (viewer, ids) => {
        expect(viewer).toEqual({ userId: alice, deviceId: 'PHONE' })
        asked.push([...ids])
        return Promise.resolve(new Map([[message.eventId, 'txn-1']]))
      }
      const serializer = new ClientEventSerializer({
        storage,
        now: () => 2_000_000_000_000,
        transactionIds: lookup,
      })
      const events = await storage.events.getEvents([rename.eventId, message.eventId])
      const [renamed, redacted] = await serializer.serialize(
        [events.get(rename.eventId)!, events.get(message.eventId)!],
        { viewer: { userId: alice, deviceId: 'PHONE' } },
      )
      expect(asked).toEqual([[rename.eventId, message.eventId]])
      expect(renamed?.['unsigned']).toMatchObject({
        prev_content: { name: 'A' },
        prev_sender: alice,
      })
      const unsigned = redacted?.['unsigned'] as JsonObject
      expect(redacted?.['content']).toEqual({})
      expect(unsigned['transaction_id']).toBe('txn-1')
      expect((unsigned['redacted_because'] as JsonObject)['event_id']).toBe(redaction.eventId)

      // Without a device, or for others, no transaction IDs are looked up.
      await serializer.serialize([events.get(message.eventId)!], {
        viewer: { userId: alice, deviceId: undefined },
      })
      await serializer.serialize([events.get(message.eventId)!], {
        viewer: { userId: userId('bob'), deviceId: 'X' },
      })
      expect(asked).toHaveLength(1)
      const plain = await serializer.serializeOne(events.get(rename.eventId)!, {
        prevContent: false,
        withoutRoomId: true,
      })
      expect(Object.keys(plain['unsigned'] as JsonObject)).toEqual(['age'])
      expect(plain['room_id']).toBeUndefined()
      expect(await serializer.serialize([])).toEqual([])
    })

    it('reads the aggregations of many events in one query, and those of latest replies in one more', async () => {
      const storage = await open()
      const pipeline = newPipeline(storage)
      const rules = roomVersionRules('12')!
      const plan = planRoom(
        { visibility: 'private', invite: [], initialState: [], isDirect: false },
        alice,
        rules,
      )
      const { roomId } = must(
        await pipeline.createRoom({
          rules,
          creator: alice,
          createContent: plan.createContent,
          events: plan.events,
          isPublic: false,
        }),
      )
      const send = async (content: JsonObject): Promise<EventId> =>
        must(await pipeline.send(roomId, { type: 'm.room.message', sender: alice, content }))
          .eventId
      const roots: EventId[] = []
      for (let i = 0; i < 3; i++) {
        const root = await send({ body: `root ${i}` })
        roots.push(root)
        await send({ body: 'reply', 'm.relates_to': { rel_type: 'm.thread', event_id: root } })
      }
      let calls = 0
      const relations = storage.relations
      const counting = {
        ...storage,
        relations: {
          ...relations,
          children: relations.children.bind(relations),
          threads: relations.threads.bind(relations),
          hasAnnotation: relations.hasAnnotation.bind(relations),
          aggregations: (request: Parameters<typeof relations.aggregations>[0]) => {
            calls++
            return relations.aggregations(request)
          },
        },
      }
      const serializer = new ClientEventSerializer({ storage: counting, now: () => 0 })
      const events = await storage.events.getEvents(roots)
      const served = await serializer.serialize(
        roots.map((id) => events.get(id)!),
        { viewer: { userId: alice, deviceId: undefined } },
      )
      expect(calls).toBe(2)
      for (const event of served) {
        const relationsJson = (event['unsigned'] as JsonObject)['m.relations'] as JsonObject
        expect(relationsJson['m.thread']).toMatchObject({
          count: 1,
          current_user_participated: true,
        })
      }
      calls = 0
      await serializer.serialize(
        roots.map((id) => events.get(id)!),
        { aggregations: false },
      )
      expect(calls).toBe(0)
    })
  })
}

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
  })
}

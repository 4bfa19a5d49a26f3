import { afterAll, describe, expect, it } from 'vitest'
import { append, createRoom, TestRoom } from '../contract/test-room.js'
import { openStorage } from '../open-storage.js'
import { POSTGRES_MIGRATIONS } from './postgres-migrations.js'
import { PostgresTestSchemas } from './postgres-test-schema.js'

const baseUrl = process.env['RHIZOME_TEST_POSTGRES']

describe.skipIf(baseUrl === undefined || baseUrl === '')(
  'PostgreSQL relations and search migration',
  () => {
    const schemas = new PostgresTestSchemas(baseUrl ?? '')
    afterAll(() => schemas.dropAll())

    it('indexes what was stored before the index existed, and skips what jsonb refuses', async () => {
      const location = await schemas.create()
      const storage = await openStorage(location.url, { poolSize: 2 })
      const room = new TestRoom()
      await createRoom(storage, room)
      const parent = room.message('old parent words')
      await append(storage, parent)
      const reply = room.event({
        type: 'm.room.message',
        content: {
          body: 'old reply',
          'm.relates_to': { rel_type: 'm.thread', event_id: parent.eventId },
        },
      })
      await append(storage, reply)
      await append(storage, room.state('m.room.topic', '', { topic: 'ancient topic' }))
      await append(storage, room.message('old but with a \u0000 inside'))
      await storage.close()

      // As a database from before the migration would be: no relations, no search tables. Then the
      // migration runs on it (alone: later ones are not this test's).
      const { schema } = location
      await schemas.query(`DROP TABLE ${schema}.event_relations; DROP TABLE ${schema}.event_search`)
      const migration = POSTGRES_MIGRATIONS.find((m) => m.name === 'relations_and_search')
      if (migration === undefined) throw new Error('no relations_and_search migration')
      await schemas.query(`BEGIN; SET LOCAL search_path = ${schema}; ${migration.sql}; COMMIT`)

      const again = await openStorage(location.url, { poolSize: 2 })
      try {
        const found = await again.search.search({
          term: 'ancient or old',
          rooms: [{ roomId: room.roomId }],
          keys: [],
          order: 'recent',
          limit: 10,
        })
        expect(found.hits.map((hit) => hit.event.pdu.eventId)).toEqual([
          expect.any(String),
          reply.eventId,
          parent.eventId,
        ])
        expect(found.hits[0]?.event.pdu.type).toBe('m.room.topic')
        const aggregates = await again.relations.aggregations({
          parents: [parent.eventId],
          editable: [],
          viewer: undefined,
        })
        expect(aggregates.get(parent.eventId)?.thread?.latestEventId).toBe(reply.eventId)
      } finally {
        await again.close()
      }
    })
  },
)

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { append, createRoom, sleep, TestRoom } from '../contract/test-room.js'
import type { Storage } from '../interface.js'
import type { Migration } from '../migration.js'
import { SQLITE_MIGRATIONS } from './sqlite-migrations.js'
import { SEARCH_INDEX_DELAY_MS } from './sqlite-search-store.js'
import { openSqliteStorage } from './sqlite-storage.js'

const dir = mkdtempSync(join(tmpdir(), 'rhizome-sqlite-search-'))
afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

let counter = 0
const opened: Storage[] = []
afterEach(async () => {
  await Promise.all(opened.splice(0).map((storage) => storage.close()))
})

async function open(): Promise<{ storage: Storage; path: string }> {
  const path = join(dir, `db-${++counter}`, 'rhizome.db')
  const storage = await openSqliteStorage(path)
  opened.push(storage)
  return { storage, path }
}

function relationsMigration(): Migration {
  const migration = SQLITE_MIGRATIONS.find((m) => m.name === 'relations_and_search')
  if (migration === undefined) throw new Error('no relations_and_search migration')
  return migration
}

/** Reads the file beside the storage's own connection (WAL lets both). */
function count(path: string, table: string): number {
  const db = new Database(path, { readonly: true })
  try {
    return (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n
  } finally {
    db.close()
  }
}

const search = (storage: Storage, room: TestRoom, term: string) =>
  storage.search.search({
    term,
    rooms: [{ roomId: room.roomId }],
    keys: [],
    order: 'recent',
    limit: 10,
  })

describe('SQLite search index', () => {
  it('queues text on send, indexes it before a search, and shortly after the write', async () => {
    const { storage, path } = await open()
    const room = new TestRoom()
    await createRoom(storage, room)
    const message = room.message('queued words')
    await append(storage, message)
    expect(count(path, 'event_search_pending')).toBe(1)
    expect(count(path, 'event_search')).toBe(0)

    // A search sees it at once.
    const page = await search(storage, room, 'queued')
    expect(page.hits.map((hit) => hit.event.pdu.eventId)).toEqual([message.eventId])
    expect(count(path, 'event_search_pending')).toBe(0)
    expect(count(path, 'event_search')).toBe(1)

    // Without a search, the batch goes in after a moment, in one transaction.
    await append(storage, room.message('later one'))
    await append(storage, room.message('later two'))
    expect(count(path, 'event_search_pending')).toBe(2)
    await sleep(SEARCH_INDEX_DELAY_MS * 3)
    expect(count(path, 'event_search_pending')).toBe(0)
    expect(count(path, 'event_search')).toBe(3)
  })

  it('drops queued text of an event redacted before it was indexed', async () => {
    const { storage, path } = await open()
    const room = new TestRoom()
    await createRoom(storage, room)
    const message = room.message('short lived')
    await append(storage, message)
    await append(storage, room.event({ type: 'm.room.redaction', redacts: message.eventId }))
    expect(count(path, 'event_search_pending')).toBe(0)
    expect((await search(storage, room, 'lived')).hits).toEqual([])
  })

  it('indexes what was stored before the index existed, when migrating', async () => {
    const { storage, path } = await open()
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
    await storage.close()

    // As a database from before the migration would be: no relations, no search tables. Then the
    // migration runs on it (alone: later ones are not this test's).
    const db = new Database(path)
    db.exec('DROP TABLE event_relations; DROP TABLE event_search; DROP TABLE event_search_pending')
    db.exec(relationsMigration().sql)
    db.close()

    const again = await openSqliteStorage(path)
    opened.push(again)
    const found = await search(again, room, 'ancient or old')
    expect(found.hits.map((hit) => hit.event.pdu.type).sort()).toEqual([
      'm.room.message',
      'm.room.message',
      'm.room.topic',
    ])
    const aggregates = await again.relations.aggregations({
      parents: [parent.eventId],
      editable: [],
      viewer: undefined,
    })
    expect(aggregates.get(parent.eventId)?.thread?.latestEventId).toBe(reply.eventId)
  })
})

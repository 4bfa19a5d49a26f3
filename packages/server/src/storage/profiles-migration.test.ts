/**
 * The profiles migration (version 5) on a database made before it: every existing account gets
 * the profile a new one gets, and the user directory finds it by the words of its user ID.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import pg from 'pg'
import type { UserId } from '@rhizome/core'
import { afterAll, describe, expect, it } from 'vitest'
import type { Storage } from './interface.js'
import { openStorage } from './open-storage.js'
import { POSTGRES_MIGRATIONS } from './postgres/postgres-migrations.js'
import { PostgresTestSchemas } from './postgres/postgres-test-schema.js'
import { SQLITE_MIGRATIONS } from './sqlite/sqlite-migrations.js'
import { configureSqliteConnection } from './sqlite/sqlite-storage.js'
import { append, TestRoom } from './contract/test-room.js'

const PROFILES_VERSION = 5
const OLD_USER = '@Old.Timer_1:test' as UserId

async function expectBackfilled(storage: Storage): Promise<void> {
  expect(await storage.profiles.getProfile(OLD_USER)).toEqual({
    userId: OLD_USER,
    displayname: 'Old.Timer_1',
    avatarUrl: undefined,
  })
  const room = new TestRoom(OLD_USER)
  await append(storage, room.create())
  await append(storage, room.member(OLD_USER, 'join'))
  for (const term of ['old', 'TIMER', 'timer 1', 'test']) {
    const found = await storage.profiles.searchUsers({
      searcher: OLD_USER,
      words: term.toLowerCase().split(' '),
      limit: 5,
    })
    expect({ term, users: found.users.map((u) => u.userId) }).toEqual({ term, users: [OLD_USER] })
  }
}

describe('the profiles migration on SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rhizome-profiles-migration-'))
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true })
  })

  it('gives accounts made before it their localpart as display name', async () => {
    const path = join(dir, 'old.db')
    const db = new Database(path)
    configureSqliteConnection(db)
    db.exec(
      'CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_ts INTEGER NOT NULL) STRICT',
    )
    for (const migration of SQLITE_MIGRATIONS.slice(0, PROFILES_VERSION - 1)) {
      db.exec(migration.sql)
      db.prepare('INSERT INTO schema_version VALUES (?, ?, 0)').run(
        migration.version,
        migration.name,
      )
    }
    db.prepare(
      `INSERT INTO users (user_id, localpart, is_admin, is_deactivated, created_ts)
       VALUES (?, 'Old.Timer_1', 0, 0, 0)`,
    ).run(OLD_USER)
    db.close()

    const storage = await openStorage(`sqlite:${path}`)
    try {
      await expectBackfilled(storage)
    } finally {
      await storage.close()
    }
  })
})

const baseUrl = process.env['RHIZOME_TEST_POSTGRES']

describe.skipIf(baseUrl === undefined || baseUrl === '')(
  'the profiles migration on PostgreSQL',
  () => {
    const schemas = new PostgresTestSchemas(baseUrl ?? '')
    afterAll(() => schemas.dropAll())

    it('gives accounts made before it their localpart as display name', async () => {
      const { url } = await schemas.create()
      const client = new pg.Client({ connectionString: url })
      await client.connect()
      try {
        await client.query(
          'CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_ts BIGINT NOT NULL)',
        )
        for (const migration of POSTGRES_MIGRATIONS.slice(0, PROFILES_VERSION - 1)) {
          await client.query(migration.sql)
          await client.query('INSERT INTO schema_version VALUES ($1, $2, 0)', [
            migration.version,
            migration.name,
          ])
        }
        await client.query(
          `INSERT INTO users (user_id, localpart, is_admin, is_deactivated, created_ts)
           VALUES ($1, 'Old.Timer_1', FALSE, FALSE, 0)`,
          [OLD_USER],
        )
      } finally {
        await client.end()
      }
      const storage = await openStorage(url, { poolSize: 4 })
      try {
        await expectBackfilled(storage)
      } finally {
        await storage.close()
      }
    })
  },
)

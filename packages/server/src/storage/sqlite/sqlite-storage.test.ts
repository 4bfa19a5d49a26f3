import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { runStorageContracts } from '../contract/all-contracts.js'
import type { StorageHarness } from '../contract/harness.js'
import { append, createRoom, TestRoom } from '../contract/test-room.js'
import type { Storage } from '../interface.js'
import { openStorage } from '../open-storage.js'
import { SQLITE_MIGRATIONS } from './sqlite-migrations.js'
import { configureSqliteConnection, migrateSqlite, openSqliteStorage } from './sqlite-storage.js'

const dir = mkdtempSync(join(tmpdir(), 'rhizome-sqlite-'))
afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

let counter = 0
const paths = new WeakMap<Storage, string>()

const harness: StorageHarness = {
  name: 'sqlite',
  async open() {
    counter++
    const path = join(dir, `db-${counter}`, 'rhizome.db')
    const storage = await openStorage(`sqlite:${path}`)
    paths.set(storage, path)
    return storage
  },
  async reopen(storage) {
    const path = paths.get(storage)
    if (path === undefined) throw new Error('not opened by this harness')
    await storage.close()
    const again = await openSqliteStorage(path)
    paths.set(again, path)
    return again
  },
}

describe('SQLite storage', () => {
  runStorageContracts(harness)

  describe('SQLite specifics', () => {
    it('uses WAL with synchronous=FULL, a busy timeout and foreign keys', () => {
      const path = join(dir, 'pragmas.db')
      const db = new Database(path)
      configureSqliteConnection(db)
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
      expect(db.pragma('synchronous', { simple: true })).toBe(2) // FULL
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1)
      expect(db.pragma('busy_timeout', { simple: true })).toBe(10000)
      db.close()
    })

    it('creates the directory of the database file', async () => {
      const storage = await harness.open()
      expect(statSync(paths.get(storage) ?? '').isFile()).toBe(true)
      await storage.close()
    })

    it('records the schema version and migrates only once', async () => {
      const storage = await harness.open()
      const path = paths.get(storage) ?? ''
      await storage.close()
      const db = new Database(path)
      const versions = db.prepare('SELECT version, name FROM schema_version').all()
      expect(versions).toEqual(SQLITE_MIGRATIONS.map((m) => ({ version: m.version, name: m.name })))
      migrateSqlite(db, Date.now)
      expect(db.prepare('SELECT COUNT(*) AS n FROM schema_version').get()).toEqual({
        n: SQLITE_MIGRATIONS.length,
      })
      db.prepare('INSERT INTO schema_version (version, name, applied_ts) VALUES (99, ?, 0)').run(
        'future',
      )
      db.close()
      await expect(openSqliteStorage(path)).rejects.toThrow(/newer than this server/)
    })

    it('works in memory, keeping nothing', async () => {
      const storage = await openStorage('sqlite::memory:')
      const room = new TestRoom()
      await createRoom(storage, room)
      expect(await storage.rooms.joinedMembers(room.roomId)).toEqual([room.creator])
      await storage.close()
      await storage.close()
      const fresh = await openStorage('sqlite::memory:')
      expect(await fresh.rooms.getRoom(room.roomId)).toBeUndefined()
      await fresh.close()
    })

    it('rejects a bad URL and an unopenable file', async () => {
      await expect(openStorage('mysql://x')).rejects.toThrow(/sqlite: or postgres/)
      const file = join(dir, 'a-file')
      const blocker = new Database(file)
      blocker.close()
      await expect(openSqliteStorage(join(file, 'sub', 'x.db'))).rejects.toThrow()
    })

    it('a second process on the same file sees committed writes', async () => {
      const storage = await harness.open()
      const room = new TestRoom()
      await createRoom(storage, room)
      const other = await openSqliteStorage(paths.get(storage) ?? '')
      await append(storage, room.message('seen elsewhere'))
      expect(await other.streams.currentPosition()).toBe(3)
      await other.close()
      await storage.close()
    })
  })
})

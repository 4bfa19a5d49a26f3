/**
 * FOR TESTS ONLY. The databases that room tests run on: SQLite always (a fresh file in a temporary
 * directory), and PostgreSQL when RHIZOME_TEST_POSTGRES names a server (README.md), each storage
 * in a schema of its own that is dropped after the file's tests.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach } from 'vitest'
import type { Storage } from '../storage/interface.js'
import { openStorage } from '../storage/open-storage.js'
import { PostgresTestSchemas } from '../storage/postgres/postgres-test-schema.js'

/** A kind of database; each test file starts a session of its own. */
export interface RoomTestStorage {
  readonly name: string
  session(): RoomStorageSession
}

export interface RoomStorageSession {
  /** A fresh, empty database. */
  open(): Promise<Storage>
  /** Removes whatever the session made. */
  end(): Promise<void>
}

const sqlite: RoomTestStorage = {
  name: 'sqlite',
  session() {
    const dirs: string[] = []
    return {
      open: () => {
        const dir = mkdtempSync(join(tmpdir(), 'rhizome-rooms-'))
        dirs.push(dir)
        return openStorage(`sqlite:${join(dir, 'rhizome.db')}`)
      },
      end: () => {
        for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
        return Promise.resolve()
      },
    }
  },
}

function postgres(baseUrl: string): RoomTestStorage {
  return {
    name: 'postgres',
    session() {
      let schemas: PostgresTestSchemas | undefined
      return {
        open: async () => {
          schemas ??= new PostgresTestSchemas(baseUrl)
          const { url } = await schemas.create()
          return openStorage(url, { poolSize: 4 })
        },
        end: async () => {
          await schemas?.dropAll()
          schemas = undefined
        },
      }
    },
  }
}

/** The storages to run room tests on. */
export function roomTestStorages(): readonly RoomTestStorage[] {
  const url = process.env['RHIZOME_TEST_POSTGRES']
  return url === undefined || url === '' ? [sqlite] : [sqlite, postgres(url)]
}

/**
 * Opens storages for the tests of one file and closes them after each test, so that a failing
 * test leaks nothing.
 */
export function useRoomStorage(kind: RoomTestStorage): () => Promise<Storage> {
  const session = kind.session()
  const opened: Storage[] = []
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((storage) => storage.close()))
  })
  afterAll(() => session.end())
  return async () => {
    const storage = await session.open()
    opened.push(storage)
    return storage
  }
}

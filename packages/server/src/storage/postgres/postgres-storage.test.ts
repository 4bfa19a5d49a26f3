import { afterAll, describe, expect, it } from 'vitest'
import { runStorageContracts } from '../contract/all-contracts.js'
import type { StorageHarness } from '../contract/harness.js'
import { append, createRoom, TestRoom, waitFor } from '../contract/test-room.js'
import type { Storage, StreamNotification } from '../interface.js'
import { openStorage } from '../open-storage.js'
import { POSTGRES_MIGRATIONS } from './postgres-migrations.js'
import { openPostgresStorage } from './postgres-storage.js'
import { PostgresTestSchemas } from './postgres-test-schema.js'

const baseUrl = process.env['RHIZOME_TEST_POSTGRES']
if (baseUrl === undefined || baseUrl === '') {
  console.warn(
    'PostgreSQL storage suites skipped: set RHIZOME_TEST_POSTGRES to a connection URL ' +
      '(e.g. postgres://postgres@127.0.0.1:5432/postgres) to run them',
  )
}

describe.skipIf(baseUrl === undefined || baseUrl === '')('PostgreSQL storage', () => {
  const schemas = new PostgresTestSchemas(baseUrl ?? '')
  afterAll(() => schemas.dropAll())
  const urls = new WeakMap<Storage, { schema: string; url: string }>()

  async function openAt(location: { schema: string; url: string }): Promise<Storage> {
    const storage = await openStorage(location.url, { poolSize: 6 })
    urls.set(storage, location)
    return storage
  }

  function locationOf(storage: Storage): { schema: string; url: string } {
    const location = urls.get(storage)
    if (location === undefined) throw new Error('not opened by this harness')
    return location
  }

  const harness: StorageHarness = {
    name: 'postgres',
    async open() {
      return openAt(await schemas.create())
    },
    async reopen(storage) {
      await storage.close()
      return openAt(locationOf(storage))
    },
    openSibling(storage) {
      return openAt(locationOf(storage))
    },
  }

  runStorageContracts(harness)

  describe('PostgreSQL specifics', () => {
    it('processes starting together migrate the database exactly once', async () => {
      const location = await schemas.create()
      const opened = await Promise.all([openAt(location), openAt(location), openAt(location)])
      const { rows } = await schemas.query<{ version: number; name: string }>(
        `SELECT version, name FROM ${location.schema}.schema_version ORDER BY version`,
      )
      expect(rows).toEqual(POSTGRES_MIGRATIONS.map((m) => ({ version: m.version, name: m.name })))
      await Promise.all(opened.map((storage) => storage.close()))
    })

    it('refuses a database with a newer schema', async () => {
      const location = await schemas.create()
      await (await openAt(location)).close()
      await schemas.query(
        `INSERT INTO ${location.schema}.schema_version (version, name, applied_ts) VALUES (999, 'x', 0)`,
      )
      await expect(openAt(location)).rejects.toThrow(/newer than this server/)
    })

    it('refuses a pool too small to hold a room session and a read', async () => {
      const location = await schemas.create()
      await expect(openPostgresStorage(location.url, { poolSize: 1 })).rejects.toThrow(/at least 2/)
    })

    it('an unreachable server fails the open', async () => {
      await expect(
        openStorage('postgres://postgres@127.0.0.1:1/none?connect_timeout=2'),
      ).rejects.toThrow()
    })

    it('after losing its LISTEN connection, a process reconnects and tells waiters to catch up', async () => {
      const location = await schemas.create()
      const storage = await openAt(location)
      const writer = await openAt(location)
      try {
        const room = new TestRoom()
        await createRoom(writer, room)
        const heard: StreamNotification[] = []
        const stop = storage.streams.notifier.subscribe((n) => heard.push(n))
        expect(await schemas.killListeners(location.schema)).toBe(2)
        await waitFor(() => heard.some((n) => n.catchUp), 10_000)
        const catchUp = heard.find((n) => n.catchUp)
        expect(catchUp?.position).toBe(await storage.streams.currentPosition())
        // And it listens again.
        const sent = await append(writer, room.message('after the reconnect'))
        await waitFor(() => heard.some((n) => n.position === sent.streamPosition && !n.catchUp))
        stop()
      } finally {
        await writer.close()
        await storage.close()
      }
    }, 15_000)

    it('a session whose connection dies releases the room for the others', async () => {
      const location = await schemas.create()
      const one = await openAt(location)
      const two = await openAt(location)
      try {
        const room = new TestRoom()
        await createRoom(one, room)
        const dying = one.withRoomWriteLock(room.roomId, async (writer) => {
          await schemas.query(
            `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE application_name = $1 AND query LIKE 'SELECT pg_advisory_lock%'`,
            [location.schema],
          )
          return writer.getCurrentStateGroup()
        })
        await expect(dying).rejects.toThrow()
        // The server dropped the dead session's lock: the other process gets in.
        const next = await append(two, room.message('still writable'))
        expect(next.kind).toBe('inserted')
        // And the first process recovers with a fresh connection.
        expect((await append(one, room.message('recovered'))).kind).toBe('inserted')
      } finally {
        await one.close()
        await two.close()
      }
    })
  })
})

import pg from 'pg'
import type { EventId, Pdu, ReadonlyStateMap, RoomId } from '@rhizome/core'
import type { Logger } from '../../logging/logger.js'
import { KeyedMutex, Semaphore } from '../engine/keyed-mutex.js'
import { loadStateSteps } from '../engine/load-state.js'
import {
  persistEventSteps,
  persistOutliersSteps,
  persistOutOfBandSteps,
} from '../engine/persist-event.js'
import { StateCache } from '../engine/state-cache.js'
import { runAsync } from '../engine/steps.js'
import type {
  ForwardExtremity,
  NewRoom,
  OutOfBandOutcome,
  OutlierInput,
  PersistEventInput,
  PersistOutcome,
  RoomWriter,
  StateGroupInfo,
  StateStore,
  Storage,
  StreamStore,
} from '../interface.js'
import { pendingMigrations } from '../migration.js'
import { DEFAULT_STATE_CACHE_ENTRIES, type StorageOptions } from '../storage-options.js'
import { PostgresAccountDataStore, PostgresFilterStore } from './postgres-account-data-store.js'
import { PostgresAccountStore } from './postgres-account-store.js'
import { checkout, pgTypes, transaction, type Checkout } from './postgres-connection.js'
import { PostgresEngineOps } from './postgres-engine-ops.js'
import { PostgresEventStore } from './postgres-event-store.js'
import { POSTGRES_MIGRATIONS } from './postgres-migrations.js'
import { PostgresNotifier } from './postgres-notifier.js'
import { PostgresRoomStore } from './postgres-room-store.js'
import { PostgresSyncStore } from './postgres-sync-store.js'
import { PostgresForgottenRoomStore } from './postgres-forgotten-room-store.js'
import { PostgresReportStore } from './postgres-report-store.js'
import { PostgresFederationQueueStore } from './postgres-federation-queue-store.js'
import { PostgresRemoteKeyStore } from './postgres-remote-key-store.js'
import { PostgresE2eKeyStore } from './postgres-e2e-key-store.js'
import { PostgresRemoteDeviceListStore } from './postgres-remote-device-list-store.js'
import { PostgresDeviceListStore } from './postgres-device-list-store.js'
import { PostgresToDeviceStore } from './postgres-to-device-store.js'
import { PostgresMediaStore } from './postgres-media-store.js'
import { PostgresPusherStore } from './postgres-pusher-store.js'
import { PostgresKeyBackupStore } from './postgres-key-backup-store.js'
import { PostgresRelationStore } from './postgres-relation-store.js'
import { PostgresSearchStore } from './postgres-search-store.js'
import { PostgresRoomAliasStore } from './postgres-room-alias-store.js'
import { PostgresProfileStore } from './postgres-profile-store.js'
import { PostgresRoomDirectoryStore } from './postgres-room-directory-store.js'
import { PostgresUiaSessionStore } from './postgres-uia-session-store.js'
import { PostgresPresenceStore } from './postgres-presence-store.js'
import { PostgresTypingStore } from './postgres-typing-store.js'
import { PostgresPushStore } from './postgres-push-store.js'
import { PostgresReceiptStore } from './postgres-receipt-store.js'
import { roomLockKey } from './room-lock-key.js'

export const DEFAULT_POOL_SIZE = 10

/**
 * The advisory lock that serializes migrations between processes starting together. The
 * two-integer form lives in a key space apart from the one-bigint room locks.
 */
const MIGRATION_LOCK: readonly [number, number] = [0x72687a, 1]

/**
 * Opens a PostgreSQL storage: a connection pool, migrations applied under an advisory lock, and a
 * LISTEN connection for wake-ups. Several processes may open the same database.
 */
export async function openPostgresStorage(
  url: string,
  options: StorageOptions = {},
): Promise<Storage> {
  const config: pg.ClientConfig = { connectionString: url, types: pgTypes(), keepAlive: true }
  const poolSize = options.poolSize ?? DEFAULT_POOL_SIZE
  if (!Number.isInteger(poolSize) || poolSize < 2) {
    throw new Error(`the PostgreSQL pool needs at least 2 connections, not ${poolSize}`)
  }
  const pool = new pg.Pool({ ...config, max: poolSize })
  // An idle connection that the server closes emits 'error' on the pool: log it, do not crash.
  pool.on('error', (error) => {
    options.logger?.warn({ err: error }, 'an idle PostgreSQL connection failed')
  })
  try {
    await migratePostgres(pool, options.logger, options.now ?? Date.now)
    const storage = new PostgresStorage(pool, config, poolSize, options)
    await storage.start()
    return storage
  } catch (error) {
    await pool.end()
    throw error
  }
}

export async function migratePostgres(
  pool: pg.Pool,
  logger: Logger | undefined,
  now: () => number,
): Promise<void> {
  const session = await checkout(pool, logger)
  let healthy = false
  try {
    await session.client.query('SELECT pg_advisory_lock($1, $2)', [...MIGRATION_LOCK])
    try {
      await session.client.query(`CREATE TABLE IF NOT EXISTS schema_version (
        version INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        applied_ts BIGINT NOT NULL
      )`)
      const { rows } = await session.client.query<{ version: number | null }>(
        'SELECT MAX(version) AS version FROM schema_version',
      )
      const pending = pendingMigrations(POSTGRES_MIGRATIONS, rows[0]?.version ?? 0)
      if (pending.length > 0) {
        await transaction(session.client, async (client) => {
          for (const migration of pending) {
            logger?.info(`applying database migration ${migration.version} (${migration.name})`)
            await client.query(migration.sql)
            await client.query(
              'INSERT INTO schema_version (version, name, applied_ts) VALUES ($1, $2, $3)',
              [migration.version, migration.name, now()],
            )
          }
        })
      }
    } finally {
      await session.client.query('SELECT pg_advisory_unlock($1, $2)', [...MIGRATION_LOCK])
    }
    healthy = true
  } finally {
    session.release(!healthy)
  }
}

class PostgresStorage implements Storage {
  readonly dialect = 'postgres'
  readonly accounts: PostgresAccountStore
  readonly rooms: PostgresRoomStore
  readonly events: PostgresEventStore
  readonly state: StateStore
  readonly accountData: PostgresAccountDataStore
  readonly filters: PostgresFilterStore
  readonly streams: StreamStore
  readonly uiaSessions: PostgresUiaSessionStore
  readonly roomAliases: PostgresRoomAliasStore
  readonly forgottenRooms: PostgresForgottenRoomStore
  readonly receipts: PostgresReceiptStore
  readonly push: PostgresPushStore
  readonly relations: PostgresRelationStore
  readonly search: PostgresSearchStore
  readonly profiles: PostgresProfileStore
  readonly roomDirectory: PostgresRoomDirectoryStore
  readonly sync: PostgresSyncStore
  readonly typing: PostgresTypingStore
  readonly presence: PostgresPresenceStore
  readonly reports: PostgresReportStore
  readonly remoteKeys: PostgresRemoteKeyStore
  readonly pushers: PostgresPusherStore
  readonly e2eKeys: PostgresE2eKeyStore
  readonly deviceLists: PostgresDeviceListStore
  readonly remoteDeviceLists: PostgresRemoteDeviceListStore
  readonly toDevice: PostgresToDeviceStore
  readonly keyBackups: PostgresKeyBackupStore
  readonly media: PostgresMediaStore
  readonly federationQueue: PostgresFederationQueueStore

  readonly #pool: pg.Pool
  readonly #logger: Logger | undefined
  readonly #notifier: PostgresNotifier
  readonly #cache: StateCache
  readonly #locks = new KeyedMutex()
  /**
   * A room write session holds a connection for as long as the pipeline runs, and the pipeline
   * reads through the pool meanwhile: capping sessions at half the pool leaves connections for
   * those reads, so busy rooms cannot starve the pool into a deadlock.
   */
  readonly #sessions: Semaphore
  readonly #now: () => number
  #closed = false

  constructor(pool: pg.Pool, config: pg.ClientConfig, poolSize: number, options: StorageOptions) {
    this.#pool = pool
    this.#logger = options.logger
    this.#now = options.now ?? Date.now
    this.#cache = new StateCache(options.stateCacheEntries ?? DEFAULT_STATE_CACHE_ENTRIES)
    this.#sessions = new Semaphore(Math.max(1, Math.floor(poolSize / 2)))
    const currentPosition = async (): Promise<number> => {
      const { rows } = await this.#pool.query<{ position: number }>(
        `SELECT position FROM stream_positions WHERE name = 'main'`,
      )
      const position = rows[0]?.position
      if (position === undefined) throw new Error('the stream position counter is missing')
      return position
    }
    this.#notifier = new PostgresNotifier(config, currentPosition, options.logger)
    this.accounts = new PostgresAccountStore(pool, options.logger)
    this.rooms = new PostgresRoomStore(pool)
    this.events = new PostgresEventStore(pool)
    this.accountData = new PostgresAccountDataStore(pool, options.logger)
    this.filters = new PostgresFilterStore(pool)
    this.uiaSessions = new PostgresUiaSessionStore(pool, options.logger)
    this.roomAliases = new PostgresRoomAliasStore(pool)
    this.forgottenRooms = new PostgresForgottenRoomStore(pool)
    this.receipts = new PostgresReceiptStore(pool, options.logger)
    this.push = new PostgresPushStore(pool, options.logger)
    this.relations = new PostgresRelationStore(pool)
    this.search = new PostgresSearchStore(pool)
    this.profiles = new PostgresProfileStore(pool)
    this.roomDirectory = new PostgresRoomDirectoryStore(pool)
    this.sync = new PostgresSyncStore(pool)
    this.typing = new PostgresTypingStore(pool, options.logger)
    this.presence = new PostgresPresenceStore(pool, options.logger)
    this.reports = new PostgresReportStore(pool)
    this.remoteKeys = new PostgresRemoteKeyStore(pool, options.logger)
    this.pushers = new PostgresPusherStore(pool)
    this.e2eKeys = new PostgresE2eKeyStore(pool, options.logger)
    this.deviceLists = new PostgresDeviceListStore(pool, options.logger)
    this.remoteDeviceLists = new PostgresRemoteDeviceListStore(pool, options.logger)
    this.toDevice = new PostgresToDeviceStore(pool, options.logger)
    this.keyBackups = new PostgresKeyBackupStore(pool, options.logger)
    this.media = new PostgresMediaStore(pool)
    this.federationQueue = new PostgresFederationQueueStore(pool, options.logger)
    this.streams = { notifier: this.#notifier, currentPosition }
    this.state = {
      loadState: (groupId) => this.#loadState(groupId),
      groupInfo: async (groupId): Promise<StateGroupInfo | undefined> => {
        const group = await new PostgresEngineOps(this.#pool).getStateGroup(groupId)
        return (
          group && {
            roomId: group.roomId,
            prevGroup: group.prevGroup,
            deltaCount: group.deltaCount,
          }
        )
      },
    }
  }

  start(): Promise<void> {
    return this.#notifier.start()
  }

  #loadState(groupId: number): Promise<ReadonlyStateMap<EventId>> {
    return runAsync(loadStateSteps(groupId, this.#cache), new PostgresEngineOps(this.#pool))
  }

  withRoomWriteLock<T>(roomId: RoomId, fn: (room: RoomWriter) => Promise<T>): Promise<T> {
    // In-process first, so that a process never spends two connections waiting on one room.
    return this.#locks.run(roomId, () => this.#sessions.run(() => this.#lockedSession(roomId, fn)))
  }

  async #lockedSession<T>(roomId: RoomId, fn: (room: RoomWriter) => Promise<T>): Promise<T> {
    const session = await checkout(this.#pool, this.#logger)
    const key = roomLockKey(roomId)
    let healthy = false
    try {
      // A session-level lock, held across the room's read-then-persist sequence, each persist
      // committing on its own. If the connection dies, PostgreSQL releases the lock.
      await session.client.query('SELECT pg_advisory_lock($1::bigint)', [key])
      const writer = new PostgresRoomWriter(roomId, session, this.#cache, this.#now)
      try {
        return await fn(writer)
      } finally {
        writer.expire()
        await session.client.query('SELECT pg_advisory_unlock($1::bigint)', [key])
        healthy = writer.healthy
      }
    } finally {
      session.release(!healthy)
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#notifier.close()
    await this.#pool.end()
  }
}

class PostgresRoomWriter implements RoomWriter {
  readonly roomId: RoomId
  readonly #session: Checkout
  readonly #ops: PostgresEngineOps
  readonly #cache: StateCache
  readonly #now: () => number
  /** One operation at a time on the session's connection, even if the caller does not wait. */
  readonly #serial = new KeyedMutex()
  #valid = true
  /** False once a transaction ended in an unknown state: the connection must not be reused. */
  healthy = true

  constructor(roomId: RoomId, session: Checkout, cache: StateCache, now: () => number) {
    this.roomId = roomId
    this.#session = session
    this.#ops = new PostgresEngineOps(session.client)
    this.#cache = cache
    this.#now = now
  }

  expire(): void {
    this.#valid = false
  }

  #run<T>(work: () => Promise<T>): Promise<T> {
    return this.#serial.run('', () => {
      if (!this.#valid) throw new Error(`the write lock on ${this.roomId} was released`)
      return work()
    })
  }

  getForwardExtremities(): Promise<readonly ForwardExtremity[]> {
    return this.#run(async () => {
      const { rows } = await this.#session.client.query<{ event_id: EventId; depth: number }>(
        `SELECT f.event_id, e.depth FROM forward_extremities f
         JOIN events e ON e.event_id = f.event_id WHERE f.room_id = $1 ORDER BY f.event_id COLLATE "C"`,
        [this.roomId],
      )
      return rows.map((row) => ({ eventId: row.event_id, depth: row.depth }))
    })
  }

  getCurrentStateGroup(): Promise<number | undefined> {
    return this.#run(async () => {
      const room = await this.#ops.getRoomRow(this.roomId)
      return room?.currentStateGroup
    })
  }

  persistEvent(input: PersistEventInput): Promise<PersistOutcome> {
    return this.#run(async () => {
      const transactionState = { settled: false }
      try {
        const result = await transaction(
          this.#session.client,
          () =>
            runAsync(
              persistEventSteps(
                { roomId: this.roomId, cache: this.#cache, now: this.#now() },
                input,
              ),
              this.#ops,
            ),
          () => {
            transactionState.settled = true
          },
        )
        // The notification went out with the commit (pg_notify), to this process too.
        return result.outcome
      } finally {
        if (!transactionState.settled) this.healthy = false
      }
    })
  }

  persistOutliers(events: readonly OutlierInput[]): Promise<number> {
    return this.#run(async () => {
      const transactionState = { settled: false }
      try {
        return await transaction(
          this.#session.client,
          () => runAsync(persistOutliersSteps(this.roomId, events), this.#ops),
          () => {
            transactionState.settled = true
          },
        )
      } finally {
        if (!transactionState.settled) this.healthy = false
      }
    })
  }

  reserveBackfillPositions(count: number): Promise<number> {
    // One statement, committed on its own: a block taken and never used leaves a harmless gap.
    return this.#run(() => this.#ops.reserveBackfillPositions(count))
  }

  persistOutOfBandMembership(pdu: Pdu, room: NewRoom): Promise<OutOfBandOutcome> {
    return this.#run(async () => {
      const transactionState = { settled: false }
      try {
        const { result } = await transaction(
          this.#session.client,
          () =>
            runAsync(
              persistOutOfBandSteps({ roomId: this.roomId, now: this.#now() }, pdu, room),
              this.#ops,
            ),
          () => {
            transactionState.settled = true
          },
        )
        return result
      } finally {
        if (!transactionState.settled) this.healthy = false
      }
    })
  }
}

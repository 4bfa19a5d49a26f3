import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import type { EventId, Pdu, ReadonlyStateMap, RoomId } from '@rhizome/core'
import { KeyedMutex } from '../engine/keyed-mutex.js'
import { loadStateSteps } from '../engine/load-state.js'
import {
  persistEventSteps,
  persistOutliersSteps,
  persistOutOfBandSteps,
} from '../engine/persist-event.js'
import { StateCache } from '../engine/state-cache.js'
import { runSync } from '../engine/steps.js'
import { StreamEmitter } from '../engine/stream-emitter.js'
import type {
  ForwardExtremity,
  NewRoom,
  OutOfBandOutcome,
  OutlierInput,
  PersistEventInput,
  PersistOutcome,
  RoomWriter,
  StateStore,
  Storage,
  StreamNotification,
  StreamStore,
} from '../interface.js'
import { pendingMigrations } from '../migration.js'
import { DEFAULT_STATE_CACHE_ENTRIES, type StorageOptions } from '../storage-options.js'
import { SqliteAccountDataStore, SqliteFilterStore } from './sqlite-account-data-store.js'
import { SqliteAccountStore } from './sqlite-account-store.js'
import { SqliteEngineOps } from './sqlite-engine-ops.js'
import { SqliteEventStore } from './sqlite-event-store.js'
import { SQLITE_MIGRATIONS } from './sqlite-migrations.js'
import { SqliteRoomStore } from './sqlite-room-store.js'
import { SqliteSyncStore } from './sqlite-sync-store.js'
import { SqliteForgottenRoomStore } from './sqlite-forgotten-room-store.js'
import { SqliteReportStore } from './sqlite-report-store.js'
import { SqliteFederationQueueStore } from './sqlite-federation-queue-store.js'
import { SqliteRemoteKeyStore } from './sqlite-remote-key-store.js'
import { SqliteE2eKeyStore } from './sqlite-e2e-key-store.js'
import { SqliteRemoteDeviceListStore } from './sqlite-remote-device-list-store.js'
import { SqliteDeviceListStore } from './sqlite-device-list-store.js'
import { SqliteToDeviceStore } from './sqlite-to-device-store.js'
import { SqliteMediaStore } from './sqlite-media-store.js'
import { SqlitePusherStore } from './sqlite-pusher-store.js'
import { SqliteKeyBackupStore } from './sqlite-key-backup-store.js'
import { SqliteRelationStore } from './sqlite-relation-store.js'
import { SqliteSearchStore } from './sqlite-search-store.js'
import { SqliteRoomAliasStore } from './sqlite-room-alias-store.js'
import { SqliteProfileStore } from './sqlite-profile-store.js'
import { SqliteRoomDirectoryStore } from './sqlite-room-directory-store.js'
import { SqliteUiaSessionStore } from './sqlite-uia-session-store.js'
import { SqlitePresenceStore } from './sqlite-presence-store.js'
import { SqliteTypingStore } from './sqlite-typing-store.js'
import { SqlitePushStore } from './sqlite-push-store.js'
import { SqliteReceiptStore } from './sqlite-receipt-store.js'
import { settle, SqliteStatements } from './sqlite-statements.js'

export const SQLITE_MEMORY = ':memory:'

/**
 * Opens (creating if needed) a SQLite database and brings its schema up to date. One connection
 * does everything: better-sqlite3 is synchronous, so each transaction runs to its end without
 * anything interleaving, and commits are serialized by construction (the single writer). WAL lets
 * other processes (the `register` command) read and write alongside; `synchronous = FULL` makes
 * each commit durable before it is acknowledged, even across a power loss.
 */
export function openSqliteStorage(path: string, options: StorageOptions = {}): Promise<Storage> {
  return settle(() => {
    if (path !== SQLITE_MEMORY) mkdirSync(dirname(path), { recursive: true })
    const db = new Database(path)
    try {
      configureSqliteConnection(db)
      migrateSqlite(db, options.now ?? Date.now)
    } catch (error) {
      db.close()
      throw error
    }
    return new SqliteStorage(db, options)
  })
}

export function configureSqliteConnection(db: Database.Database): void {
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = FULL')
  // Another process (the register command) may hold the write lock for a moment.
  db.pragma('busy_timeout = 10000')
  db.pragma('foreign_keys = ON')
}

export function migrateSqlite(db: Database.Database, now: () => number): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_ts INTEGER NOT NULL
  ) STRICT`)
  // IMMEDIATE takes the write lock before reading the version, so two processes opening the file
  // together cannot both apply a migration.
  db.transaction(() => {
    const row = db.prepare('SELECT MAX(version) AS version FROM schema_version').get() as {
      version: number | null
    }
    for (const migration of pendingMigrations(SQLITE_MIGRATIONS, row.version ?? 0)) {
      db.exec(migration.sql)
      db.prepare('INSERT INTO schema_version (version, name, applied_ts) VALUES (?, ?, ?)').run(
        migration.version,
        migration.name,
        now(),
      )
    }
  }).immediate()
}

class SqliteStorage implements Storage {
  readonly dialect = 'sqlite'
  readonly accounts: SqliteAccountStore
  readonly rooms: SqliteRoomStore
  readonly events: SqliteEventStore
  readonly state: StateStore
  readonly accountData: SqliteAccountDataStore
  readonly filters: SqliteFilterStore
  readonly streams: StreamStore
  readonly uiaSessions: SqliteUiaSessionStore
  readonly roomAliases: SqliteRoomAliasStore
  readonly forgottenRooms: SqliteForgottenRoomStore
  readonly receipts: SqliteReceiptStore
  readonly push: SqlitePushStore
  readonly relations: SqliteRelationStore
  readonly search: SqliteSearchStore
  readonly profiles: SqliteProfileStore
  readonly roomDirectory: SqliteRoomDirectoryStore
  readonly sync: SqliteSyncStore
  readonly typing: SqliteTypingStore
  readonly presence: SqlitePresenceStore
  readonly reports: SqliteReportStore
  readonly remoteKeys: SqliteRemoteKeyStore
  readonly pushers: SqlitePusherStore
  readonly e2eKeys: SqliteE2eKeyStore
  readonly deviceLists: SqliteDeviceListStore
  readonly remoteDeviceLists: SqliteRemoteDeviceListStore
  readonly toDevice: SqliteToDeviceStore
  readonly keyBackups: SqliteKeyBackupStore
  readonly media: SqliteMediaStore
  readonly federationQueue: SqliteFederationQueueStore

  readonly #db: Database.Database
  readonly #q: SqliteStatements
  readonly #emitter: StreamEmitter
  readonly #cache: StateCache
  readonly #locks = new KeyedMutex()
  readonly #now: () => number
  #closed = false

  constructor(db: Database.Database, options: StorageOptions) {
    this.#db = db
    this.#q = new SqliteStatements(db)
    this.#now = options.now ?? Date.now
    this.#cache = new StateCache(options.stateCacheEntries ?? DEFAULT_STATE_CACHE_ENTRIES)
    const logger = options.logger
    this.#emitter = new StreamEmitter((error) => {
      logger?.error({ err: error }, 'a stream listener failed')
    })
    const emit = (notification: StreamNotification): void => {
      this.#emitter.emit(notification)
    }
    this.accounts = new SqliteAccountStore(this.#q, emit)
    this.rooms = new SqliteRoomStore(this.#q)
    this.events = new SqliteEventStore(this.#q)
    this.accountData = new SqliteAccountDataStore(this.#q, emit)
    this.filters = new SqliteFilterStore(this.#q)
    this.uiaSessions = new SqliteUiaSessionStore(this.#q)
    this.roomAliases = new SqliteRoomAliasStore(this.#q)
    this.forgottenRooms = new SqliteForgottenRoomStore(this.#q)
    this.receipts = new SqliteReceiptStore(this.#q, emit)
    this.push = new SqlitePushStore(this.#q, emit)
    this.relations = new SqliteRelationStore(this.#q)
    this.search = new SqliteSearchStore(this.#q)
    this.profiles = new SqliteProfileStore(this.#q)
    this.roomDirectory = new SqliteRoomDirectoryStore(this.#q)
    this.sync = new SqliteSyncStore(this.#q)
    this.typing = new SqliteTypingStore(this.#q, emit)
    this.presence = new SqlitePresenceStore(this.#q, emit)
    this.reports = new SqliteReportStore(this.#q)
    this.remoteKeys = new SqliteRemoteKeyStore(this.#q)
    this.e2eKeys = new SqliteE2eKeyStore(this.#q, emit)
    this.deviceLists = new SqliteDeviceListStore(this.#q, emit)
    this.remoteDeviceLists = new SqliteRemoteDeviceListStore(this.#q)
    this.toDevice = new SqliteToDeviceStore(this.#q, emit)
    this.pushers = new SqlitePusherStore(this.#q)
    this.keyBackups = new SqliteKeyBackupStore(this.#q)
    this.media = new SqliteMediaStore(this.#q)
    this.federationQueue = new SqliteFederationQueueStore(this.#q)
    this.state = {
      loadState: (groupId) => this.#loadState(groupId),
      groupInfo: (groupId) =>
        settle(() => {
          const group = new SqliteEngineOps(this.#q).getStateGroup(groupId)
          return (
            group && {
              roomId: group.roomId,
              prevGroup: group.prevGroup,
              deltaCount: group.deltaCount,
            }
          )
        }),
    }
    this.streams = {
      notifier: this.#emitter,
      currentPosition: () =>
        settle(() => {
          const row = this.#q.one<{ position: number }>(
            `SELECT position FROM stream_positions WHERE name = 'main'`,
          )
          if (row === undefined) throw new Error('the stream position counter is missing')
          return row.position
        }),
    }
  }

  #loadState(groupId: number): Promise<ReadonlyStateMap<EventId>> {
    return settle(() => runSync(loadStateSteps(groupId, this.#cache), new SqliteEngineOps(this.#q)))
  }

  withRoomWriteLock<T>(roomId: RoomId, fn: (room: RoomWriter) => Promise<T>): Promise<T> {
    return this.#locks.run(roomId, async () => {
      const writer = new SqliteRoomWriter(
        roomId,
        this.#q,
        (input) => this.#persist(roomId, input),
        (events) => this.#persistOutliers(roomId, events),
        (pdu, room) => this.#persistOutOfBand(roomId, pdu, room),
      )
      try {
        return await fn(writer)
      } finally {
        writer.expire()
      }
    })
  }

  #persist(roomId: RoomId, input: PersistEventInput): PersistOutcome {
    const ops = new SqliteEngineOps(this.#q)
    const result = this.#db
      .transaction(() =>
        runSync(persistEventSteps({ roomId, cache: this.#cache, now: this.#now() }, input), ops),
      )
      .immediate()
    // Committed: now (and only now) wake the waiters.
    if (result.notification !== undefined) this.#emitter.emit(result.notification)
    if (ops.queuedSearch) this.search.noteWrite()
    return result.outcome
  }

  #persistOutliers(roomId: RoomId, events: readonly OutlierInput[]): number {
    const ops = new SqliteEngineOps(this.#q)
    return this.#db
      .transaction(() => runSync(persistOutliersSteps(roomId, events), ops))
      .immediate()
  }

  #persistOutOfBand(roomId: RoomId, pdu: Pdu, room: NewRoom): OutOfBandOutcome {
    const ops = new SqliteEngineOps(this.#q)
    const { result, notification } = this.#db
      .transaction(() =>
        runSync(persistOutOfBandSteps({ roomId, now: this.#now() }, pdu, room), ops),
      )
      .immediate()
    if (notification !== undefined) this.#emitter.emit(notification)
    return result
  }

  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true
      this.search.close()
      this.#db.close()
    }
    return Promise.resolve()
  }
}

class SqliteRoomWriter implements RoomWriter {
  readonly roomId: RoomId
  readonly #q: SqliteStatements
  readonly #persist: (input: PersistEventInput) => PersistOutcome
  readonly #persistOutliers: (events: readonly OutlierInput[]) => number
  readonly #persistOutOfBand: (pdu: Pdu, room: NewRoom) => OutOfBandOutcome
  #valid = true

  constructor(
    roomId: RoomId,
    statements: SqliteStatements,
    persist: (input: PersistEventInput) => PersistOutcome,
    persistOutliers: (events: readonly OutlierInput[]) => number,
    persistOutOfBand: (pdu: Pdu, room: NewRoom) => OutOfBandOutcome,
  ) {
    this.roomId = roomId
    this.#q = statements
    this.#persist = persist
    this.#persistOutliers = persistOutliers
    this.#persistOutOfBand = persistOutOfBand
  }

  expire(): void {
    this.#valid = false
  }

  #check(): void {
    if (!this.#valid) throw new Error(`the write lock on ${this.roomId} was released`)
  }

  getForwardExtremities(): Promise<readonly ForwardExtremity[]> {
    return settle(() => {
      this.#check()
      return this.#q
        .all<{ event_id: EventId; depth: number }>(
          `SELECT f.event_id, e.depth FROM forward_extremities f
           JOIN events e ON e.event_id = f.event_id WHERE f.room_id = ? ORDER BY f.event_id`,
          this.roomId,
        )
        .map((row) => ({ eventId: row.event_id, depth: row.depth }))
    })
  }

  getCurrentStateGroup(): Promise<number | undefined> {
    return settle(() => {
      this.#check()
      const row = this.#q.one<{ current_state_group: number | null }>(
        'SELECT current_state_group FROM rooms WHERE room_id = ?',
        this.roomId,
      )
      return row?.current_state_group ?? undefined
    })
  }

  persistEvent(input: PersistEventInput): Promise<PersistOutcome> {
    return settle(() => {
      this.#check()
      return this.#persist(input)
    })
  }

  persistOutliers(events: readonly OutlierInput[]): Promise<number> {
    return settle(() => {
      this.#check()
      return this.#persistOutliers(events)
    })
  }

  reserveBackfillPositions(count: number): Promise<number> {
    return settle(() => {
      this.#check()
      return new SqliteEngineOps(this.#q).reserveBackfillPositions(count)
    })
  }

  persistOutOfBandMembership(pdu: Pdu, room: NewRoom): Promise<OutOfBandOutcome> {
    return settle(() => {
      this.#check()
      return this.#persistOutOfBand(pdu, room)
    })
  }
}

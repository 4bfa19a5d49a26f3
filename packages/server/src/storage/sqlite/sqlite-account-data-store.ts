import { canonicalJson, type JsonObject, type RoomId, type UserId } from '@rhizome/core'
import { parseFilterId, parseStoredObject } from '../engine/json-text.js'
import type {
  AccountDataRecord,
  AccountDataStore,
  FilterStore,
  StreamNotification,
} from '../interface.js'
import { SqliteEngineOps } from './sqlite-engine-ops.js'
import { settle, type SqliteStatements } from './sqlite-statements.js'

/** Global account data is stored under the room ID '' (a primary key column cannot be NULL). */
const GLOBAL = ''

export class SqliteAccountDataStore implements AccountDataStore {
  readonly #q: SqliteStatements
  readonly #afterCommit: (notification: StreamNotification) => void

  constructor(
    statements: SqliteStatements,
    afterCommit: (notification: StreamNotification) => void,
  ) {
    this.#q = statements
    this.#afterCommit = afterCommit
  }

  set(
    userId: UserId,
    roomId: RoomId | undefined,
    type: string,
    content: JsonObject,
  ): Promise<number> {
    return settle(() => {
      const json = canonicalJson(content)
      const position = this.#q.db
        .transaction(() => {
          const streamPosition = new SqliteEngineOps(this.#q).allocateStreamPosition()
          this.#q.run(
            `INSERT INTO account_data (user_id, room_id, type, content, stream_position)
             VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (user_id, room_id, type) DO UPDATE
             SET content = excluded.content, stream_position = excluded.stream_position`,
            userId,
            roomId ?? GLOBAL,
            type,
            json,
            streamPosition,
          )
          return streamPosition
        })
        .immediate()
      this.#afterCommit({ position, roomIds: [], userIds: [userId], catchUp: false })
      return position
    })
  }

  update(
    userId: UserId,
    roomId: RoomId | undefined,
    type: string,
    change: (current: JsonObject | undefined) => JsonObject | undefined,
  ): Promise<number | undefined> {
    return settle(() => {
      // The write transaction holds the database's one write lock from the read to the write.
      const position = this.#q.db
        .transaction((): number | undefined => {
          const row = this.#q.one<{ content: string }>(
            'SELECT content FROM account_data WHERE user_id = ? AND room_id = ? AND type = ?',
            userId,
            roomId ?? GLOBAL,
            type,
          )
          const next = change(
            row === undefined ? undefined : parseStoredObject(row.content, 'account data'),
          )
          if (next === undefined) return undefined
          const streamPosition = new SqliteEngineOps(this.#q).allocateStreamPosition()
          this.#q.run(
            `INSERT INTO account_data (user_id, room_id, type, content, stream_position)
             VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (user_id, room_id, type) DO UPDATE
             SET content = excluded.content, stream_position = excluded.stream_position`,
            userId,
            roomId ?? GLOBAL,
            type,
            canonicalJson(next),
            streamPosition,
          )
          return streamPosition
        })
        .immediate()
      if (position !== undefined) {
        this.#afterCommit({ position, roomIds: [], userIds: [userId], catchUp: false })
      }
      return position
    })
  }

  get(userId: UserId, roomId: RoomId | undefined, type: string): Promise<JsonObject | undefined> {
    return settle(() => {
      const row = this.#q.one<{ content: string }>(
        'SELECT content FROM account_data WHERE user_id = ? AND room_id = ? AND type = ?',
        userId,
        roomId ?? GLOBAL,
        type,
      )
      return row === undefined ? undefined : parseStoredObject(row.content, 'account data')
    })
  }

  changesSince(
    userId: UserId,
    since: number | undefined,
    upTo?: number,
  ): Promise<readonly AccountDataRecord[]> {
    return settle(() => {
      const rows = this.#q.all<{
        room_id: string
        type: string
        content: string
        stream_position: number
      }>(
        `SELECT room_id, type, content, stream_position FROM account_data
         WHERE user_id = ? AND stream_position > ? AND stream_position <= ?
         ORDER BY stream_position`,
        userId,
        since ?? 0,
        upTo ?? Number.MAX_SAFE_INTEGER,
      )
      return rows.map((row) => ({
        roomId: row.room_id === GLOBAL ? undefined : (row.room_id as RoomId),
        type: row.type,
        content: parseStoredObject(row.content, 'account data'),
        streamPosition: row.stream_position,
      }))
    })
  }
}

export class SqliteFilterStore implements FilterStore {
  readonly #q: SqliteStatements

  constructor(statements: SqliteStatements) {
    this.#q = statements
  }

  create(userId: UserId, filter: JsonObject): Promise<string> {
    return settle(() => {
      const row = this.#q.one<{ filter_id: number }>(
        'INSERT INTO filters (user_id, json) VALUES (?, ?) RETURNING filter_id',
        userId,
        canonicalJson(filter),
      )
      if (row === undefined) throw new Error('INSERT ... RETURNING gave no row')
      return String(row.filter_id)
    })
  }

  get(userId: UserId, filterId: string): Promise<JsonObject | undefined> {
    return settle(() => {
      const id = parseFilterId(filterId)
      if (id === undefined) return undefined
      const row = this.#q.one<{ json: string }>(
        'SELECT json FROM filters WHERE filter_id = ? AND user_id = ?',
        id,
        userId,
      )
      return row === undefined ? undefined : parseStoredObject(row.json, 'filter')
    })
  }
}

import type pg from 'pg'
import { canonicalJson, type JsonObject, type RoomId, type UserId } from '@rhizome/core'
import type { Logger } from '../../logging/logger.js'
import { parseFilterId, parseStoredObject } from '../engine/json-text.js'
import type { AccountDataRecord, AccountDataStore, FilterStore } from '../interface.js'
import { pooledTransaction } from './postgres-connection.js'
import { PostgresEngineOps } from './postgres-engine-ops.js'

/** Global account data is stored under the room ID '' (a primary key column cannot be NULL). */
const GLOBAL = ''

export class PostgresAccountDataStore implements AccountDataStore {
  readonly #pool: pg.Pool
  readonly #logger: Logger | undefined

  constructor(pool: pg.Pool, logger: Logger | undefined) {
    this.#pool = pool
    this.#logger = logger
  }

  set(
    userId: UserId,
    roomId: RoomId | undefined,
    type: string,
    content: JsonObject,
  ): Promise<number> {
    const json = canonicalJson(content)
    return pooledTransaction(this.#pool, this.#logger, async (client) => {
      const ops = new PostgresEngineOps(client)
      const position = await ops.allocateStreamPosition()
      await client.query(
        `INSERT INTO account_data (user_id, room_id, type, content, stream_position)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (user_id, room_id, type) DO UPDATE
         SET content = excluded.content, stream_position = excluded.stream_position`,
        [userId, roomId ?? GLOBAL, type, json, position],
      )
      await ops.notify({ position, roomIds: [], userIds: [userId], catchUp: false })
      return position
    })
  }

  async update(
    userId: UserId,
    roomId: RoomId | undefined,
    type: string,
    change: (current: JsonObject | undefined) => JsonObject | undefined,
  ): Promise<number | undefined> {
    try {
      return await pooledTransaction(this.#pool, this.#logger, async (client) => {
        const ops = new PostgresEngineOps(client)
        // The stream counter first: its row lock serializes this read-modify-write with every
        // other account data write, also when the row does not exist yet (nothing to lock).
        const position = await ops.allocateStreamPosition()
        const { rows } = await client.query<{ content: string }>(
          'SELECT content FROM account_data WHERE user_id = $1 AND room_id = $2 AND type = $3',
          [userId, roomId ?? GLOBAL, type],
        )
        const row = rows[0]
        const next = change(
          row === undefined ? undefined : parseStoredObject(row.content, 'account data'),
        )
        // Rolls the position back: no change, no gap in the stream.
        if (next === undefined) throw new Unchanged()
        await client.query(
          `INSERT INTO account_data (user_id, room_id, type, content, stream_position)
           VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (user_id, room_id, type) DO UPDATE
           SET content = excluded.content, stream_position = excluded.stream_position`,
          [userId, roomId ?? GLOBAL, type, canonicalJson(next), position],
        )
        await ops.notify({ position, roomIds: [], userIds: [userId], catchUp: false })
        return position
      })
    } catch (error) {
      if (error instanceof Unchanged) return undefined
      throw error
    }
  }

  async get(
    userId: UserId,
    roomId: RoomId | undefined,
    type: string,
  ): Promise<JsonObject | undefined> {
    const { rows } = await this.#pool.query<{ content: string }>(
      'SELECT content FROM account_data WHERE user_id = $1 AND room_id = $2 AND type = $3',
      [userId, roomId ?? GLOBAL, type],
    )
    const row = rows[0]
    return row === undefined ? undefined : parseStoredObject(row.content, 'account data')
  }

  async changesSince(
    userId: UserId,
    since: number | undefined,
    upTo?: number,
  ): Promise<readonly AccountDataRecord[]> {
    const { rows } = await this.#pool.query<{
      room_id: string
      type: string
      content: string
      stream_position: number
    }>(
      `SELECT room_id, type, content, stream_position FROM account_data
       WHERE user_id = $1 AND stream_position > $2 AND stream_position <= $3
       ORDER BY stream_position`,
      [userId, since ?? 0, upTo ?? Number.MAX_SAFE_INTEGER],
    )
    return rows.map((row) => ({
      roomId: row.room_id === GLOBAL ? undefined : (row.room_id as RoomId),
      type: row.type,
      content: parseStoredObject(row.content, 'account data'),
      streamPosition: row.stream_position,
    }))
  }
}

/** Thrown inside `update`'s transaction to roll it back when there is nothing to write. */
class Unchanged extends Error {}

export class PostgresFilterStore implements FilterStore {
  readonly #pool: pg.Pool

  constructor(pool: pg.Pool) {
    this.#pool = pool
  }

  async create(userId: UserId, filter: JsonObject): Promise<string> {
    const { rows } = await this.#pool.query<{ filter_id: number }>(
      'INSERT INTO filters (user_id, json) VALUES ($1, $2) RETURNING filter_id',
      [userId, canonicalJson(filter)],
    )
    const id = rows[0]?.filter_id
    if (id === undefined) throw new Error('INSERT ... RETURNING gave no row')
    return String(id)
  }

  async get(userId: UserId, filterId: string): Promise<JsonObject | undefined> {
    const id = parseFilterId(filterId)
    if (id === undefined) return undefined
    const { rows } = await this.#pool.query<{ json: string }>(
      'SELECT json FROM filters WHERE filter_id = $1 AND user_id = $2',
      [id, userId],
    )
    const row = rows[0]
    return row === undefined ? undefined : parseStoredObject(row.json, 'filter')
  }
}

import type pg from 'pg'
import type { RoomId, UserId } from '@rhizome/core'
import type { Logger } from '../../logging/logger.js'
import type { TypingNotice, TypingStore } from '../typing-store.js'
import { pooledTransaction } from './postgres-connection.js'
import { PostgresEngineOps } from './postgres-engine-ops.js'

/** Who is typing in some rooms: running notices of users still joined. */
const TYPING_NOW = `SELECT t.room_id, t.user_id FROM typing t
  JOIN room_memberships m ON m.room_id = t.room_id AND m.user_id = t.user_id
  WHERE t.room_id = ANY($1::text[]) AND t.active AND t.expires_ts > $2 AND m.membership = 'join'
  ORDER BY t.room_id COLLATE "C", t.user_id COLLATE "C"`

/**
 * Lock order: typing rows first, the stream counter last (as the event pipeline takes its
 * position last), so a start, a stop and an expiry sweep in other processes never deadlock.
 */
export class PostgresTypingStore implements TypingStore {
  readonly #pool: pg.Pool
  readonly #logger: Logger | undefined

  constructor(pool: pg.Pool, logger: Logger | undefined) {
    this.#pool = pool
    this.#logger = logger
  }

  setTyping(
    roomId: RoomId,
    userId: UserId,
    expiresTs: number | undefined,
    now: number,
  ): Promise<number | undefined> {
    return pooledTransaction(this.#pool, this.#logger, async (client) => {
      const { rows } = await client.query<{ expires_ts: number; active: boolean }>(
        'SELECT expires_ts, active FROM typing WHERE room_id = $1 AND user_id = $2 FOR UPDATE',
        [roomId, userId],
      )
      const row = rows[0]
      const running = row !== undefined && row.active && row.expires_ts > now
      if (expiresTs !== undefined && running) {
        await client.query(
          'UPDATE typing SET expires_ts = $3 WHERE room_id = $1 AND user_id = $2',
          [roomId, userId, expiresTs],
        )
        return undefined
      }
      if (expiresTs === undefined && row?.active !== true) return undefined
      const ops = new PostgresEngineOps(client)
      const position = await ops.allocateStreamPosition()
      await client.query(
        `INSERT INTO typing (room_id, user_id, expires_ts, active, stream_position)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (room_id, user_id) DO UPDATE SET expires_ts = excluded.expires_ts,
           active = excluded.active, stream_position = excluded.stream_position`,
        [roomId, userId, expiresTs ?? now, expiresTs !== undefined, position],
      )
      await ops.notify({ position, roomIds: [roomId], userIds: [], catchUp: false })
      return position
    })
  }

  expire(now: number): Promise<readonly TypingNotice[]> {
    return pooledTransaction(this.#pool, this.#logger, async (client) => {
      // A sweep in another process that got here first holds these rows; once it commits, they
      // are no longer active and this one skips them.
      const { rows } = await client.query<{ room_id: RoomId; user_id: UserId }>(
        `UPDATE typing SET active = false WHERE active AND expires_ts <= $1
         RETURNING room_id, user_id`,
        [now],
      )
      if (rows.length === 0) return []
      const ops = new PostgresEngineOps(client)
      const position = await ops.allocateStreamPosition()
      await client.query(
        `UPDATE typing t SET stream_position = $1
         FROM unnest($2::text[], $3::text[]) AS x (room_id, user_id)
         WHERE t.room_id = x.room_id AND t.user_id = x.user_id`,
        [position, rows.map((r) => r.room_id), rows.map((r) => r.user_id)],
      )
      const rooms = [...new Set(rows.map((r) => r.room_id))]
      await ops.notify({ position, roomIds: rooms, userIds: [], catchUp: false })
      return rows.map((row) => ({ roomId: row.room_id, userId: row.user_id }))
    })
  }

  async nextExpiry(): Promise<number | undefined> {
    const { rows } = await this.#pool.query<{ next: number | null }>(
      'SELECT MIN(expires_ts) AS next FROM typing WHERE active',
    )
    return rows[0]?.next ?? undefined
  }

  async typingSince(
    roomIds: readonly RoomId[],
    since: number | undefined,
    upTo: number,
    now: number,
  ): Promise<ReadonlyMap<RoomId, readonly UserId[]>> {
    const out = new Map<RoomId, UserId[]>()
    if (roomIds.length === 0) return out
    let rooms = roomIds
    if (since !== undefined) {
      const changed = await this.#pool.query<{ room_id: RoomId }>(
        `SELECT DISTINCT room_id FROM typing
         WHERE room_id = ANY($1::text[]) AND stream_position > $2 AND stream_position <= $3`,
        [roomIds, since, upTo],
      )
      rooms = changed.rows.map((row) => row.room_id)
      for (const roomId of rooms) out.set(roomId, [])
      if (rooms.length === 0) return out
    }
    const { rows } = await this.#pool.query<{ room_id: RoomId; user_id: UserId }>(TYPING_NOW, [
      rooms,
      now,
    ])
    for (const row of rows) {
      const list = out.get(row.room_id) ?? []
      list.push(row.user_id)
      out.set(row.room_id, list)
    }
    return out
  }
}

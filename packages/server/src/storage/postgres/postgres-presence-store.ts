import type pg from 'pg'
import type { RoomId, UserId } from '@rhizome/core'
import type { Logger } from '../../logging/logger.js'
import {
  presenceRecordFromRow,
  updatedPresence,
  type PresenceRow,
} from '../engine/presence-rows.js'
import type {
  PresenceRecord,
  PresenceStore,
  PresenceUpdate,
  PresenceTouch,
  RemotePresenceTimeout,
} from '../presence-store.js'
import { pooledTransaction, type Queryable } from './postgres-connection.js'
import { PostgresEngineOps } from './postgres-engine-ops.js'

const COLUMNS = 'user_id, state, status_msg, last_active_ts, last_sync_ts, stream_position'

/** The viewer ($n) and everyone joined to a room the viewer is joined to. */
function roomMates(viewer: string): string {
  return `SELECT b.user_id FROM room_memberships a
    JOIN room_memberships b ON b.room_id = a.room_id AND b.membership = 'join'
    WHERE a.user_id = ${viewer} AND a.membership = 'join'
    UNION SELECT ${viewer}`
}

/**
 * Lock order: presence rows first, the stream counter last (as the event pipeline takes its
 * position last), so that sets, heartbeats and timeout sweeps in several processes cannot
 * deadlock on the counter.
 */
export class PostgresPresenceStore implements PresenceStore {
  readonly #pool: pg.Pool
  readonly #logger: Logger | undefined

  constructor(pool: pg.Pool, logger: Logger | undefined) {
    this.#pool = pool
    this.#logger = logger
  }

  async get(userId: UserId): Promise<PresenceRecord | undefined> {
    const { rows } = await this.#pool.query<PresenceRow>(
      `SELECT ${COLUMNS} FROM presence WHERE user_id = $1`,
      [userId],
    )
    const row = rows[0]
    return row === undefined ? undefined : presenceRecordFromRow(row)
  }

  set(userId: UserId, update: PresenceUpdate, now: number): Promise<PresenceRecord> {
    return pooledTransaction(this.#pool, this.#logger, async (client) => {
      const { rows } = await client.query<PresenceRow>(
        `SELECT ${COLUMNS} FROM presence WHERE user_id = $1 FOR UPDATE`,
        [userId],
      )
      const row = rows[0]
      const ops = new PostgresEngineOps(client)
      const position = await ops.allocateStreamPosition()
      const next = updatedPresence(
        userId,
        row === undefined ? undefined : presenceRecordFromRow(row),
        update,
        now,
        position,
      )
      await client.query(
        `INSERT INTO presence (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (user_id) DO UPDATE SET state = excluded.state,
           status_msg = excluded.status_msg, last_active_ts = excluded.last_active_ts,
           last_sync_ts = GREATEST(presence.last_sync_ts, excluded.last_sync_ts),
           stream_position = excluded.stream_position`,
        [
          next.userId,
          next.state,
          next.statusMsg ?? null,
          next.lastActiveTs,
          next.lastSyncTs,
          next.streamPosition,
        ],
      )
      const rooms = await joinedRooms(client, [userId])
      await ops.notify({ position, roomIds: rooms, userIds: [userId], catchUp: false })
      return next
    })
  }

  touchSyncing(entries: readonly PresenceTouch[]): Promise<void> {
    return this.#touch(
      entries,
      `UPDATE presence p SET last_sync_ts = GREATEST(p.last_sync_ts, x.ts)
       FROM unnest($1::text[], $2::bigint[]) AS x (user_id, ts)
       WHERE p.user_id = x.user_id`,
    )
  }

  touchActive(entries: readonly PresenceTouch[]): Promise<void> {
    return this.#touch(
      entries,
      `UPDATE presence p SET last_active_ts = GREATEST(p.last_active_ts, x.ts)
       FROM unnest($1::text[], $2::bigint[]) AS x (user_id, ts)
       WHERE p.user_id = x.user_id AND p.state = 'online'`,
    )
  }

  async #touch(entries: readonly PresenceTouch[], sql: string): Promise<void> {
    if (entries.length === 0) return
    // Sorted, so that two processes touching overlapping users lock rows in the same order.
    const sorted = [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    await this.#pool.query(sql, [sorted.map(([userId]) => userId), sorted.map(([, ts]) => ts)])
  }

  applyTimeouts(
    idleBefore: number,
    syncedBefore: number,
    remote?: RemotePresenceTimeout,
  ): Promise<readonly UserId[]> {
    const suffix = remote === undefined ? '' : `:${remote.serverName}`
    // Whether the row's user is of this server ($3 is `:server`, or empty for all users).
    const isLocal = `($3::text = '' OR right(user_id, length($3::text)) = $3::text)`
    return pooledTransaction(this.#pool, this.#logger, async (client) => {
      const { rows } = await client.query<{ user_id: UserId }>(
        `UPDATE presence
         SET state = CASE WHEN ${isLocal} AND last_sync_ts >= $2 THEN 'unavailable' ELSE 'offline' END
         WHERE state <> 'offline' AND CASE WHEN ${isLocal}
           THEN last_sync_ts < $2 OR (state = 'online' AND last_active_ts < $1)
           ELSE last_sync_ts < $4 END
         RETURNING user_id`,
        [idleBefore, syncedBefore, suffix, remote?.updatedBefore ?? 0],
      )
      if (rows.length === 0) return []
      const users = rows.map((row) => row.user_id)
      const ops = new PostgresEngineOps(client)
      const position = await ops.allocateStreamPosition()
      await client.query(
        'UPDATE presence SET stream_position = $1 WHERE user_id = ANY($2::text[])',
        [position, users],
      )
      const rooms = await joinedRooms(client, users)
      await ops.notify({ position, roomIds: rooms, userIds: users, catchUp: false })
      return users
    })
  }

  async changesFor(
    viewer: UserId,
    since: number | undefined,
    upTo: number,
  ): Promise<readonly PresenceRecord[]> {
    const { rows } =
      since === undefined
        ? await this.#pool.query<PresenceRow>(
            `SELECT ${COLUMNS} FROM presence
             WHERE state <> 'offline' AND stream_position <= $1 AND user_id IN (${roomMates('$2')})
             ORDER BY stream_position`,
            [upTo, viewer],
          )
        : await this.#pool.query<PresenceRow>(
            `SELECT ${COLUMNS} FROM presence
             WHERE stream_position > $1 AND stream_position <= $2
               AND user_id IN (${roomMates('$3')})
             ORDER BY stream_position`,
            [since, upTo, viewer],
          )
    return rows.map(presenceRecordFromRow)
  }

  async shareARoom(a: UserId, b: UserId): Promise<boolean> {
    const { rows } = await this.#pool.query(
      `SELECT 1 FROM room_memberships x
       JOIN room_memberships y ON y.room_id = x.room_id AND y.user_id = $2 AND y.membership = 'join'
       WHERE x.user_id = $1 AND x.membership = 'join' LIMIT 1`,
      [a, b],
    )
    return rows.length > 0
  }
}

async function joinedRooms(db: Queryable, users: readonly UserId[]): Promise<RoomId[]> {
  const { rows } = await db.query<{ room_id: RoomId }>(
    `SELECT DISTINCT room_id FROM room_memberships
     WHERE user_id = ANY($1::text[]) AND membership = 'join'`,
    [users],
  )
  return rows.map((row) => row.room_id)
}

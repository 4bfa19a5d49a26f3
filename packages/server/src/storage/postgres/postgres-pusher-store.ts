import type { UserId } from '@rhizome/core'
import type { PusherRecord, PusherStore } from '../pusher-store.js'
import {
  PUSHER_COLUMNS,
  PUSHER_UPSERT_SET,
  pusherFromRow,
  pusherValues,
  type PusherRow,
} from '../engine/pusher-rows.js'
import type { Queryable } from './postgres-connection.js'

export class PostgresPusherStore implements PusherStore {
  readonly #db: Queryable

  constructor(db: Queryable) {
    this.#db = db
  }

  async list(userId: UserId): Promise<readonly PusherRecord[]> {
    const { rows } = await this.#db.query<PusherRow>(
      `SELECT ${PUSHER_COLUMNS} FROM pushers WHERE user_id = $1 ORDER BY app_id, pushkey`,
      [userId],
    )
    return rows.map(pusherFromRow)
  }

  async set(pusher: PusherRecord, append: boolean): Promise<void> {
    // One statement, so the delete of other users' pushers and the upsert are atomic.
    await this.#db.query(
      `WITH removed AS (
         DELETE FROM pushers WHERE NOT $12::boolean AND app_id = $2 AND pushkey = $3
           AND user_id <> $1
       )
       INSERT INTO pushers (${PUSHER_COLUMNS})
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
       ON CONFLICT (user_id, app_id, pushkey) DO UPDATE SET ${PUSHER_UPSERT_SET}`,
      [...pusherValues(pusher), append],
    )
  }

  async delete(userId: UserId, appId: string, pushkey: string): Promise<boolean> {
    const { rowCount } = await this.#db.query(
      'DELETE FROM pushers WHERE user_id = $1 AND app_id = $2 AND pushkey = $3',
      [userId, appId, pushkey],
    )
    return (rowCount ?? 0) > 0
  }

  async usersWithPushers(kind: string): Promise<readonly UserId[]> {
    const { rows } = await this.#db.query<{ user_id: UserId }>(
      'SELECT DISTINCT user_id FROM pushers WHERE kind = $1 ORDER BY user_id',
      [kind],
    )
    return rows.map((row) => row.user_id)
  }
}

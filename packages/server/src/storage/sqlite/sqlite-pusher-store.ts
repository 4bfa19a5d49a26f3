import type { UserId } from '@rhizome/core'
import type { PusherRecord, PusherStore } from '../pusher-store.js'
import {
  PUSHER_COLUMNS,
  PUSHER_UPSERT_SET,
  pusherFromRow,
  pusherValues,
  type PusherRow,
} from '../engine/pusher-rows.js'
import { settle, type SqliteStatements } from './sqlite-statements.js'

export class SqlitePusherStore implements PusherStore {
  readonly #q: SqliteStatements

  constructor(statements: SqliteStatements) {
    this.#q = statements
  }

  list(userId: UserId): Promise<readonly PusherRecord[]> {
    return settle(() =>
      this.#q
        .all<PusherRow>(
          `SELECT ${PUSHER_COLUMNS} FROM pushers WHERE user_id = ? ORDER BY app_id, pushkey`,
          userId,
        )
        .map(pusherFromRow),
    )
  }

  set(pusher: PusherRecord, append: boolean): Promise<void> {
    return settle(() => {
      const write = this.#q.db.transaction(() => {
        if (!append) {
          this.#q.run(
            'DELETE FROM pushers WHERE app_id = ? AND pushkey = ? AND user_id <> ?',
            pusher.appId,
            pusher.pushkey,
            pusher.userId,
          )
        }
        this.#q.run(
          `INSERT INTO pushers (${PUSHER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (user_id, app_id, pushkey) DO UPDATE SET ${PUSHER_UPSERT_SET}`,
          ...pusherValues(pusher),
        )
      })
      write.immediate()
    })
  }

  delete(userId: UserId, appId: string, pushkey: string): Promise<boolean> {
    return settle(
      () =>
        this.#q.run(
          'DELETE FROM pushers WHERE user_id = ? AND app_id = ? AND pushkey = ?',
          userId,
          appId,
          pushkey,
        ) > 0,
    )
  }

  usersWithPushers(kind: string): Promise<readonly UserId[]> {
    return settle(() =>
      this.#q
        .all<{ user_id: UserId }>(
          'SELECT DISTINCT user_id FROM pushers WHERE kind = ? ORDER BY user_id',
          kind,
        )
        .map((row) => row.user_id),
    )
  }
}

import type { RoomId, UserId } from '@rhizome/core'
import type { StreamNotification } from '../interface.js'
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
import { SqliteEngineOps } from './sqlite-engine-ops.js'
import { settle, sqlList, type SqliteStatements } from './sqlite-statements.js'

const COLUMNS = 'user_id, state, status_msg, last_active_ts, last_sync_ts, stream_position'

/** Whether the row's user is of this server (`@suffix` is `:server`, or empty for all users). */
const IS_LOCAL = `(@suffix = '' OR substr(user_id, -length(@suffix)) = @suffix)`

/** The viewer and everyone joined to a room the viewer is joined to. */
const ROOM_MATES = `SELECT b.user_id FROM room_memberships a
  JOIN room_memberships b ON b.room_id = a.room_id AND b.membership = 'join'
  WHERE a.user_id = ? AND a.membership = 'join'
  UNION SELECT ?`

export class SqlitePresenceStore implements PresenceStore {
  readonly #q: SqliteStatements
  readonly #afterCommit: (notification: StreamNotification) => void

  constructor(
    statements: SqliteStatements,
    afterCommit: (notification: StreamNotification) => void,
  ) {
    this.#q = statements
    this.#afterCommit = afterCommit
  }

  get(userId: UserId): Promise<PresenceRecord | undefined> {
    return settle(() => {
      const row = this.#q.one<PresenceRow>(
        `SELECT ${COLUMNS} FROM presence WHERE user_id = ?`,
        userId,
      )
      return row === undefined ? undefined : presenceRecordFromRow(row)
    })
  }

  set(userId: UserId, update: PresenceUpdate, now: number): Promise<PresenceRecord> {
    return settle(() => {
      const { record, rooms } = this.#q.db
        .transaction(() => {
          const row = this.#q.one<PresenceRow>(
            `SELECT ${COLUMNS} FROM presence WHERE user_id = ?`,
            userId,
          )
          const position = new SqliteEngineOps(this.#q).allocateStreamPosition()
          const next = updatedPresence(
            userId,
            row === undefined ? undefined : presenceRecordFromRow(row),
            update,
            now,
            position,
          )
          this.#q.run(
            `INSERT INTO presence (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (user_id) DO UPDATE SET state = excluded.state,
               status_msg = excluded.status_msg, last_active_ts = excluded.last_active_ts,
               last_sync_ts = MAX(presence.last_sync_ts, excluded.last_sync_ts),
               stream_position = excluded.stream_position`,
            next.userId,
            next.state,
            next.statusMsg ?? null,
            next.lastActiveTs,
            next.lastSyncTs,
            next.streamPosition,
          )
          return { record: next, rooms: this.#joinedRooms([userId]) }
        })
        .immediate()
      this.#afterCommit({
        position: record.streamPosition,
        roomIds: rooms,
        userIds: [userId],
        catchUp: false,
      })
      return record
    })
  }

  touchSyncing(entries: readonly PresenceTouch[]): Promise<void> {
    return this.#touch(
      entries,
      'UPDATE presence SET last_sync_ts = MAX(last_sync_ts, ?) WHERE user_id = ?',
    )
  }

  touchActive(entries: readonly PresenceTouch[]): Promise<void> {
    return this.#touch(
      entries,
      `UPDATE presence SET last_active_ts = MAX(last_active_ts, ?)
       WHERE user_id = ? AND state = 'online'`,
    )
  }

  #touch(entries: readonly PresenceTouch[], sql: string): Promise<void> {
    return settle(() => {
      if (entries.length === 0) return
      this.#q.db
        .transaction(() => {
          for (const [userId, ts] of entries) this.#q.run(sql, ts, userId)
        })
        .immediate()
    })
  }

  applyTimeouts(
    idleBefore: number,
    syncedBefore: number,
    remote?: RemotePresenceTimeout,
  ): Promise<readonly UserId[]> {
    const params = {
      idle: idleBefore,
      synced: syncedBefore,
      suffix: remote === undefined ? '' : `:${remote.serverName}`,
      remote: remote?.updatedBefore ?? 0,
    }
    return settle(() => {
      const result = this.#q.db
        .transaction(() => {
          const users = this.#q
            .all<{ user_id: UserId }>(
              `SELECT user_id FROM presence WHERE state <> 'offline' AND CASE WHEN ${IS_LOCAL}
                 THEN last_sync_ts < @synced OR (state = 'online' AND last_active_ts < @idle)
                 ELSE last_sync_ts < @remote END`,
              params,
            )
            .map((row) => row.user_id)
          if (users.length === 0) return undefined
          const position = new SqliteEngineOps(this.#q).allocateStreamPosition()
          this.#q.run(
            `UPDATE presence
             SET state = CASE WHEN ${IS_LOCAL} AND last_sync_ts >= @synced
               THEN 'unavailable' ELSE 'offline' END,
               stream_position = @position
             WHERE user_id IN (SELECT value FROM json_each(@users))`,
            { synced: params.synced, suffix: params.suffix, position, users: sqlList(users) },
          )
          return { position, users, rooms: this.#joinedRooms(users) }
        })
        .immediate()
      if (result === undefined) return []
      this.#afterCommit({
        position: result.position,
        roomIds: result.rooms,
        userIds: result.users,
        catchUp: false,
      })
      return result.users
    })
  }

  changesFor(
    viewer: UserId,
    since: number | undefined,
    upTo: number,
  ): Promise<readonly PresenceRecord[]> {
    return settle(() => {
      const rows =
        since === undefined
          ? this.#q.all<PresenceRow>(
              `SELECT ${COLUMNS} FROM presence
               WHERE state <> 'offline' AND stream_position <= ? AND user_id IN (${ROOM_MATES})
               ORDER BY stream_position`,
              upTo,
              viewer,
              viewer,
            )
          : this.#q.all<PresenceRow>(
              `SELECT ${COLUMNS} FROM presence
               WHERE stream_position > ? AND stream_position <= ? AND user_id IN (${ROOM_MATES})
               ORDER BY stream_position`,
              since,
              upTo,
              viewer,
              viewer,
            )
      return rows.map(presenceRecordFromRow)
    })
  }

  shareARoom(a: UserId, b: UserId): Promise<boolean> {
    return settle(
      () =>
        this.#q.one<{ found: number }>(
          `SELECT 1 AS found FROM room_memberships x
           JOIN room_memberships y ON y.room_id = x.room_id AND y.user_id = ? AND y.membership = 'join'
           WHERE x.user_id = ? AND x.membership = 'join' LIMIT 1`,
          b,
          a,
        ) !== undefined,
    )
  }

  #joinedRooms(users: readonly UserId[]): RoomId[] {
    return this.#q
      .all<{ room_id: RoomId }>(
        `SELECT DISTINCT room_id FROM room_memberships
         WHERE user_id IN (SELECT value FROM json_each(?)) AND membership = 'join'`,
        sqlList(users),
      )
      .map((row) => row.room_id)
  }
}

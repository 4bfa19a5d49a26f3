import type { RoomId, UserId } from '@rhizome/core'
import type { StreamNotification } from '../interface.js'
import type { TypingNotice, TypingStore } from '../typing-store.js'
import { SqliteEngineOps } from './sqlite-engine-ops.js'
import { settle, sqlList, type SqliteStatements } from './sqlite-statements.js'

/** Who is typing in some rooms: running notices of users still joined. */
const TYPING_NOW = `SELECT t.room_id, t.user_id FROM typing t
  JOIN room_memberships m ON m.room_id = t.room_id AND m.user_id = t.user_id
  WHERE t.room_id IN (SELECT value FROM json_each(?)) AND t.active = 1 AND t.expires_ts > ?
    AND m.membership = 'join'
  ORDER BY t.room_id, t.user_id`

export class SqliteTypingStore implements TypingStore {
  readonly #q: SqliteStatements
  readonly #afterCommit: (notification: StreamNotification) => void

  constructor(
    statements: SqliteStatements,
    afterCommit: (notification: StreamNotification) => void,
  ) {
    this.#q = statements
    this.#afterCommit = afterCommit
  }

  setTyping(
    roomId: RoomId,
    userId: UserId,
    expiresTs: number | undefined,
    now: number,
  ): Promise<number | undefined> {
    return settle(() => {
      const position = this.#q.db
        .transaction((): number | undefined => {
          const row = this.#q.one<{ expires_ts: number; active: number }>(
            'SELECT expires_ts, active FROM typing WHERE room_id = ? AND user_id = ?',
            roomId,
            userId,
          )
          const running = row !== undefined && row.active === 1 && row.expires_ts > now
          if (expiresTs !== undefined && running) {
            this.#q.run(
              'UPDATE typing SET expires_ts = ? WHERE room_id = ? AND user_id = ?',
              expiresTs,
              roomId,
              userId,
            )
            return undefined
          }
          if (expiresTs === undefined && row?.active !== 1) return undefined
          const streamPosition = new SqliteEngineOps(this.#q).allocateStreamPosition()
          this.#q.run(
            `INSERT INTO typing (room_id, user_id, expires_ts, active, stream_position)
             VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (room_id, user_id) DO UPDATE SET expires_ts = excluded.expires_ts,
               active = excluded.active, stream_position = excluded.stream_position`,
            roomId,
            userId,
            expiresTs ?? now,
            expiresTs === undefined ? 0 : 1,
            streamPosition,
          )
          return streamPosition
        })
        .immediate()
      if (position !== undefined) {
        this.#afterCommit({ position, roomIds: [roomId], userIds: [], catchUp: false })
      }
      return position
    })
  }

  expire(now: number): Promise<readonly TypingNotice[]> {
    return settle(() => {
      const result = this.#q.db
        .transaction(() => {
          const ended = this.#q
            .all<{ room_id: RoomId; user_id: UserId }>(
              'SELECT room_id, user_id FROM typing WHERE active = 1 AND expires_ts <= ?',
              now,
            )
            .map((row) => ({ roomId: row.room_id, userId: row.user_id }))
          if (ended.length === 0) return undefined
          const position = new SqliteEngineOps(this.#q).allocateStreamPosition()
          this.#q.run(
            'UPDATE typing SET active = 0, stream_position = ? WHERE active = 1 AND expires_ts <= ?',
            position,
            now,
          )
          return { position, ended }
        })
        .immediate()
      if (result === undefined) return []
      this.#afterCommit({
        position: result.position,
        roomIds: [...new Set(result.ended.map((notice) => notice.roomId))],
        userIds: [],
        catchUp: false,
      })
      return result.ended
    })
  }

  nextExpiry(): Promise<number | undefined> {
    return settle(() => {
      const row = this.#q.one<{ next: number | null }>(
        'SELECT MIN(expires_ts) AS next FROM typing WHERE active = 1',
      )
      return row?.next ?? undefined
    })
  }

  typingSince(
    roomIds: readonly RoomId[],
    since: number | undefined,
    upTo: number,
    now: number,
  ): Promise<ReadonlyMap<RoomId, readonly UserId[]>> {
    return settle(() => {
      const out = new Map<RoomId, UserId[]>()
      if (roomIds.length === 0) return out
      let rooms = roomIds
      if (since !== undefined) {
        rooms = this.#q
          .all<{ room_id: RoomId }>(
            `SELECT DISTINCT room_id FROM typing
             WHERE room_id IN (SELECT value FROM json_each(?))
               AND stream_position > ? AND stream_position <= ?`,
            sqlList(roomIds),
            since,
            upTo,
          )
          .map((row) => row.room_id)
        for (const roomId of rooms) out.set(roomId, [])
        if (rooms.length === 0) return out
      }
      const rows = this.#q.all<{ room_id: RoomId; user_id: UserId }>(
        TYPING_NOW,
        sqlList(rooms),
        now,
      )
      for (const row of rows) {
        const list = out.get(row.room_id) ?? []
        list.push(row.user_id)
        out.set(row.room_id, list)
      }
      return out
    })
  }
}

import type { JsonObject, RoomId, UserId } from '@rhizome/core'
import { storedEventFromRow, type EventRow } from '../engine/event-row.js'
import { parseStoredObject } from '../engine/json-text.js'
import { KeyedMutex } from '../engine/keyed-mutex.js'
import {
  PUSH_ACTION_COLUMNS,
  pushActionFromRow,
  type PushActionRow,
} from '../engine/receipt-row.js'
import { readBoundsByRoom, unreadCountsFor } from '../engine/unread-counts.js'
import type { StoredEvent, StreamNotification } from '../interface.js'
import type {
  BatchOutcome,
  NotificationsQuery,
  PushBatch,
  PushStore,
  ReadPositionUpdate,
  StoredPushAction,
  UnreadCount,
} from '../push-store.js'
import { CountChanges } from '../engine/count-changes.js'
import { toPositional } from '../engine/device-list-sql.js'
import {
  notificationsSql,
  readPassesActions,
  UNREAD_BY_THREAD,
  UNREAD_IN_THREAD,
} from '../engine/push-action-sql.js'
import { SqliteEngineOps } from './sqlite-engine-ops.js'
import { EVENT_COLUMNS, EVENTS_JOIN_ROOMS } from './sqlite-event-store.js'
import { settle, sqlList, type SqliteStatements } from './sqlite-statements.js'

/**
 * Commits without waiting for the disk (synchronous = NORMAL for this one transaction). A batch
 * holds its actions and the position it reached together, so if a power cut loses it, both are
 * lost and the batch is simply evaluated again; the next durable commit (any send) syncs it to
 * disk anyway. Sends keep their fsync, and do not queue behind the processor's.
 */
function withoutFsync<T>(q: SqliteStatements, work: () => T): T {
  const previous = q.db.pragma('synchronous', { simple: true }) as number
  q.db.pragma('synchronous = NORMAL')
  try {
    return work()
  } finally {
    q.db.pragma(`synchronous = ${previous}`)
  }
}

const BY_THREAD = toPositional(UNREAD_BY_THREAD)
const IN_THREAD = toPositional(UNREAD_IN_THREAD)
const NOTIFICATIONS = toPositional(notificationsSql(false))
const NOTIFICATIONS_HIGHLIGHT = toPositional(notificationsSql(true))
const READ_PASSES = toPositional(
  `SELECT CASE WHEN ${readPassesActions({ user: '$1', room: '$2', thread: '$3', position: '$4' })}
    THEN 1 ELSE 0 END AS passes`,
)

export class SqlitePushStore implements PushStore {
  readonly #q: SqliteStatements
  /** One batch at a time in this process; the position check below guards against others. */
  readonly #claim = new KeyedMutex()

  readonly #afterCommit: (notification: StreamNotification) => void

  constructor(
    statements: SqliteStatements,
    afterCommit: (notification: StreamNotification) => void,
  ) {
    this.#q = statements
    this.#afterCommit = afterCommit
  }

  processBatch(work: (position: number) => Promise<PushBatch | undefined>): Promise<BatchOutcome> {
    return this.#claim.run('', async () => {
      const start = await this.processedPosition()
      const batch = await work(start)
      if (batch === undefined) return 'idle'
      let notification: StreamNotification | undefined
      // The evaluation ran outside the transaction (better-sqlite3 transactions cannot await);
      // the position only moves if nobody moved it meanwhile.
      const outcome = await settle(() =>
        withoutFsync(this.#q, () =>
          this.#q.db
            .transaction((): BatchOutcome => {
              const moved = this.#q.run(
                `UPDATE push_cursor SET position = ? WHERE name = 'events' AND position = ?`,
                batch.position,
                start,
              )
              if (moved !== 1) return 'busy'
              const changed = new CountChanges()
              for (const a of batch.actions) {
                this.#q.run(
                  `INSERT OR IGNORE INTO push_actions (${PUSH_ACTION_COLUMNS})
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
                  a.userId,
                  a.roomId,
                  a.streamPosition,
                  a.threadId,
                  JSON.stringify(a.actions),
                  a.highlight ? 1 : 0,
                  a.ts,
                  a.notify ? 1 : 0,
                )
                if (a.notify) changed.add(a.userId, a.roomId)
              }
              for (const a of batch.roomActions) {
                this.#q.run(
                  `INSERT OR IGNORE INTO push_room_actions
                     (room_id, stream_position, thread_id, actions, highlight, ts)
                   VALUES (?, ?, ?, ?, ?, ?)`,
                  a.roomId,
                  a.streamPosition,
                  a.threadId,
                  JSON.stringify(a.actions),
                  a.highlight ? 1 : 0,
                  a.ts,
                )
                changed.addRoom(a.roomId, a.sender)
              }
              for (const r of batch.reads) {
                if (this.#readHidesActions(r)) changed.add(r.userId, r.roomId)
                this.#q.run(
                  `INSERT INTO read_positions (user_id, room_id, thread_id, position)
                 VALUES (?, ?, ?, ?)
                 ON CONFLICT (user_id, room_id, thread_id) DO UPDATE
                 SET position = MAX(position, excluded.position)`,
                  r.userId,
                  r.roomId,
                  r.threadId,
                  r.position,
                )
              }
              if (changed.size === 0) return 'processed'
              // Last, as every stream writer: the counts changed at this position.
              const position = new SqliteEngineOps(this.#q).allocateStreamPosition()
              for (const { userId, roomId } of changed.pairs()) {
                this.#q.run(
                  `INSERT INTO unread_changes (user_id, room_id, position) VALUES (?, ?, ?)
                   ON CONFLICT (user_id, room_id) DO UPDATE SET position = excluded.position`,
                  userId,
                  roomId,
                  position,
                )
              }
              for (const { roomId, sender } of changed.rooms) {
                this.#q.run(
                  `INSERT INTO room_unread_changes (room_id, position, sender) VALUES (?, ?, ?)
                   ON CONFLICT (room_id) DO UPDATE
                     SET position = excluded.position, sender = excluded.sender`,
                  roomId,
                  position,
                  sender ?? null,
                )
              }
              notification = changed.notification(position)
              return 'processed'
            })
            .immediate(),
        ),
      )
      if (notification !== undefined) this.#afterCommit(notification)
      return outcome
    })
  }

  /** Whether raising the read position passes a stored action: only then may counts change. */
  #readHidesActions(r: ReadPositionUpdate): boolean {
    const values = [r.userId, r.roomId, r.threadId, r.position]
    const row = this.#q.one<{ passes: number }>(READ_PASSES.sql, ...READ_PASSES.bind(values))
    return row?.passes === 1
  }

  processedPosition(): Promise<number> {
    return settle(() => {
      const row = this.#q.one<{ position: number }>(
        `SELECT position FROM push_cursor WHERE name = 'events'`,
      )
      if (row === undefined) throw new Error('the push processor position is missing')
      return row.position
    })
  }

  eventsAfter(after: number, upTo: number, limit: number): Promise<readonly StoredEvent[]> {
    return settle(() =>
      this.#q
        .all<EventRow>(
          `SELECT ${EVENT_COLUMNS} FROM ${EVENTS_JOIN_ROOMS}
           WHERE e.stream_position > ? AND e.stream_position <= ? AND e.rejection_reason IS NULL
           ORDER BY e.stream_position LIMIT ?`,
          after,
          upTo,
          limit,
        )
        .map(storedEventFromRow),
    )
  }

  async unreadCounts(
    userId: UserId,
    roomIds: readonly RoomId[],
    upTo: number,
  ): Promise<ReadonlyMap<RoomId, ReadonlyMap<string, UnreadCount>>> {
    if (roomIds.length === 0) return new Map()
    const rows = await settle(() =>
      this.#q.all<{ room_id: string; thread_id: string; position: number }>(
        `SELECT room_id, thread_id, position FROM read_positions
         WHERE user_id = ? AND room_id IN (SELECT value FROM json_each(?))`,
        userId,
        sqlList(roomIds),
      ),
    )
    return unreadCountsFor(roomIds, readBoundsByRoom(rows), {
      byThread: (roomId, after) =>
        settle(() => {
          const values = [userId, roomId, after, upTo]
          const counts = this.#q.all<{ thread_id: string; n: number; h: number }>(
            BY_THREAD.sql,
            ...BY_THREAD.bind(values),
          )
          return new Map(
            counts.map((c) => [c.thread_id, { notifications: c.n, highlights: c.h }] as const),
          )
        }),
      inThread: (roomId, threadId, after) =>
        settle(() => {
          const values = [userId, roomId, after, upTo, threadId]
          const c = this.#q.one<{ n: number; h: number | null }>(
            IN_THREAD.sql,
            ...IN_THREAD.bind(values),
          )
          return { notifications: c?.n ?? 0, highlights: c?.h ?? 0 }
        }),
    })
  }

  readPositions(userId: UserId, roomId: RoomId): Promise<ReadonlyMap<string, number>> {
    return settle(() => {
      const rows = this.#q.all<{ thread_id: string; position: number }>(
        'SELECT thread_id, position FROM read_positions WHERE user_id = ? AND room_id = ?',
        userId,
        roomId,
      )
      return new Map(rows.map((r) => [r.thread_id, r.position] as const))
    })
  }

  notifications(userId: UserId, query: NotificationsQuery): Promise<readonly StoredPushAction[]> {
    const sql = query.onlyHighlight ? NOTIFICATIONS_HIGHLIGHT : NOTIFICATIONS
    const values = [userId, query.before ?? Number.MAX_SAFE_INTEGER, query.limit]
    return settle(() =>
      this.#q.all<PushActionRow>(sql.sql, ...sql.bind(values)).map(pushActionFromRow),
    )
  }

  settingsChanged(
    types: readonly string[],
    since: number,
    upTo: number,
  ): Promise<readonly UserId[]> {
    return settle(() =>
      this.#q
        .all<{ user_id: UserId }>(
          `SELECT DISTINCT user_id FROM account_data
           WHERE type IN (SELECT value FROM json_each(?))
             AND stream_position > ? AND stream_position <= ? AND room_id = ''
           ORDER BY user_id`,
          sqlList(types),
          since,
          upTo,
        )
        .map((row) => row.user_id),
    )
  }

  settingsOf(type: string, userIds: readonly UserId[]): Promise<ReadonlyMap<UserId, JsonObject>> {
    return settle(() => {
      const out = new Map<UserId, JsonObject>()
      if (userIds.length === 0) return out
      const rows = this.#q.all<{ user_id: UserId; content: string }>(
        `SELECT user_id, content FROM account_data
         WHERE room_id = '' AND type = ? AND user_id IN (SELECT value FROM json_each(?))`,
        type,
        sqlList(userIds),
      )
      for (const row of rows) out.set(row.user_id, parseStoredObject(row.content, type))
      return out
    })
  }
}

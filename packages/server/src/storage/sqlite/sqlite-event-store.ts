import type { EventId, RoomId, UserId } from '@rhizome/core'
import { storedEventFromRow, type EventRow } from '../engine/event-row.js'
import type {
  EventStore,
  EventsSinceQuery,
  RoomEventsSince,
  StoredEvent,
  TimelinePage,
  TimelineQuery,
} from '../interface.js'
import { timelinePage } from '../engine/timeline-page.js'
import { sqliteFilterClause } from './sqlite-filter.js'
import { settle, sqlList, type SqliteStatements } from './sqlite-statements.js'

export const EVENT_COLUMNS = `e.event_id, e.json, r.room_version, e.stream_position, e.rejection_reason,
  e.redacted_by, e.state_group_before, e.state_group_after`
export const EVENTS_JOIN_ROOMS = 'events e JOIN rooms r ON r.room_id = e.room_id'

/** Client-visible timeline events: in the stream and not rejected. */
const VISIBLE = 'e.stream_position IS NOT NULL AND e.rejection_reason IS NULL'

export class SqliteEventStore implements EventStore {
  readonly #q: SqliteStatements

  constructor(statements: SqliteStatements) {
    this.#q = statements
  }

  getEvents(eventIds: readonly EventId[]): Promise<ReadonlyMap<EventId, StoredEvent>> {
    return settle(() => {
      const rows = this.#q.all<EventRow>(
        `SELECT ${EVENT_COLUMNS} FROM ${EVENTS_JOIN_ROOMS}
       WHERE e.event_id IN (SELECT value FROM json_each(?))`,
        sqlList(eventIds),
      )
      const events = new Map<EventId, StoredEvent>()
      for (const row of rows) events.set(row.event_id as EventId, storedEventFromRow(row))
      return events
    })
  }

  getEvent(eventId: EventId): Promise<StoredEvent | undefined> {
    return settle(() => {
      const row = this.#q.one<EventRow>(
        `SELECT ${EVENT_COLUMNS} FROM ${EVENTS_JOIN_ROOMS} WHERE e.event_id = ?`,
        eventId,
      )
      return row === undefined ? undefined : storedEventFromRow(row)
    })
  }

  haveEvents(eventIds: readonly EventId[]): Promise<ReadonlySet<EventId>> {
    return settle(() => {
      const ids = this.#q.all<{ event_id: EventId }>(
        'SELECT event_id FROM events WHERE event_id IN (SELECT value FROM json_each(?))',
        sqlList(eventIds),
      )
      return new Set(ids.map((row) => row.event_id))
    })
  }

  getEventByTxn(userId: UserId, deviceId: string, txnId: string): Promise<StoredEvent | undefined> {
    return settle(() => {
      const row = this.#q.one<EventRow>(
        `SELECT ${EVENT_COLUMNS} FROM txn_ids t JOIN events e ON e.event_id = t.event_id
         JOIN rooms r ON r.room_id = e.room_id
       WHERE t.user_id = ? AND t.device_id = ? AND t.txn_id = ?`,
        userId,
        deviceId,
        txnId,
      )
      return row === undefined ? undefined : storedEventFromRow(row)
    })
  }

  roomTimeline(roomId: RoomId, query: TimelineQuery): Promise<TimelinePage> {
    return settle(() => {
      const forwards = query.direction === 'f'
      const bounds: string[] = []
      const params: unknown[] = [roomId]
      if (query.from !== undefined) {
        bounds.push(forwards ? 'e.stream_position > ?' : 'e.stream_position <= ?')
        params.push(query.from)
      }
      if (query.to !== undefined) {
        bounds.push(forwards ? 'e.stream_position <= ?' : 'e.stream_position > ?')
        params.push(query.to)
      }
      const filter = sqliteFilterClause(query.filter)
      params.push(...filter.params, query.limit + 1)
      const sql = `SELECT ${EVENT_COLUMNS} FROM ${EVENTS_JOIN_ROOMS}
      WHERE e.room_id = ? AND ${VISIBLE} ${bounds.map((b) => `AND ${b}`).join(' ')} AND ${filter.sql}
      ORDER BY e.stream_position ${forwards ? 'ASC' : 'DESC'} LIMIT ?`
      const rows = this.#q.db.prepare(sql).all(...params) as EventRow[]
      return timelinePage(rows.map(storedEventFromRow), query)
    })
  }

  eventsSince(
    roomIds: readonly RoomId[],
    query: EventsSinceQuery,
  ): Promise<ReadonlyMap<RoomId, RoomEventsSince>> {
    return settle(() => {
      const filter = sqliteFilterClause(query.filter)
      // One indexed query per room: each reads at most limit + 1 rows, however long the history.
      const statement = this.#q.db.prepare(
        `SELECT ${EVENT_COLUMNS} FROM ${EVENTS_JOIN_ROOMS}
       WHERE e.room_id = ? AND ${VISIBLE} AND e.stream_position > ? AND e.stream_position <= ?
         AND ${filter.sql}
       ORDER BY e.stream_position DESC LIMIT ?`,
      )
      const result = new Map<RoomId, RoomEventsSince>()
      for (const roomId of roomIds) {
        const rows = statement.all(
          roomId,
          query.since ?? 0,
          query.upTo,
          ...filter.params,
          query.limitPerRoom + 1,
        ) as EventRow[]
        if (rows.length === 0) continue
        const limited = rows.length > query.limitPerRoom
        const kept = limited ? rows.slice(0, query.limitPerRoom) : rows
        result.set(roomId, { events: kept.reverse().map(storedEventFromRow), limited })
      }
      return result
    })
  }
}

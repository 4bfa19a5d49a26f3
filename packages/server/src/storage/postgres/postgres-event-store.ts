import type { EventId, RoomId, UserId } from '@rhizome/core'
import { storedEventFromRow, type EventRow } from '../engine/event-row.js'
import { timelinePage } from '../engine/timeline-page.js'
import type {
  EventStore,
  EventsSinceQuery,
  RoomEventsSince,
  StoredEvent,
  TimelinePage,
  TimelineQuery,
} from '../interface.js'
import { Params, type Queryable } from './postgres-connection.js'
import { postgresFilterClause } from './postgres-filter.js'

export const EVENT_COLUMNS = `e.event_id, e.json, r.room_version, e.stream_position, e.rejection_reason,
  e.redacted_by, e.state_group_before, e.state_group_after`
const EVENTS_JOIN_ROOMS = 'events e JOIN rooms r ON r.room_id = e.room_id'
/** Client-visible timeline events: in the stream and not rejected. */
const VISIBLE = 'e.stream_position IS NOT NULL AND e.rejection_reason IS NULL'

export class PostgresEventStore implements EventStore {
  readonly #db: Queryable

  constructor(db: Queryable) {
    this.#db = db
  }

  async getEvents(eventIds: readonly EventId[]): Promise<ReadonlyMap<EventId, StoredEvent>> {
    const events = new Map<EventId, StoredEvent>()
    if (eventIds.length === 0) return events
    const { rows } = await this.#db.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM ${EVENTS_JOIN_ROOMS} WHERE e.event_id = ANY($1::text[])`,
      [eventIds],
    )
    for (const row of rows) events.set(row.event_id as EventId, storedEventFromRow(row))
    return events
  }

  async getEvent(eventId: EventId): Promise<StoredEvent | undefined> {
    const { rows } = await this.#db.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM ${EVENTS_JOIN_ROOMS} WHERE e.event_id = $1`,
      [eventId],
    )
    const row = rows[0]
    return row === undefined ? undefined : storedEventFromRow(row)
  }

  async haveEvents(eventIds: readonly EventId[]): Promise<ReadonlySet<EventId>> {
    if (eventIds.length === 0) return new Set()
    const { rows } = await this.#db.query<{ event_id: EventId }>(
      'SELECT event_id FROM events WHERE event_id = ANY($1::text[])',
      [eventIds],
    )
    return new Set(rows.map((row) => row.event_id))
  }

  async getEventByTxn(
    userId: UserId,
    deviceId: string,
    txnId: string,
  ): Promise<StoredEvent | undefined> {
    const { rows } = await this.#db.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM txn_ids t JOIN events e ON e.event_id = t.event_id
       JOIN rooms r ON r.room_id = e.room_id
       WHERE t.user_id = $1 AND t.device_id = $2 AND t.txn_id = $3`,
      [userId, deviceId, txnId],
    )
    const row = rows[0]
    return row === undefined ? undefined : storedEventFromRow(row)
  }

  async roomTimeline(roomId: RoomId, query: TimelineQuery): Promise<TimelinePage> {
    const forwards = query.direction === 'f'
    const params = new Params()
    const conditions = [`e.room_id = ${params.add(roomId)}`, VISIBLE]
    if (query.from !== undefined) {
      conditions.push(`e.stream_position ${forwards ? '>' : '<='} ${params.add(query.from)}`)
    }
    if (query.to !== undefined) {
      conditions.push(`e.stream_position ${forwards ? '<=' : '>'} ${params.add(query.to)}`)
    }
    conditions.push(postgresFilterClause(query.filter, params))
    const { rows } = await this.#db.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM ${EVENTS_JOIN_ROOMS} WHERE ${conditions.join(' AND ')}
       ORDER BY e.stream_position ${forwards ? 'ASC' : 'DESC'} LIMIT ${params.add(query.limit + 1)}`,
      params.values,
    )
    return timelinePage(rows.map(storedEventFromRow), query)
  }

  async eventsSince(
    roomIds: readonly RoomId[],
    query: EventsSinceQuery,
  ): Promise<ReadonlyMap<RoomId, RoomEventsSince>> {
    const result = new Map<RoomId, RoomEventsSince>()
    if (roomIds.length === 0) return result
    const params = new Params()
    const rooms = params.add([...new Set(roomIds)])
    const since = params.add(query.since ?? 0)
    const upTo = params.add(query.upTo)
    const filter = postgresFilterClause(query.filter, params)
    // A lateral join runs the per-room index scan for each room in one round trip; each room
    // reads at most limit + 1 rows however long its history.
    const { rows } = await this.#db.query<EventRow & { room_id: RoomId }>(
      `SELECT wanted.room_id, ev.* FROM unnest(${rooms}::text[]) AS wanted (room_id)
       CROSS JOIN LATERAL (
         SELECT ${EVENT_COLUMNS} FROM ${EVENTS_JOIN_ROOMS}
         WHERE e.room_id = wanted.room_id AND ${VISIBLE}
           AND e.stream_position > ${since} AND e.stream_position <= ${upTo} AND ${filter}
         ORDER BY e.stream_position DESC LIMIT ${params.add(query.limitPerRoom + 1)}
       ) ev`,
      params.values,
    )
    const byRoom = new Map<RoomId, (EventRow & { room_id: RoomId })[]>()
    for (const row of rows) {
      const list = byRoom.get(row.room_id)
      if (list === undefined) byRoom.set(row.room_id, [row])
      else list.push(row)
    }
    for (const roomId of roomIds) {
      const list = byRoom.get(roomId)
      if (list === undefined || result.has(roomId)) continue
      list.sort((a, b) => (b.stream_position ?? 0) - (a.stream_position ?? 0))
      const limited = list.length > query.limitPerRoom
      const kept = limited ? list.slice(0, query.limitPerRoom) : list
      result.set(roomId, { events: kept.reverse().map(storedEventFromRow), limited })
    }
    return result
  }
}

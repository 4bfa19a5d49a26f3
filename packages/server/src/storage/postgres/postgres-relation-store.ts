import type { EventId, RoomId, UserId } from '@rhizome/core'
import { storedEventFromRow, type EventRow } from '../engine/event-row.js'
import { aggregatesFromRows, type AggregateRow } from '../engine/relation-rows.js'
import { timelinePage } from '../engine/timeline-page.js'
import type { TimelinePage } from '../interface.js'
import type {
  AggregationRequest,
  RelationAggregates,
  RelationQuery,
  RelationStore,
  ThreadsPage,
  ThreadsQuery,
} from '../relation-store.js'
import { Params, type Queryable } from './postgres-connection.js'
import { EVENT_COLUMNS } from './postgres-event-store.js'

/** Children that clients may see: in the stream and not rejected (`c` is the child). */
const LIVE_CHILD = 'c.stream_position IS NOT NULL AND c.rejection_reason IS NULL'

export class PostgresRelationStore implements RelationStore {
  readonly #db: Queryable

  constructor(db: Queryable) {
    this.#db = db
  }

  async children(roomId: RoomId, parentId: EventId, query: RelationQuery): Promise<TimelinePage> {
    const forwards = query.direction === 'f'
    const params = new Params()
    const parent = params.add(parentId)
    // The filters hold at every level: a child reached through a non-matching one is left out.
    const edge = [`rel.room_id = ${params.add(roomId)}`]
    if (query.relType !== undefined) edge.push(`rel.rel_type = ${params.add(query.relType)}`)
    const eventType = query.eventType === undefined ? undefined : params.add(query.eventType)
    const edgeOn = (child: string): string =>
      [...edge, ...(eventType === undefined ? [] : [`${child}.type = ${eventType}`])].join(' AND ')
    const where = ['e.stream_position IS NOT NULL', 'e.rejection_reason IS NULL']
    if (query.from !== undefined) {
      where.push(`e.stream_position ${forwards ? '>' : '<='} ${params.add(query.from)}`)
    }
    if (query.to !== undefined) {
      where.push(`e.stream_position ${forwards ? '<=' : '>'} ${params.add(query.to)}`)
    }
    const order = `ORDER BY e.stream_position ${forwards ? 'ASC' : 'DESC'}
      LIMIT ${params.add(query.limit + 1)}`
    const sql =
      query.depth <= 1
        ? `SELECT ${EVENT_COLUMNS} FROM event_relations rel
           JOIN events e ON e.event_id = rel.event_id JOIN rooms r ON r.room_id = e.room_id
           WHERE rel.relates_to_id = ${parent} AND ${edgeOn('e')} AND ${where.join(' AND ')}
           ${order}`
        : // A relation loop (possible over federation) ends at the depth limit; the parent itself
          // is never its own descendant.
          `WITH RECURSIVE related (event_id, depth) AS (
             SELECT rel.event_id, 1 FROM event_relations rel JOIN events c ON c.event_id = rel.event_id
             WHERE rel.relates_to_id = ${parent} AND ${edgeOn('c')}
             UNION
             SELECT rel.event_id, related.depth + 1 FROM related
             JOIN event_relations rel ON rel.relates_to_id = related.event_id
             JOIN events c ON c.event_id = rel.event_id
             WHERE related.depth < ${params.add(query.depth)} AND ${edgeOn('c')}
           )
           SELECT ${EVENT_COLUMNS} FROM events e JOIN rooms r ON r.room_id = e.room_id
           WHERE e.event_id IN (SELECT event_id FROM related) AND e.event_id <> ${parent}
             AND ${where.join(' AND ')}
           ${order}`
    const { rows } = await this.#db.query<EventRow>(sql, params.values)
    return timelinePage(rows.map(storedEventFromRow), query)
  }

  async aggregations(
    request: AggregationRequest,
  ): Promise<ReadonlyMap<EventId, RelationAggregates>> {
    if (request.parents.length === 0 && request.editable.length === 0) return new Map()
    // One round trip for the three kinds; the viewer's ignore list is read in the same statement
    // (unless it holds a \u0000 escape, which jsonb refuses).
    const { rows } = await this.#db.query<AggregateRow>(
      `WITH ignore_list AS (
         SELECT a.content::jsonb->'ignored_users' AS users FROM account_data a
         WHERE a.user_id = $1 AND a.room_id = '' AND a.type = 'm.ignored_user_list'
           AND position('\\u0000' in a.content) = 0
       ),
       ignored AS (
         SELECT jsonb_object_keys(users) AS user_id FROM ignore_list
         WHERE jsonb_typeof(users) = 'object'
       ),
       edits AS (
         SELECT rel.relates_to_id AS parent, c.event_id, ROW_NUMBER() OVER (
           PARTITION BY rel.relates_to_id
           ORDER BY c.origin_server_ts DESC, c.event_id COLLATE "C" DESC) AS n
         FROM event_relations rel
         JOIN events c ON c.event_id = rel.event_id
         JOIN events p ON p.event_id = rel.relates_to_id
         WHERE rel.relates_to_id = ANY($2::text[]) AND rel.rel_type = 'm.replace'
           AND ${LIVE_CHILD} AND c.room_id = p.room_id AND c.sender = p.sender
           AND c.type = p.type AND c.state_key IS NULL AND p.state_key IS NULL
           AND rel.has_new_content
       ),
       threads AS (
         SELECT rel.relates_to_id AS parent, COUNT(*) AS n, MAX(c.stream_position) AS latest,
           bool_or(c.sender = $1) AS replied
         FROM event_relations rel
         JOIN events c ON c.event_id = rel.event_id
         JOIN events p ON p.event_id = rel.relates_to_id AND p.room_id = rel.room_id
         WHERE rel.relates_to_id = ANY($3::text[]) AND rel.rel_type = 'm.thread'
           AND ${LIVE_CHILD} AND c.sender NOT IN (SELECT user_id FROM ignored)
         GROUP BY rel.relates_to_id
       )
       SELECT 'edit' AS kind, parent, event_id, NULL::bigint AS count, NULL::boolean AS replied,
         NULL::bigint AS position
       FROM edits WHERE n = 1
       UNION ALL
       SELECT 'thread', t.parent, l.event_id, t.n, t.replied, t.latest
       FROM threads t JOIN events l ON l.stream_position = t.latest
       UNION ALL
       SELECT 'reference', rel.relates_to_id, c.event_id, NULL, NULL, c.stream_position
       FROM event_relations rel
       JOIN events c ON c.event_id = rel.event_id
       JOIN events p ON p.event_id = rel.relates_to_id AND p.room_id = rel.room_id
       WHERE rel.relates_to_id = ANY($3::text[]) AND rel.rel_type = 'm.reference'
         AND ${LIVE_CHILD} AND c.sender NOT IN (SELECT user_id FROM ignored)`,
      [request.viewer ?? '', request.editable, request.parents],
    )
    return aggregatesFromRows(rows)
  }

  async threads(roomId: RoomId, query: ThreadsQuery): Promise<ThreadsPage> {
    const params = new Params()
    const participant = params.add(query.participant ?? '')
    const room = params.add(roomId)
    const replies =
      query.upTo === undefined ? '' : `AND c.stream_position <= ${params.add(query.upTo)}`
    const roots: string[] = []
    if (query.from !== undefined) roots.push(`AND t.latest <= ${params.add(query.from)}`)
    if (query.participant !== undefined) roots.push(`AND (t.replied OR e.sender = ${participant})`)
    const { rows } = await this.#db.query<EventRow & { latest: number }>(
      `WITH threads AS (
         SELECT rel.relates_to_id AS root, MAX(c.stream_position) AS latest,
           bool_or(c.sender = ${participant}) AS replied
         FROM event_relations rel JOIN events c ON c.event_id = rel.event_id
         WHERE rel.room_id = ${room} AND rel.rel_type = 'm.thread' AND ${LIVE_CHILD} ${replies}
         GROUP BY rel.relates_to_id
       )
       SELECT ${EVENT_COLUMNS}, t.latest FROM threads t
       JOIN events e ON e.event_id = t.root JOIN rooms r ON r.room_id = e.room_id
       WHERE e.room_id = ${room} AND e.stream_position IS NOT NULL AND e.rejection_reason IS NULL
         ${roots.join(' ')}
       ORDER BY t.latest DESC LIMIT ${params.add(query.limit + 1)}`,
      params.values,
    )
    const more = rows.length > query.limit
    const kept = more ? rows.slice(0, query.limit) : rows
    const last = kept.at(-1)
    return {
      roots: kept.map((row) => ({ event: storedEventFromRow(row), latestPosition: row.latest })),
      next: more && last !== undefined ? last.latest - 1 : undefined,
    }
  }

  async hasAnnotation(
    parentId: EventId,
    sender: UserId,
    type: string,
    key: string,
  ): Promise<boolean> {
    const { rows } = await this.#db.query(
      `SELECT 1 FROM event_relations rel JOIN events c ON c.event_id = rel.event_id
       WHERE rel.relates_to_id = $1 AND rel.rel_type = 'm.annotation' AND rel.aggregation_key = $2
         AND c.sender = $3 AND c.type = $4 AND c.rejection_reason IS NULL LIMIT 1`,
      [parentId, key, sender, type],
    )
    return rows.length > 0
  }
}

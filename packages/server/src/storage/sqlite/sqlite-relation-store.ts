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
import { EVENT_COLUMNS } from './sqlite-event-store.js'
import { settle, sqlList, type SqliteStatements } from './sqlite-statements.js'

/** Children that clients may see: in the stream and not rejected (`c` is the child). */
const LIVE_CHILD = 'c.stream_position IS NOT NULL AND c.rejection_reason IS NULL'

/** The senders in the viewer's `m.ignored_user_list` (global account data). */
const IGNORED = `SELECT j.key AS user_id FROM account_data a, json_each(a.content, '$.ignored_users') j
  WHERE a.user_id = ? AND a.room_id = '' AND a.type = 'm.ignored_user_list'`

export class SqliteRelationStore implements RelationStore {
  readonly #q: SqliteStatements

  constructor(statements: SqliteStatements) {
    this.#q = statements
  }

  children(roomId: RoomId, parentId: EventId, query: RelationQuery): Promise<TimelinePage> {
    return settle(() => {
      const forwards = query.direction === 'f'
      // The filters hold at every level: a child reached through a non-matching one is left out.
      const edgeOn = (child: string): string => {
        const parts = ['rel.room_id = ?']
        if (query.relType !== undefined) parts.push('rel.rel_type = ?')
        if (query.eventType !== undefined) parts.push(`${child}.type = ?`)
        return parts.join(' AND ')
      }
      const edgeParams: unknown[] = [roomId]
      if (query.relType !== undefined) edgeParams.push(query.relType)
      if (query.eventType !== undefined) edgeParams.push(query.eventType)
      const bounds: string[] = []
      const boundParams: unknown[] = []
      if (query.from !== undefined) {
        bounds.push(forwards ? 'e.stream_position > ?' : 'e.stream_position <= ?')
        boundParams.push(query.from)
      }
      if (query.to !== undefined) {
        bounds.push(forwards ? 'e.stream_position <= ?' : 'e.stream_position > ?')
        boundParams.push(query.to)
      }
      const where = [...bounds, 'e.stream_position IS NOT NULL', 'e.rejection_reason IS NULL']
      const order = `ORDER BY e.stream_position ${forwards ? 'ASC' : 'DESC'} LIMIT ?`
      let rows: EventRow[]
      if (query.depth <= 1) {
        rows = this.#q.all<EventRow>(
          `SELECT ${EVENT_COLUMNS} FROM event_relations rel
           JOIN events e ON e.event_id = rel.event_id JOIN rooms r ON r.room_id = e.room_id
           WHERE rel.relates_to_id = ? AND ${edgeOn('e')} AND ${where.join(' AND ')}
           ${order}`,
          parentId,
          ...edgeParams,
          ...boundParams,
          query.limit + 1,
        )
      } else {
        // A relation loop (possible over federation) ends at the depth limit; DISTINCT keeps an
        // event reached twice once, and the parent itself is never its own descendant.
        rows = this.#q.all<EventRow>(
          `WITH RECURSIVE related (event_id, depth) AS (
             SELECT rel.event_id, 1 FROM event_relations rel JOIN events c ON c.event_id = rel.event_id
             WHERE rel.relates_to_id = ? AND ${edgeOn('c')}
             UNION
             SELECT rel.event_id, related.depth + 1 FROM related
             JOIN event_relations rel ON rel.relates_to_id = related.event_id
             JOIN events c ON c.event_id = rel.event_id
             WHERE related.depth < ? AND ${edgeOn('c')}
           )
           SELECT ${EVENT_COLUMNS} FROM events e JOIN rooms r ON r.room_id = e.room_id
           WHERE e.event_id IN (SELECT event_id FROM related) AND e.event_id <> ?
             AND ${where.join(' AND ')}
           ${order}`,
          parentId,
          ...edgeParams,
          query.depth,
          ...edgeParams,
          parentId,
          ...boundParams,
          query.limit + 1,
        )
      }
      return timelinePage(rows.map(storedEventFromRow), query)
    })
  }

  aggregations(request: AggregationRequest): Promise<ReadonlyMap<EventId, RelationAggregates>> {
    return settle(() => {
      if (request.parents.length === 0 && request.editable.length === 0) return new Map()
      const viewer = request.viewer ?? ''
      const parents = sqlList(request.parents)
      const rows = this.#q.all<AggregateRow>(
        `WITH ignored AS (${IGNORED}),
         edits AS (
           SELECT rel.relates_to_id AS parent, c.event_id, ROW_NUMBER() OVER (
             PARTITION BY rel.relates_to_id ORDER BY c.origin_server_ts DESC, c.event_id DESC) AS n
           FROM event_relations rel
           JOIN events c ON c.event_id = rel.event_id
           JOIN events p ON p.event_id = rel.relates_to_id
           WHERE rel.relates_to_id IN (SELECT value FROM json_each(?)) AND rel.rel_type = 'm.replace'
             AND ${LIVE_CHILD} AND c.room_id = p.room_id AND c.sender = p.sender
             AND c.type = p.type AND c.state_key IS NULL AND p.state_key IS NULL
             AND rel.has_new_content = 1
         ),
         threads AS (
           SELECT rel.relates_to_id AS parent, COUNT(*) AS n, MAX(c.stream_position) AS latest,
             MAX(c.sender = ?) AS replied
           FROM event_relations rel
           JOIN events c ON c.event_id = rel.event_id
           JOIN events p ON p.event_id = rel.relates_to_id AND p.room_id = rel.room_id
           WHERE rel.relates_to_id IN (SELECT value FROM json_each(?)) AND rel.rel_type = 'm.thread'
             AND ${LIVE_CHILD} AND c.sender NOT IN (SELECT user_id FROM ignored)
           GROUP BY rel.relates_to_id
         )
         SELECT 'edit' AS kind, parent, event_id, NULL AS count, NULL AS replied, NULL AS position
         FROM edits WHERE n = 1
         UNION ALL
         SELECT 'thread', t.parent, l.event_id, t.n, t.replied, t.latest
         FROM threads t JOIN events l ON l.stream_position = t.latest
         UNION ALL
         SELECT 'reference', rel.relates_to_id, c.event_id, NULL, NULL, c.stream_position
         FROM event_relations rel
         JOIN events c ON c.event_id = rel.event_id
         JOIN events p ON p.event_id = rel.relates_to_id AND p.room_id = rel.room_id
         WHERE rel.relates_to_id IN (SELECT value FROM json_each(?)) AND rel.rel_type = 'm.reference'
           AND ${LIVE_CHILD} AND c.sender NOT IN (SELECT user_id FROM ignored)`,
        viewer,
        sqlList(request.editable),
        viewer,
        parents,
        parents,
      )
      return aggregatesFromRows(rows)
    })
  }

  threads(roomId: RoomId, query: ThreadsQuery): Promise<ThreadsPage> {
    return settle(() => {
      const replies: string[] = []
      const replyParams: unknown[] = []
      if (query.upTo !== undefined) {
        replies.push('AND c.stream_position <= ?')
        replyParams.push(query.upTo)
      }
      const roots: string[] = []
      const rootParams: unknown[] = []
      if (query.from !== undefined) {
        roots.push('AND t.latest <= ?')
        rootParams.push(query.from)
      }
      if (query.participant !== undefined) {
        roots.push('AND (t.replied = 1 OR e.sender = ?)')
        rootParams.push(query.participant)
      }
      const rows = this.#q.all<EventRow & { latest: number }>(
        `WITH threads AS (
           SELECT rel.relates_to_id AS root, MAX(c.stream_position) AS latest,
             MAX(c.sender = ?) AS replied
           FROM event_relations rel JOIN events c ON c.event_id = rel.event_id
           WHERE rel.room_id = ? AND rel.rel_type = 'm.thread' AND ${LIVE_CHILD} ${replies.join(' ')}
           GROUP BY rel.relates_to_id
         )
         SELECT ${EVENT_COLUMNS}, t.latest FROM threads t
         JOIN events e ON e.event_id = t.root JOIN rooms r ON r.room_id = e.room_id
         WHERE e.room_id = ? AND e.stream_position IS NOT NULL AND e.rejection_reason IS NULL
           ${roots.join(' ')}
         ORDER BY t.latest DESC LIMIT ?`,
        query.participant ?? '',
        roomId,
        ...replyParams,
        roomId,
        ...rootParams,
        query.limit + 1,
      )
      const more = rows.length > query.limit
      const kept = more ? rows.slice(0, query.limit) : rows
      const last = kept.at(-1)
      return {
        roots: kept.map((row) => ({ event: storedEventFromRow(row), latestPosition: row.latest })),
        next: more && last !== undefined ? last.latest - 1 : undefined,
      }
    })
  }

  hasAnnotation(parentId: EventId, sender: UserId, type: string, key: string): Promise<boolean> {
    return settle(
      () =>
        this.#q.one<{ found: number }>(
          `SELECT 1 AS found FROM event_relations rel JOIN events c ON c.event_id = rel.event_id
           WHERE rel.relates_to_id = ? AND rel.rel_type = 'm.annotation' AND rel.aggregation_key = ?
             AND c.sender = ? AND c.type = ? AND c.rejection_reason IS NULL LIMIT 1`,
          parentId,
          key,
          sender,
          type,
        ) !== undefined,
    )
  }
}

import { storedEventFromRow, type EventRow } from '../engine/event-row.js'
import {
  fts5Query,
  HIGHLIGHT_END,
  HIGHLIGHT_START,
  markedWords,
  parseSearchTerm,
} from '../engine/search-terms.js'
import type { SearchPage, SearchQuery, SearchStore } from '../search-store.js'
import { EVENT_COLUMNS } from './sqlite-event-store.js'
import { sqliteFilterClause } from './sqlite-filter.js'
import { settle, sqlList, type SqliteStatements } from './sqlite-statements.js'

/** How long text waits in event_search_pending after a write before the index takes it. */
export const SEARCH_INDEX_DELAY_MS = 500

/**
 * Search on the FTS5 table `event_search`, whose rowid is the event's event_nid. bm25() is lower
 * for better matches, so the rank is its negation. Pages go by offset in rank order and by stream
 * position in recent order.
 *
 * Persisting an event only queues its text in `event_search_pending`: each FTS5 write costs a new
 * index segment per commit, which would weigh on every send. The queue moves into the index in
 * one transaction shortly after writes (`noteWrite`), and before every search, so a search always
 * sees every committed event.
 */
export class SqliteSearchStore implements SearchStore {
  readonly #q: SqliteStatements
  #timer: ReturnType<typeof setTimeout> | undefined
  #closed = false

  constructor(statements: SqliteStatements) {
    this.#q = statements
  }

  /** A write may have queued text: index it soon, in one batch with whatever follows. */
  noteWrite(): void {
    if (this.#timer !== undefined || this.#closed) return
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      if (!this.#closed) this.flush()
    }, SEARCH_INDEX_DELAY_MS)
    this.#timer.unref()
  }

  /** Moves the queued text into the index; returns how many events it indexed. */
  flush(): number {
    // Without a write lock when there is nothing to move (the usual case for a search).
    if (this.#q.one('SELECT 1 FROM event_search_pending LIMIT 1') === undefined) return 0
    return this.#q.db
      .transaction(() => {
        const moved = this.#q.run(
          `INSERT INTO event_search (rowid, text, key)
           SELECT event_nid, text, key FROM event_search_pending ORDER BY event_nid`,
        )
        if (moved > 0) this.#q.run('DELETE FROM event_search_pending')
        return moved
      })
      .immediate()
  }

  /** Stops the timer; queued text stays queued, durably, for the next start. */
  close(): void {
    this.#closed = true
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
  }

  search(query: SearchQuery): Promise<SearchPage> {
    return settle(() => {
      this.flush()
      const match = fts5Query(parseSearchTerm(query.term))
      if (match === undefined || query.rooms.length === 0 || query.limit <= 0) {
        return { hits: [], more: false, count: 0 }
      }
      const rooms = JSON.stringify(query.rooms.map((room) => [room.roomId, room.upTo ?? null]))
      const filter = sqliteFilterClause(query.filter)
      const conditions = [
        'event_search MATCH ?',
        `(json_extract(w.value, '$[1]') IS NULL OR e.stream_position <= json_extract(w.value, '$[1]'))`,
        filter.sql,
      ]
      const params: unknown[] = [rooms, match, ...filter.params]
      if (query.keys.length > 0) {
        conditions.push('s.key IN (SELECT value FROM json_each(?))')
        params.push(sqlList(query.keys))
      }
      const from = `FROM event_search s
        JOIN events e ON e.event_nid = s.rowid
        JOIN rooms r ON r.room_id = e.room_id
        JOIN json_each(?) w ON json_extract(w.value, '$[0]') = e.room_id
        WHERE ${conditions.join(' AND ')}`

      const recent = query.order === 'recent'
      const page: string[] = []
      const pageParams: unknown[] = []
      if (recent && query.after !== undefined) {
        page.push('AND e.stream_position < ?')
        pageParams.push(query.after)
      }
      const offset = recent ? 0 : (query.after ?? 0)
      const rows = this.#q.db
        .prepare(
          `SELECT ${EVENT_COLUMNS}, -bm25(event_search) AS rank,
             highlight(event_search, 0, ?, ?) AS marked
           ${from}
           ${page.join(' ')}
           ORDER BY ${recent ? 'e.stream_position DESC' : 'rank DESC, e.stream_position DESC'}
           LIMIT ? OFFSET ?`,
        )
        .all(
          HIGHLIGHT_START,
          HIGHLIGHT_END,
          ...params,
          ...pageParams,
          query.limit + 1,
          offset,
        ) as (EventRow & { rank: number; marked: string })[]
      const count = this.#q.db.prepare(`SELECT COUNT(*) AS n ${from}`).get(...params) as {
        n: number
      }
      const more = rows.length > query.limit
      const kept = more ? rows.slice(0, query.limit) : rows
      return {
        hits: kept.map((row, i) => {
          const event = storedEventFromRow(row)
          return {
            event,
            rank: row.rank,
            highlights: markedWords(row.marked),
            cursor: recent ? (event.streamPosition ?? 0) : offset + i + 1,
          }
        }),
        more,
        count: count.n,
      }
    })
  }
}

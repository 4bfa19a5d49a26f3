import { storedEventFromRow, type EventRow } from '../engine/event-row.js'
import { searchEntryOf } from '../engine/event-index.js'
import {
  HIGHLIGHT_END,
  HIGHLIGHT_START,
  markedWords,
  parseSearchTerm,
  tsqueryExpression,
  type ParsedSearch,
} from '../engine/search-terms.js'
import type { SearchPage, SearchQuery, SearchStore } from '../search-store.js'
import { Params, type Queryable } from './postgres-connection.js'
import { EVENT_COLUMNS } from './postgres-event-store.js'
import { postgresFilterClause } from './postgres-filter.js'

const CONFIG = `'english'`
const HEADLINE_OPTIONS = `StartSel="${HIGHLIGHT_START}", StopSel="${HIGHLIGHT_END}", HighlightAll=true`

/**
 * Search on `event_search` (a tsvector per event, GIN-indexed) with the tsquery that
 * search-terms.ts builds from the term, ranked by ts_rank_cd. Pages go by offset in rank order and
 * by stream position in recent order. The matched words come from ts_headline over the hits'
 * text, read from the events themselves.
 */
export class PostgresSearchStore implements SearchStore {
  readonly #db: Queryable

  constructor(db: Queryable) {
    this.#db = db
  }

  async search(query: SearchQuery): Promise<SearchPage> {
    const parsed = parseSearchTerm(query.term)
    const params = new Params()
    const tsquery = tsqueryExpression(parsed, CONFIG, (value) => params.add(value))
    if (tsquery === undefined || query.rooms.length === 0 || query.limit <= 0) {
      return { hits: [], more: false, count: 0 }
    }
    const roomIds = params.add(query.rooms.map((room) => room.roomId))
    const bounds = params.add(query.rooms.map((room) => room.upTo ?? null))
    const conditions = [
      `s.vector @@ ${tsquery}`,
      '(w.up_to IS NULL OR e.stream_position <= w.up_to)',
      postgresFilterClause(query.filter, params),
    ]
    if (query.keys.length > 0) conditions.push(`s.key = ANY(${params.add(query.keys)}::text[])`)
    const from = `FROM event_search s
      JOIN events e ON e.event_id = s.event_id
      JOIN rooms r ON r.room_id = e.room_id
      JOIN unnest(${roomIds}::text[], ${bounds}::bigint[]) AS w (room_id, up_to)
        ON w.room_id = e.room_id
      WHERE ${conditions.join(' AND ')}`
    const countValues = [...params.values]

    const recent = query.order === 'recent'
    const page: string[] = []
    if (recent && query.after !== undefined) {
      page.push(`AND e.stream_position < ${params.add(query.after)}`)
    }
    const offset = recent ? 0 : (query.after ?? 0)
    const [result, counted] = await Promise.all([
      this.#db.query<EventRow & { rank: number }>(
        `SELECT ${EVENT_COLUMNS}, ts_rank_cd(s.vector, ${tsquery}) AS rank ${from} ${page.join(' ')}
         ORDER BY ${recent ? 'e.stream_position DESC' : 'rank DESC, e.stream_position DESC'}
         LIMIT ${params.add(query.limit + 1)} OFFSET ${params.add(offset)}`,
        params.values,
      ),
      this.#db.query<{ n: number }>(`SELECT COUNT(*)::bigint AS n ${from}`, countValues),
    ])
    const more = result.rows.length > query.limit
    const kept = (more ? result.rows.slice(0, query.limit) : result.rows).map((row) => ({
      event: storedEventFromRow(row),
      rank: row.rank,
    }))
    const highlights = await this.#highlights(
      parsed,
      kept.map((hit) => searchEntryOf(hit.event.pdu)?.text ?? ''),
    )
    return {
      hits: kept.map((hit, i) => ({
        ...hit,
        highlights: highlights[i] ?? [],
        cursor: recent ? (hit.event.streamPosition ?? 0) : offset + i + 1,
      })),
      more,
      count: counted.rows[0]?.n ?? 0,
    }
  }

  /** The words of each text that the term matches, as they appear in it. */
  async #highlights(parsed: ParsedSearch, texts: readonly string[]): Promise<string[][]> {
    if (texts.length === 0) return []
    const params = new Params()
    const textList = params.add(texts)
    const options = params.add(HEADLINE_OPTIONS)
    const tsquery = tsqueryExpression(parsed, CONFIG, (value) => params.add(value)) ?? 'NULL'
    const { rows } = await this.#db.query<{ i: number; marked: string }>(
      `SELECT x.i, ts_headline(${CONFIG}, x.t, ${tsquery}, ${options}) AS marked
       FROM unnest(${textList}::text[]) WITH ORDINALITY AS x (t, i)`,
      params.values,
    )
    const out: string[][] = texts.map(() => [])
    for (const row of rows) out[row.i - 1] = markedWords(row.marked)
    return out
  }
}

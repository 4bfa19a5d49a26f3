import type { RoomId } from '@rhizome/core'
import type { SearchKey } from './engine/event-index.js'
import type { EventFilter, StoredEvent } from './interface.js'

/**
 * Full-text search over the text that persisting indexes (engine/event-index.ts): SQLite's FTS5
 * (porter stemming) and PostgreSQL's text search ('english'). A redacted event has no text any
 * more. The term reads like a web search in both: words must all match (stemmed), "quoted
 * words" match as a phrase, `or` between two words accepts either, and `-word` excludes.
 */
export interface SearchStore {
  search(query: SearchQuery): Promise<SearchPage>
}

export interface SearchQuery {
  /** The user's search term as typed. */
  readonly term: string
  /** The rooms to search, each up to a position when the user may read no further. */
  readonly rooms: readonly SearchRoom[]
  /** Empty: every key. */
  readonly keys: readonly SearchKey[]
  readonly filter?: EventFilter
  /** rank: best match first (then the most recent); recent: most recent first. */
  readonly order: 'rank' | 'recent'
  readonly limit: number
  /** Continue after the hit that carried this cursor. */
  readonly after?: number
}

export interface SearchRoom {
  readonly roomId: RoomId
  /** The last stream position the user may read in the room; undefined for no bound. */
  readonly upTo?: number
}

export interface SearchHit {
  readonly event: StoredEvent
  /** Higher is a better match. */
  readonly rank: number
  /** The matching words as they appear in the event's text. */
  readonly highlights: readonly string[]
  /** `after` for the query that continues after this hit. */
  readonly cursor: number
}

export interface SearchPage {
  readonly hits: readonly SearchHit[]
  /** Whether more hits follow the last one. */
  readonly more: boolean
  /** Every match in the rooms, whatever the page (counted before history visibility). */
  readonly count: number
}

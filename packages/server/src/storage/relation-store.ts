import type { EventId, RoomId, UserId } from '@rhizome/core'
import type { StoredEvent, TimelinePage } from './interface.js'

/**
 * Reads over the relations that persisting records (engine/event-index.ts): an event's children,
 * the data of bundled aggregations, and a room's threads (client-server-api §Forming
 * relationships between events, §Threading). A redacted child has no relation any more (the
 * redaction removes it), and neither has a rejected one. Only client-visible children count: in
 * the stream, not rejected.
 */
export interface RelationStore {
  /**
   * The children of `parentId` in `roomId`, paged by stream position like TimelineQuery (a
   * token T stands between the events at T and T + 1). With `depth` > 1, children of children
   * too, down to that many levels, following only relations that pass the filters.
   */
  children(roomId: RoomId, parentId: EventId, query: RelationQuery): Promise<TimelinePage>

  /** What the bundled aggregations of the given events need, in one query. */
  aggregations(request: AggregationRequest): Promise<ReadonlyMap<EventId, RelationAggregates>>

  /**
   * A room's thread roots, the thread with the latest reply first. Each root comes with the
   * position of that latest reply, which is also what pages on.
   */
  threads(roomId: RoomId, query: ThreadsQuery): Promise<ThreadsPage>

  /** Whether `sender` has an annotation of `type` with `key` on `parentId` (not redacted). */
  hasAnnotation(parentId: EventId, sender: UserId, type: string, key: string): Promise<boolean>
}

export interface RelationQuery {
  readonly direction: 'f' | 'b'
  readonly from?: number
  readonly to?: number
  readonly limit: number
  readonly relType?: string
  readonly eventType?: string
  /** 1: direct children only. */
  readonly depth: number
}

export interface AggregationRequest {
  /** Events that may have thread and reference aggregations. */
  readonly parents: readonly EventId[]
  /** Those of them that may also have an edit: not redacted, not state, not an edit themselves. */
  readonly editable: readonly EventId[]
  /**
   * The user the events are served to: for `participated`, and whose `m.ignored_user_list`
   * leaves children out of threads and references.
   */
  readonly viewer: UserId | undefined
}

export interface RelationAggregates {
  /**
   * The most recent valid replacement (client-server-api §Validity of replacement events): same
   * sender and type as the parent, neither a state event, `m.new_content` present unless
   * encrypted. Most recent by origin_server_ts, then the larger event ID.
   */
  readonly latestEdit?: EventId
  readonly thread?: ThreadAggregate
  /** The `m.reference` children, oldest first. */
  readonly references?: readonly EventId[]
}

export interface ThreadAggregate {
  readonly count: number
  readonly latestEventId: EventId
  /** The viewer sent a reply in the thread (the root's sender is the caller's to check). */
  readonly viewerReplied: boolean
}

export interface ThreadsQuery {
  /** Threads whose latest reply is at or before this position (going backwards). */
  readonly from?: number
  /** Replies after this position are not counted (a departed user's view ends there). */
  readonly upTo?: number
  readonly limit: number
  /** Only threads this user started or replied in. */
  readonly participant?: UserId
}

export interface ThreadsPage {
  readonly roots: readonly ThreadRoot[]
  /** The token of the next page: below the last root's latest reply; undefined at the end. */
  readonly next: number | undefined
}

export interface ThreadRoot {
  readonly event: StoredEvent
  readonly latestPosition: number
}

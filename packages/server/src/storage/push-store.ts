import type { EventId, JsonObject, RoomId, UserId } from '@rhizome/core'
import type { StoredEvent } from './interface.js'

/**
 * What push rule evaluation stores (client-server-api §Push Notifications): the actions each
 * event has for each user it notifies, the users' read positions, and the progress of the
 * background processor that evaluates committed events in stream order.
 *
 * The processor's position is a row in the database. `processBatch` claims it (on PostgreSQL a
 * row lock taken with SKIP LOCKED, so of several worker processes exactly one works a range and
 * the others move on), and commits the batch's actions with the advanced position in one
 * transaction: a crash loses nothing and counts nothing twice.
 */
export interface PushStore {
  /**
   * Claims the processor's position and runs `work` with it. When `work` returns a batch, its
   * rows and the new position are committed together ('processed'); when it returns undefined,
   * nothing is written ('idle'). 'busy': another worker holds the claim, `work` did not run.
   *
   * A batch that changes users' unread counts (an action stored, or a read position raised past
   * one) also takes a stream position, last in its transaction, records it for each such user
   * and room (see `SyncStore.roomNews`), and wakes those users after the commit.
   */
  processBatch(work: (position: number) => Promise<PushBatch | undefined>): Promise<BatchOutcome>
  /** The processor's position: every event at or below it has been evaluated. */
  processedPosition(): Promise<number>
  /** Room events in (after, upTo], oldest first, at most `limit`; rejected events left out. */
  eventsAfter(after: number, upTo: number, limit: number): Promise<readonly StoredEvent[]>
  /**
   * Unread notification counts per room and thread (`main` or a root's event ID): stored
   * actions at positions in (read position, upTo], where a thread's read position is the higher
   * of the user's unthreaded one and the thread's own. Rooms and threads without unread
   * notifications are left out. One indexed range count per room: never a scan of history.
   */
  unreadCounts(
    userId: UserId,
    roomIds: readonly RoomId[],
    upTo: number,
  ): Promise<ReadonlyMap<RoomId, ReadonlyMap<string, UnreadCount>>>
  /** The user's read positions in a room, by thread ('' for unthreaded). */
  readPositions(userId: UserId, roomId: RoomId): Promise<ReadonlyMap<string, number>>
  /** The user's notifications, newest first, before position `before` (exclusive). */
  notifications(userId: UserId, query: NotificationsQuery): Promise<readonly StoredPushAction[]>
  /**
   * Users whose global account data of one of the types (`m.push_rules`, the ignored users)
   * changed in (since, upTo].
   */
  settingsChanged(types: readonly string[], since: number, upTo: number): Promise<readonly UserId[]>
  /** The stored global account data of one type, of each user that has some. */
  settingsOf(type: string, userIds: readonly UserId[]): Promise<ReadonlyMap<UserId, JsonObject>>
}

export type BatchOutcome = 'processed' | 'idle' | 'busy'

export interface PushBatch {
  /** The position processing reached: the next batch starts after it. */
  readonly position: number
  /** Outcomes of single users: those who differ from their room's action, or where it has none. */
  readonly actions: readonly NewPushAction[]
  /** The outcome most members share, stored once per event (see NewRoomPushAction). */
  readonly roomActions: readonly NewRoomPushAction[]
  /** Read positions to raise (the sender of an event has read up to it). */
  readonly reads: readonly ReadPositionUpdate[]
}

/**
 * What an event does for the members of its room who share the outcome of the server-default
 * rules (in a large room, nearly all of them): one row instead of one per member. It counts for
 * every local member joined when the event came, except the users with their own outcome at the
 * same event (a NewPushAction, which replaces it, notifying or not). Its sender's read position
 * covers it, and members who join later read from their join on, so neither counts it.
 */
export interface NewRoomPushAction {
  readonly roomId: RoomId
  readonly eventId: EventId
  /** Its sender, whose counts it does not change (not stored with it). */
  readonly sender: UserId
  readonly streamPosition: number
  readonly threadId: string
  readonly actions: readonly (string | JsonObject)[]
  readonly highlight: boolean
  readonly ts: number
}

export interface NewPushAction extends StoredPushAction {
  /**
   * False for a user whom the event does not notify where its room action would: the row only
   * takes the room action away from them.
   */
  readonly notify: boolean
}

/** One notification of one user. */
export interface StoredPushAction {
  readonly userId: UserId
  readonly roomId: RoomId
  readonly eventId: EventId
  /** The event's stream position. */
  readonly streamPosition: number
  /** `main` or the thread root's event ID. */
  readonly threadId: string
  /** The JSON actions of the rule that matched (they include `notify`). */
  readonly actions: readonly (string | JsonObject)[]
  readonly highlight: boolean
  readonly ts: number
}

export interface ReadPositionUpdate {
  readonly userId: UserId
  readonly roomId: RoomId
  /** '' for every thread (an unthreaded receipt), else `main` or a root's event ID. */
  readonly threadId: string
  readonly position: number
}

export interface UnreadCount {
  readonly notifications: number
  readonly highlights: number
}

export interface NotificationsQuery {
  /** Exclusive upper bound on the stream position; undefined: the newest. */
  readonly before: number | undefined
  readonly limit: number
  readonly onlyHighlight: boolean
}

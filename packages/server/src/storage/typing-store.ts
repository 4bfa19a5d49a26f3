import type { RoomId, UserId } from '@rhizome/core'

/**
 * Typing notices (client-server-api §Typing Notifications), one row per room and user.
 *
 * Why the database and the global stream, when typing is ephemeral: Rhizome runs several worker
 * processes, and a typing notice set through one must reach a `/sync` served by another, then
 * vanish at its expiry on all of them (invariant 5: no single process holds the truth). A row
 * with its expiry time does both: any process reads who is typing, any process can announce an
 * expiry. Each change takes a position on the one global stream and notifies its room through
 * the stream notifier (pg_notify on PostgreSQL), so waiting syncs of the room wake within
 * milliseconds, sync tokens stay one number, and "nothing moved the stream" still means "nothing
 * happened". A typing change costs one short write; refreshing a notice that is still running
 * (clients resend every 20-30 s while typing) only moves its expiry and takes no position.
 *
 * A row is `active` from a start until its stop or the announcement of its expiry. Readers leave
 * out notices whose expiry has passed even before the expiry is announced, so an expired notice
 * is gone from the very next sync; the announcement (`expire`) is what wakes waiting clients.
 */
/** One user's notice in one room. */
export interface TypingNotice {
  readonly roomId: RoomId
  readonly userId: UserId
}

export interface TypingStore {
  /**
   * Starts (or refreshes) the user's notice until `expiresTs`, or stops it (`undefined`).
   * Returns the stream position of the change, or `undefined` when nothing visible changed (a
   * refresh of a running notice, a stop of a notice that was not running): then no waiter wakes.
   */
  setTyping(
    roomId: RoomId,
    userId: UserId,
    expiresTs: number | undefined,
    now: number,
  ): Promise<number | undefined>
  /**
   * Ends every active notice whose expiry is at or before `now`, at one new stream position, and
   * wakes their rooms. Safe to run in several processes at once: a notice is announced once.
   * Returns the notices that ended (so that other servers can be told of this server's users).
   */
  expire(now: number): Promise<readonly TypingNotice[]>
  /** The earliest expiry among active notices (to time the next `expire`). */
  nextExpiry(): Promise<number | undefined>
  /**
   * Who is typing now, for each of `roomIds` whose typing changed in (since, upTo]; without
   * `since`, for each room where someone is typing. Rooms left out had no change (or, without
   * `since`, nobody typing). A room whose last notice just ended maps to an empty list. Users who
   * are no longer joined to the room are left out, whatever their notice says.
   */
  typingSince(
    roomIds: readonly RoomId[],
    since: number | undefined,
    upTo: number,
    now: number,
  ): Promise<ReadonlyMap<RoomId, readonly UserId[]>>
}

import type { EventId, RoomId, UserId } from '@rhizome/core'

/**
 * Reads that `/sync` needs beyond the general stores: each answers for many rooms or events in
 * one query, so that a sync's cost does not grow with the rooms it has nothing to say about.
 */
export interface SyncStore {
  /**
   * Which of the rooms have a client-visible event (in the stream, not rejected) at a position in
   * (since, upTo]: one query, one index probe per room.
   */
  roomsWithEventsSince(
    roomIds: readonly RoomId[],
    since: number,
    upTo: number,
  ): Promise<ReadonlySet<RoomId>>

  /**
   * What changed for `userId` in the rooms in (since, upTo], in one query: the rooms with a
   * client-visible event (as `roomsWithEventsSince`), and those where the push processor changed
   * the user's unread counts (PushStore.processBatch).
   */
  roomNews(
    userId: UserId,
    roomIds: readonly RoomId[],
    since: number,
    upTo: number,
  ): Promise<RoomNews>

  /** A room's member counts and heroes, from its current memberships (see RoomMemberSummary). */
  memberSummary(roomId: RoomId, excluding: UserId, heroes: number): Promise<RoomMemberSummary>

  /**
   * The transaction IDs, as stored, that `userId`'s device `deviceId` sent the given events with
   * (for `unsigned.transaction_id`); events it did not send are left out.
   */
  transactionIds(
    userId: UserId,
    deviceId: string,
    eventIds: readonly EventId[],
  ): Promise<ReadonlyMap<EventId, string>>
}

export interface RoomNews {
  readonly events: ReadonlySet<RoomId>
  readonly unreadCounts: ReadonlySet<RoomId>
}

export interface RoomMemberSummary {
  readonly joined: number
  readonly invited: number
  /**
   * Up to `heroes` members other than `excluding`: those joined or invited, oldest membership
   * first (by stream position, then user ID); when there are none, those who left or were banned,
   * in the same order.
   */
  readonly heroes: readonly UserId[]
}

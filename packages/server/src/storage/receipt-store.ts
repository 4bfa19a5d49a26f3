import type { EventId, RoomId, UserId } from '@rhizome/core'

/** The receipt types stored here; `m.fully_read` is room account data, not a receipt. */
export type ReceiptType = 'm.read' | 'm.read.private'

/**
 * Read receipts (client-server-api §Receipts): per user, receipt type and thread, the one event
 * the user has read up to. Receipts move the global stream, so `/sync` delivers them and a new
 * one wakes the long-polls that should see it.
 */
export interface ReceiptStore {
  /**
   * Stores the receipt, unless the user's receipt of that type and thread already points at the
   * same event or a later one (by stream position): then nothing changes and `position` is
   * undefined. In the same transaction the user's read position for the thread (see
   * PushStore.unreadCounts) moves up to the event. Wakes the room (`m.read`) or only the user
   * (`m.read.private`).
   */
  put(receipt: NewReceipt): Promise<{ readonly position: number | undefined }>
  /**
   * The receipts of the rooms that changed in (since, upTo], or all current ones without
   * `since`, ordered by stream position. Private receipts are only `viewer`'s own.
   */
  receiptsSince(
    roomIds: readonly RoomId[],
    viewer: UserId,
    since: number | undefined,
    upTo: number,
  ): Promise<readonly ReceiptRecord[]>
  /** The user's current receipts in the room, for their read state. */
  userReceipts(roomId: RoomId, userId: UserId): Promise<readonly ReceiptRecord[]>
}

export interface NewReceipt {
  readonly roomId: RoomId
  readonly userId: UserId
  readonly receiptType: ReceiptType
  /** Undefined: unthreaded. Otherwise `main` or a thread root's event ID. */
  readonly threadId: string | undefined
  readonly eventId: EventId
  /** The receipted event's stream position: receipts only move forward by it. */
  readonly eventPosition: number
  readonly ts: number
}

export interface ReceiptRecord {
  readonly roomId: RoomId
  readonly userId: UserId
  readonly receiptType: ReceiptType
  readonly threadId: string | undefined
  readonly eventId: EventId
  readonly eventPosition: number
  readonly ts: number
  /** The stream position of the change. */
  readonly streamPosition: number
}

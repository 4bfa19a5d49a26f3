import type { EventId, RoomId, UserId } from '@rhizome/core'
import type { StreamNotification } from '../interface.js'
import type { NewReceipt, ReceiptRecord, ReceiptType } from '../receipt-store.js'
import type { StoredPushAction } from '../push-store.js'

/** Unthreaded receipts and read positions are stored under the thread ID '' (a key column). */
export const UNTHREADED = ''

export const RECEIPT_COLUMNS =
  'room_id, user_id, receipt_type, thread_id, event_id, event_position, ts, stream_position'

export interface ReceiptRow {
  readonly room_id: string
  readonly user_id: string
  readonly receipt_type: string
  readonly thread_id: string
  readonly event_id: string
  readonly event_position: number
  readonly ts: number
  readonly stream_position: number
}

export function receiptFromRow(row: ReceiptRow): ReceiptRecord {
  return {
    roomId: row.room_id as RoomId,
    userId: row.user_id as UserId,
    receiptType: row.receipt_type as ReceiptType,
    threadId: row.thread_id === UNTHREADED ? undefined : row.thread_id,
    eventId: row.event_id as EventId,
    eventPosition: row.event_position,
    ts: row.ts,
    streamPosition: row.stream_position,
  }
}

/** A public receipt wakes the room; a private one only its owner. */
export function receiptNotification(receipt: NewReceipt, position: number): StreamNotification {
  return {
    position,
    roomIds: receipt.receiptType === 'm.read' ? [receipt.roomId] : [],
    userIds: [receipt.userId],
    catchUp: false,
  }
}

/**
 * One row per (user, event) where the user's outcome is their own (see NewPushAction): the
 * event's ID is read back through its position.
 */
export const PUSH_ACTION_COLUMNS =
  'user_id, room_id, stream_position, thread_id, actions, highlight, ts, notify'

export interface PushActionRow {
  readonly user_id: string
  readonly room_id: string
  readonly stream_position: number
  readonly event_id: string
  readonly thread_id: string
  readonly actions: string
  readonly highlight: number | boolean
  readonly ts: number
}

export function pushActionFromRow(row: PushActionRow): StoredPushAction {
  const actions: unknown = JSON.parse(row.actions)
  if (!Array.isArray(actions)) throw new Error('stored push actions are not an array')
  return {
    userId: row.user_id as UserId,
    streamPosition: row.stream_position,
    roomId: row.room_id as RoomId,
    eventId: row.event_id as EventId,
    threadId: row.thread_id,
    actions: actions as StoredPushAction['actions'],
    highlight: row.highlight === true || row.highlight === 1,
    ts: row.ts,
  }
}

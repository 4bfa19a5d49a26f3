import type { RoomId, UserId } from '@rhizome/core'
import {
  RECEIPT_COLUMNS,
  receiptFromRow,
  receiptNotification,
  UNTHREADED,
  type ReceiptRow,
} from '../engine/receipt-row.js'
import type { StreamNotification } from '../interface.js'
import type { NewReceipt, ReceiptRecord, ReceiptStore } from '../receipt-store.js'
import { SqliteEngineOps } from './sqlite-engine-ops.js'
import { settle, sqlList, type SqliteStatements } from './sqlite-statements.js'

export class SqliteReceiptStore implements ReceiptStore {
  readonly #q: SqliteStatements
  readonly #afterCommit: (notification: StreamNotification) => void

  constructor(
    statements: SqliteStatements,
    afterCommit: (notification: StreamNotification) => void,
  ) {
    this.#q = statements
    this.#afterCommit = afterCommit
  }

  put(receipt: NewReceipt): Promise<{ readonly position: number | undefined }> {
    return settle(() => {
      const thread = receipt.threadId ?? UNTHREADED
      const position = this.#q.db
        .transaction(() => {
          const existing = this.#q.one<{ event_position: number }>(
            `SELECT event_position FROM receipts
             WHERE room_id = ? AND user_id = ? AND receipt_type = ? AND thread_id = ?`,
            receipt.roomId,
            receipt.userId,
            receipt.receiptType,
            thread,
          )
          if (existing !== undefined && existing.event_position >= receipt.eventPosition) {
            return undefined
          }
          const streamPosition = new SqliteEngineOps(this.#q).allocateStreamPosition()
          this.#q.run(
            `INSERT INTO receipts (${RECEIPT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (room_id, user_id, receipt_type, thread_id) DO UPDATE
             SET event_id = excluded.event_id, event_position = excluded.event_position,
                 ts = excluded.ts, stream_position = excluded.stream_position`,
            receipt.roomId,
            receipt.userId,
            receipt.receiptType,
            thread,
            receipt.eventId,
            receipt.eventPosition,
            receipt.ts,
            streamPosition,
          )
          this.#q.run(
            `INSERT INTO read_positions (user_id, room_id, thread_id, position) VALUES (?, ?, ?, ?)
             ON CONFLICT (user_id, room_id, thread_id) DO UPDATE
             SET position = MAX(position, excluded.position)`,
            receipt.userId,
            receipt.roomId,
            thread,
            receipt.eventPosition,
          )
          return streamPosition
        })
        .immediate()
      if (position !== undefined) this.#afterCommit(receiptNotification(receipt, position))
      return { position }
    })
  }

  receiptsSince(
    roomIds: readonly RoomId[],
    viewer: UserId,
    since: number | undefined,
    upTo: number,
  ): Promise<readonly ReceiptRecord[]> {
    return settle(() => {
      if (roomIds.length === 0) return []
      return this.#q
        .all<ReceiptRow>(
          `SELECT ${RECEIPT_COLUMNS} FROM receipts
           WHERE room_id IN (SELECT value FROM json_each(?))
             AND stream_position > ? AND stream_position <= ?
             AND (receipt_type = 'm.read' OR user_id = ?)
           ORDER BY stream_position`,
          sqlList(roomIds),
          since ?? 0,
          upTo,
          viewer,
        )
        .map(receiptFromRow)
    })
  }

  userReceipts(roomId: RoomId, userId: UserId): Promise<readonly ReceiptRecord[]> {
    return settle(() =>
      this.#q
        .all<ReceiptRow>(
          `SELECT ${RECEIPT_COLUMNS} FROM receipts WHERE room_id = ? AND user_id = ?
           ORDER BY stream_position`,
          roomId,
          userId,
        )
        .map(receiptFromRow),
    )
  }
}

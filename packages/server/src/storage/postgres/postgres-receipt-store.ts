import type pg from 'pg'
import type { RoomId, UserId } from '@rhizome/core'
import type { Logger } from '../../logging/logger.js'
import {
  RECEIPT_COLUMNS,
  receiptFromRow,
  receiptNotification,
  UNTHREADED,
  type ReceiptRow,
} from '../engine/receipt-row.js'
import type { NewReceipt, ReceiptRecord, ReceiptStore } from '../receipt-store.js'
import { pooledTransaction } from './postgres-connection.js'
import { PostgresEngineOps } from './postgres-engine-ops.js'

export class PostgresReceiptStore implements ReceiptStore {
  readonly #pool: pg.Pool
  readonly #logger: Logger | undefined

  constructor(pool: pg.Pool, logger: Logger | undefined) {
    this.#pool = pool
    this.#logger = logger
  }

  async put(receipt: NewReceipt): Promise<{ readonly position: number | undefined }> {
    const thread = receipt.threadId ?? UNTHREADED
    const key = [receipt.roomId, receipt.userId, receipt.receiptType, thread]
    const position = await pooledTransaction(this.#pool, this.#logger, async (client) => {
      const { rows } = await client.query<{ event_position: number }>(
        `SELECT event_position FROM receipts
         WHERE room_id = $1 AND user_id = $2 AND receipt_type = $3 AND thread_id = $4 FOR UPDATE`,
        key,
      )
      const existing = rows[0]?.event_position
      if (existing !== undefined && existing >= receipt.eventPosition) return undefined
      // The read position before the stream counter, which every writer takes last, so that
      // this never waits for the push processor (which raises read positions too) in the
      // opposite order. Raised even if a racing receipt for a later event wins below: that
      // one's read position is higher still.
      await client.query(
        `INSERT INTO read_positions (user_id, room_id, thread_id, position) VALUES ($1, $2, $3, $4)
         ON CONFLICT (user_id, room_id, thread_id) DO UPDATE
         SET position = GREATEST(read_positions.position, excluded.position)`,
        [receipt.userId, receipt.roomId, thread, receipt.eventPosition],
      )
      const ops = new PostgresEngineOps(client)
      const streamPosition = await ops.allocateStreamPosition()
      // A first receipt racing another for the same key: the later event wins either way.
      const written = await client.query(
        `INSERT INTO receipts (${RECEIPT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (room_id, user_id, receipt_type, thread_id) DO UPDATE
         SET event_id = excluded.event_id, event_position = excluded.event_position,
             ts = excluded.ts, stream_position = excluded.stream_position
         WHERE receipts.event_position < excluded.event_position`,
        [...key, receipt.eventId, receipt.eventPosition, receipt.ts, streamPosition],
      )
      if (written.rowCount !== 1) return undefined
      await ops.notify(receiptNotification(receipt, streamPosition))
      return streamPosition
    })
    return { position }
  }

  async receiptsSince(
    roomIds: readonly RoomId[],
    viewer: UserId,
    since: number | undefined,
    upTo: number,
  ): Promise<readonly ReceiptRecord[]> {
    if (roomIds.length === 0) return []
    const { rows } = await this.#pool.query<ReceiptRow>(
      `SELECT ${RECEIPT_COLUMNS} FROM receipts
       WHERE room_id = ANY($1::text[]) AND stream_position > $2 AND stream_position <= $3
         AND (receipt_type = 'm.read' OR user_id = $4)
       ORDER BY stream_position`,
      [roomIds, since ?? 0, upTo, viewer],
    )
    return rows.map(receiptFromRow)
  }

  async userReceipts(roomId: RoomId, userId: UserId): Promise<readonly ReceiptRecord[]> {
    const { rows } = await this.#pool.query<ReceiptRow>(
      `SELECT ${RECEIPT_COLUMNS} FROM receipts WHERE room_id = $1 AND user_id = $2
       ORDER BY stream_position`,
      [roomId, userId],
    )
    return rows.map(receiptFromRow)
  }
}

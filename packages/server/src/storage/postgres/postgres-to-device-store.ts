import type pg from 'pg'
import { canonicalJson, type UserId } from '@rhizome/core'
import type { Logger } from '../../logging/logger.js'
import {
  expandRecipients,
  recipientUsers,
  toDeviceFromRow,
  type ToDeviceRow,
} from '../engine/e2e-key-rows.js'
import type {
  RemoteToDeviceBatch,
  ToDeviceBatch,
  ToDeviceMessage,
  ToDeviceStore,
} from '../e2e-key-store.js'
import { pooledTransaction } from './postgres-connection.js'
import { PostgresEngineOps } from './postgres-engine-ops.js'

export class PostgresToDeviceStore implements ToDeviceStore {
  readonly #pool: pg.Pool
  readonly #logger: Logger | undefined

  constructor(pool: pg.Pool, logger: Logger | undefined) {
    this.#pool = pool
    this.#logger = logger
  }

  send(batch: ToDeviceBatch): Promise<boolean> {
    return this.#queueOnce(
      `INSERT INTO to_device_txns (user_id, device_id, txn_id) VALUES ($1, $2, $3)
       ON CONFLICT DO NOTHING`,
      [batch.sender, batch.senderDeviceId, batch.txnId],
      batch,
    )
  }

  receive(batch: RemoteToDeviceBatch): Promise<boolean> {
    return this.#queueOnce(
      `INSERT INTO to_device_inbound_ids (sender, message_id, received_ts) VALUES ($1, $2, $3)
       ON CONFLICT DO NOTHING`,
      [batch.sender, batch.messageId, batch.receivedTs],
      batch,
    )
  }

  async forgetInboundIds(before: number): Promise<number> {
    const { rowCount } = await this.#pool.query(
      'DELETE FROM to_device_inbound_ids WHERE received_ts < $1',
      [before],
    )
    return rowCount ?? 0
  }

  /**
   * Queues the messages in one transaction when `claim` (an insert that marks the batch as
   * seen) inserts a row; a batch seen before writes nothing.
   */
  #queueOnce(
    claim: string,
    claimValues: readonly (string | number)[],
    batch: Pick<ToDeviceBatch, 'sender' | 'type' | 'messages'>,
  ): Promise<boolean> {
    return pooledTransaction(this.#pool, this.#logger, async (client) => {
      const fresh = await client.query(claim, [...claimValues])
      if (fresh.rowCount === 0) return false
      const { rows } = await client.query<{ user_id: UserId; device_id: string }>(
        'SELECT user_id, device_id FROM devices WHERE user_id = ANY($1::text[])',
        [recipientUsers(batch.messages)],
      )
      const devices = new Map<UserId, string[]>()
      for (const row of rows) {
        devices.set(row.user_id, [...(devices.get(row.user_id) ?? []), row.device_id])
      }
      const deliveries = expandRecipients(batch.messages, devices)
      if (deliveries.length === 0) return true
      const ops = new PostgresEngineOps(client)
      const position = await ops.allocateStreamPosition()
      await client.query(
        `INSERT INTO to_device_messages
           (user_id, device_id, stream_position, sender, type, content)
         SELECT u, d, $3, $4, $5, c
         FROM unnest($1::text[], $2::text[], $6::text[]) AS t (u, d, c)`,
        [
          deliveries.map((d) => d.userId),
          deliveries.map((d) => d.deviceId),
          position,
          batch.sender,
          batch.type,
          deliveries.map((d) => canonicalJson(d.content)),
        ],
      )
      const woken = [...new Set(deliveries.map((d) => d.userId))]
      await ops.notify({ position, roomIds: [], userIds: woken, catchUp: false })
      return true
    })
  }

  async acknowledge(userId: UserId, deviceId: string, position: number): Promise<void> {
    await this.#pool.query(
      `DELETE FROM to_device_messages
       WHERE user_id = $1 AND device_id = $2 AND stream_position <= $3`,
      [userId, deviceId, position],
    )
  }

  async pending(
    userId: UserId,
    deviceId: string,
    after: number | undefined,
    upTo: number,
    limit: number,
  ): Promise<readonly ToDeviceMessage[]> {
    const { rows } = await this.#pool.query<ToDeviceRow>(
      `SELECT stream_position, sender, type, content FROM to_device_messages
       WHERE user_id = $1 AND device_id = $2 AND stream_position > $3 AND stream_position <= $4
       ORDER BY stream_position LIMIT $5`,
      [userId, deviceId, after ?? 0, upTo, limit],
    )
    return rows.map(toDeviceFromRow)
  }
}

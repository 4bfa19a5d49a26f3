import { canonicalJson, type UserId } from '@rhizome/core'
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
import type { StreamNotification } from '../interface.js'
import { SqliteEngineOps } from './sqlite-engine-ops.js'
import { settle, sqlList, type SqliteStatements } from './sqlite-statements.js'

export class SqliteToDeviceStore implements ToDeviceStore {
  readonly #q: SqliteStatements
  readonly #afterCommit: (notification: StreamNotification) => void

  constructor(
    statements: SqliteStatements,
    afterCommit: (notification: StreamNotification) => void,
  ) {
    this.#q = statements
    this.#afterCommit = afterCommit
  }

  send(batch: ToDeviceBatch): Promise<boolean> {
    return this.#queueOnce(
      `INSERT INTO to_device_txns (user_id, device_id, txn_id) VALUES (?, ?, ?)
       ON CONFLICT DO NOTHING`,
      [batch.sender, batch.senderDeviceId, batch.txnId],
      batch,
    )
  }

  receive(batch: RemoteToDeviceBatch): Promise<boolean> {
    return this.#queueOnce(
      `INSERT INTO to_device_inbound_ids (sender, message_id, received_ts) VALUES (?, ?, ?)
       ON CONFLICT DO NOTHING`,
      [batch.sender, batch.messageId, batch.receivedTs],
      batch,
    )
  }

  forgetInboundIds(before: number): Promise<number> {
    return settle(() =>
      this.#q.run('DELETE FROM to_device_inbound_ids WHERE received_ts < ?', before),
    )
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
    return settle(() => {
      const outcome = this.#q.db
        .transaction((): { fresh: boolean; notification?: StreamNotification } => {
          if (this.#q.run(claim, ...claimValues) === 0) return { fresh: false }
          const users = recipientUsers(batch.messages)
          const devices = new Map<UserId, string[]>()
          for (const row of this.#q.all<{ user_id: UserId; device_id: string }>(
            'SELECT user_id, device_id FROM devices WHERE user_id IN (SELECT value FROM json_each(?))',
            sqlList(users),
          )) {
            devices.set(row.user_id, [...(devices.get(row.user_id) ?? []), row.device_id])
          }
          const deliveries = expandRecipients(batch.messages, devices)
          if (deliveries.length === 0) return { fresh: true }
          const position = new SqliteEngineOps(this.#q).allocateStreamPosition()
          for (const d of deliveries) {
            this.#q.run(
              `INSERT INTO to_device_messages
                 (user_id, device_id, stream_position, sender, type, content)
               VALUES (?, ?, ?, ?, ?, ?)`,
              d.userId,
              d.deviceId,
              position,
              batch.sender,
              batch.type,
              canonicalJson(d.content),
            )
          }
          const woken = [...new Set(deliveries.map((d) => d.userId))]
          return {
            fresh: true,
            notification: { position, roomIds: [], userIds: woken, catchUp: false },
          }
        })
        .immediate()
      if (outcome.notification !== undefined) this.#afterCommit(outcome.notification)
      return outcome.fresh
    })
  }

  acknowledge(userId: UserId, deviceId: string, position: number): Promise<void> {
    return settle(() => {
      // A DELETE takes the write lock even when it matches nothing: look first.
      if (!this.#hasAtOrBelow(userId, deviceId, position)) return
      this.#q.run(
        `DELETE FROM to_device_messages
         WHERE user_id = ? AND device_id = ? AND stream_position <= ?`,
        userId,
        deviceId,
        position,
      )
    })
  }

  pending(
    userId: UserId,
    deviceId: string,
    after: number | undefined,
    upTo: number,
    limit: number,
  ): Promise<readonly ToDeviceMessage[]> {
    return settle(() =>
      this.#q
        .all<ToDeviceRow>(
          `SELECT stream_position, sender, type, content FROM to_device_messages
           WHERE user_id = ? AND device_id = ? AND stream_position > ? AND stream_position <= ?
           ORDER BY stream_position LIMIT ?`,
          userId,
          deviceId,
          after ?? 0,
          upTo,
          limit,
        )
        .map(toDeviceFromRow),
    )
  }

  #hasAtOrBelow(userId: UserId, deviceId: string, position: number): boolean {
    return (
      this.#q.one(
        `SELECT 1 FROM to_device_messages
         WHERE user_id = ? AND device_id = ? AND stream_position <= ? LIMIT 1`,
        userId,
        deviceId,
        position,
      ) !== undefined
    )
  }
}

import type { JsonObject, ServerName } from '@rhizome/core'
import type pg from 'pg'
import type { Logger } from '../../logging/logger.js'
import type {
  CatchUpTrim,
  DestinationRetry,
  DestinationStatus,
  FederationQueueStore,
  OutboundPdu,
  OutboundTransaction,
  QueuedDestination,
  TransactionDraft,
} from '../federation-queue-store.js'
import {
  DESTINATION_STATUS_SELECT,
  destinationStatusFromRow,
  distinctDestinations,
  QUEUED_DESTINATIONS_SQL,
  queuedDestinationFromRow,
  transactionFromRows,
  type DestinationStatusRow,
  type OutboxItemRow,
  type QueuedDestinationRow,
} from '../engine/federation-queue-rows.js'
import { pooledTransaction } from './postgres-connection.js'

/**
 * Writes that change a destination's pending transaction lock its federation_destinations row
 * first, so that they happen one after another even if two processes were to race.
 */
export class PostgresFederationQueueStore implements FederationQueueStore {
  readonly #pool: pg.Pool
  readonly #logger: Logger | undefined

  constructor(pool: pg.Pool, logger: Logger | undefined) {
    this.#pool = pool
    this.#logger = logger
  }

  async enqueuePdu(
    destinations: readonly ServerName[],
    pdu: OutboundPdu,
    now: number,
  ): Promise<void> {
    const names = distinctDestinations(destinations)
    if (names.length === 0) return
    await pooledTransaction(this.#pool, this.#logger, async (client) => {
      await ensureDestinations(client, names)
      await client.query(
        `DELETE FROM federation_outbox o USING federation_destinations d
         WHERE d.destination = ANY($1::text[]) AND d.catching_up
           AND o.destination = d.destination AND o.kind = 'pdu' AND o.room_id = $2
           AND o.txn_id IS NULL`,
        [names, pdu.roomId],
      )
      await client.query(
        `INSERT INTO federation_outbox (destination, kind, room_id, event_id, content, queued_ts)
         SELECT name, 'pdu', $2, $3, $4, $5 FROM unnest($1::text[]) WITH ORDINALITY AS n (name, i)
         ORDER BY i
         ON CONFLICT DO NOTHING`,
        [names, pdu.roomId, pdu.eventId, JSON.stringify(pdu.pdu), now],
      )
    })
  }

  async enqueueEdu(
    destinations: readonly ServerName[],
    edu: JsonObject,
    now: number,
  ): Promise<void> {
    const names = distinctDestinations(destinations)
    if (names.length === 0) return
    await pooledTransaction(this.#pool, this.#logger, async (client) => {
      await ensureDestinations(client, names)
      await client.query(
        `INSERT INTO federation_outbox (destination, kind, content, queued_ts)
         SELECT name, 'edu', $2, $3 FROM unnest($1::text[]) WITH ORDINALITY AS n (name, i)
         ORDER BY i`,
        [names, JSON.stringify(edu), now],
      )
    })
  }

  async queuedDestinations(): Promise<readonly QueuedDestination[]> {
    const { rows } = await this.#pool.query<QueuedDestinationRow>(QUEUED_DESTINATIONS_SQL)
    return rows.map(queuedDestinationFromRow)
  }

  async knownDestinations(): Promise<readonly ServerName[]> {
    const { rows } = await this.#pool.query<{ destination: ServerName }>(
      'SELECT destination FROM federation_destinations',
    )
    return rows.map((row) => row.destination)
  }

  async status(destination: ServerName): Promise<DestinationStatus | undefined> {
    const { rows } = await this.#pool.query<DestinationStatusRow>(
      `${DESTINATION_STATUS_SELECT} WHERE d.destination = $1`,
      [destination],
    )
    const row = rows[0]
    return row && destinationStatusFromRow(row)
  }

  async claim(
    destination: ServerName,
    owner: string,
    now: number,
    leaseMs: number,
  ): Promise<boolean> {
    const { rows } = await this.#pool.query<{ destination: string }>(
      `INSERT INTO federation_destinations (destination, lease_owner, lease_expires_ts)
       VALUES ($1, $2, $3)
       ON CONFLICT (destination) DO UPDATE SET
         lease_owner = excluded.lease_owner, lease_expires_ts = excluded.lease_expires_ts
       WHERE federation_destinations.lease_owner IS NULL
         OR federation_destinations.lease_owner = excluded.lease_owner
         OR federation_destinations.lease_expires_ts <= $4
       RETURNING destination`,
      [destination, owner, now + leaseMs, now],
    )
    return rows.length > 0
  }

  async release(destination: ServerName, owner: string): Promise<void> {
    await this.#pool.query(
      `UPDATE federation_destinations SET lease_owner = NULL, lease_expires_ts = 0
       WHERE destination = $1 AND lease_owner = $2`,
      [destination, owner],
    )
  }

  takeTransaction(
    destination: ServerName,
    draft: TransactionDraft,
  ): Promise<OutboundTransaction | undefined> {
    return pooledTransaction(this.#pool, this.#logger, async (client) => {
      const { rows } = await client.query<{ txn_id: string | null; txn_ts: number | null }>(
        `SELECT txn_id, txn_ts FROM federation_destinations WHERE destination = $1 FOR UPDATE`,
        [destination],
      )
      const pending = rows[0]
      if (pending === undefined) return undefined
      if (pending.txn_id !== null) {
        const items = await itemsOf(client, destination, pending.txn_id)
        if (items.length > 0) {
          return transactionFromRows(pending.txn_id, pending.txn_ts ?? draft.now, items)
        }
      }
      let taken = 0
      for (const [kind, limit] of [
        ['pdu', draft.maxPdus],
        ['edu', draft.maxEdus],
      ] as const) {
        const result = await client.query(
          `UPDATE federation_outbox SET txn_id = $1 WHERE id IN (
             SELECT id FROM federation_outbox
             WHERE destination = $2 AND kind = $3 AND txn_id IS NULL ORDER BY id LIMIT $4)`,
          [draft.txnId, destination, kind, limit],
        )
        taken += result.rowCount ?? 0
      }
      const txnId = taken === 0 ? null : draft.txnId
      await client.query(
        `UPDATE federation_destinations SET txn_id = $1, txn_ts = $2 WHERE destination = $3`,
        [txnId, txnId === null ? null : draft.now, destination],
      )
      if (txnId === null) return undefined
      return transactionFromRows(txnId, draft.now, await itemsOf(client, destination, txnId))
    })
  }

  async finishTransaction(destination: ServerName, txnId: string): Promise<void> {
    await pooledTransaction(this.#pool, this.#logger, async (client) => {
      const finished = await client.query(
        `UPDATE federation_destinations
         SET txn_id = NULL, txn_ts = NULL, retry_last_ts = 0, retry_interval = 0
         WHERE destination = $1 AND txn_id = $2`,
        [destination, txnId],
      )
      if ((finished.rowCount ?? 0) === 0) return
      await client.query(`DELETE FROM federation_outbox WHERE destination = $1 AND txn_id = $2`, [
        destination,
        txnId,
      ])
      await client.query(
        `UPDATE federation_destinations SET catching_up = FALSE
         WHERE destination = $1 AND NOT EXISTS (
           SELECT 1 FROM federation_outbox WHERE destination = $1 AND kind = 'pdu')`,
        [destination],
      )
    })
  }

  async recordFailure(destination: ServerName, retry: DestinationRetry): Promise<void> {
    await this.#pool.query(
      `UPDATE federation_destinations SET retry_last_ts = $1, retry_interval = $2
       WHERE destination = $3`,
      [retry.retryLastTs, retry.retryInterval, destination],
    )
  }

  async resetRetry(destination: ServerName): Promise<boolean> {
    const result = await this.#pool.query(
      `UPDATE federation_destinations SET retry_last_ts = 0, retry_interval = 0
       WHERE destination = $1 AND retry_interval > 0`,
      [destination],
    )
    return (result.rowCount ?? 0) > 0
  }

  startCatchUp(destination: ServerName, keepEdus: number): Promise<CatchUpTrim> {
    return pooledTransaction(this.#pool, this.#logger, async (client) => {
      await client.query(
        `SELECT 1 FROM federation_destinations WHERE destination = $1 FOR UPDATE`,
        [destination],
      )
      const pdus = await client.query(
        `DELETE FROM federation_outbox AS t
         WHERE t.destination = $1 AND t.kind = 'pdu' AND t.txn_id IS NULL
           AND t.id < (SELECT MAX(o.id) FROM federation_outbox o
             WHERE o.destination = t.destination AND o.kind = 'pdu'
               AND o.room_id = t.room_id AND o.txn_id IS NULL)`,
        [destination],
      )
      const edus = await client.query(
        `DELETE FROM federation_outbox
         WHERE destination = $1 AND kind = 'edu' AND txn_id IS NULL AND id NOT IN (
           SELECT id FROM federation_outbox
           WHERE destination = $1 AND kind = 'edu' AND txn_id IS NULL
           ORDER BY id DESC LIMIT $2)`,
        [destination, keepEdus],
      )
      await client.query(
        `UPDATE federation_destinations SET catching_up = TRUE WHERE destination = $1`,
        [destination],
      )
      return { droppedPdus: pdus.rowCount ?? 0, droppedEdus: edus.rowCount ?? 0 }
    })
  }
}

async function ensureDestinations(client: pg.ClientBase, names: readonly string[]): Promise<void> {
  await client.query(
    `INSERT INTO federation_destinations (destination)
     SELECT unnest($1::text[]) ON CONFLICT DO NOTHING`,
    [names],
  )
}

async function itemsOf(
  client: pg.ClientBase,
  destination: ServerName,
  txnId: string,
): Promise<OutboxItemRow[]> {
  const { rows } = await client.query<OutboxItemRow>(
    `SELECT kind, content FROM federation_outbox WHERE destination = $1 AND txn_id = $2
     ORDER BY id`,
    [destination, txnId],
  )
  return rows
}

import type { JsonObject, ServerName } from '@rhizome/core'
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
import { settle, type SqliteStatements } from './sqlite-statements.js'

export class SqliteFederationQueueStore implements FederationQueueStore {
  readonly #q: SqliteStatements

  constructor(statements: SqliteStatements) {
    this.#q = statements
  }

  enqueuePdu(destinations: readonly ServerName[], pdu: OutboundPdu, now: number): Promise<void> {
    const content = JSON.stringify(pdu.pdu)
    return settle(() => {
      this.#q.db
        .transaction(() => {
          for (const destination of distinctDestinations(destinations)) {
            this.#ensureDestination(destination)
            this.#q.run(
              `DELETE FROM federation_outbox
               WHERE destination = ? AND kind = 'pdu' AND room_id = ? AND txn_id IS NULL
                 AND EXISTS (SELECT 1 FROM federation_destinations
                   WHERE destination = ? AND catching_up = 1)`,
              destination,
              pdu.roomId,
              destination,
            )
            this.#q.run(
              `INSERT INTO federation_outbox
                 (destination, kind, room_id, event_id, content, queued_ts)
               VALUES (?, 'pdu', ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
              destination,
              pdu.roomId,
              pdu.eventId,
              content,
              now,
            )
          }
        })
        .immediate()
    })
  }

  enqueueEdu(destinations: readonly ServerName[], edu: JsonObject, now: number): Promise<void> {
    const content = JSON.stringify(edu)
    return settle(() => {
      this.#q.db
        .transaction(() => {
          for (const destination of distinctDestinations(destinations)) {
            this.#ensureDestination(destination)
            this.#q.run(
              `INSERT INTO federation_outbox (destination, kind, content, queued_ts)
               VALUES (?, 'edu', ?, ?)`,
              destination,
              content,
              now,
            )
          }
        })
        .immediate()
    })
  }

  queuedDestinations(): Promise<readonly QueuedDestination[]> {
    return settle(() =>
      this.#q.all<QueuedDestinationRow>(QUEUED_DESTINATIONS_SQL).map(queuedDestinationFromRow),
    )
  }

  knownDestinations(): Promise<readonly ServerName[]> {
    return settle(() =>
      this.#q
        .all<{ destination: ServerName }>('SELECT destination FROM federation_destinations')
        .map((row) => row.destination),
    )
  }

  status(destination: ServerName): Promise<DestinationStatus | undefined> {
    return settle(() => {
      const row = this.#q.one<DestinationStatusRow>(
        `${DESTINATION_STATUS_SELECT} WHERE d.destination = ?`,
        destination,
      )
      return row && destinationStatusFromRow(row)
    })
  }

  claim(destination: ServerName, owner: string, now: number, leaseMs: number): Promise<boolean> {
    return settle(() => {
      const row = this.#q.one<{ destination: string }>(
        `INSERT INTO federation_destinations (destination, lease_owner, lease_expires_ts)
         VALUES (?, ?, ?)
         ON CONFLICT (destination) DO UPDATE SET
           lease_owner = excluded.lease_owner, lease_expires_ts = excluded.lease_expires_ts
         WHERE federation_destinations.lease_owner IS NULL
           OR federation_destinations.lease_owner = excluded.lease_owner
           OR federation_destinations.lease_expires_ts <= ?
         RETURNING destination`,
        destination,
        owner,
        now + leaseMs,
        now,
      )
      return row !== undefined
    })
  }

  release(destination: ServerName, owner: string): Promise<void> {
    return settle(() => {
      this.#q.run(
        `UPDATE federation_destinations SET lease_owner = NULL, lease_expires_ts = 0
         WHERE destination = ? AND lease_owner = ?`,
        destination,
        owner,
      )
    })
  }

  takeTransaction(
    destination: ServerName,
    draft: TransactionDraft,
  ): Promise<OutboundTransaction | undefined> {
    return settle(() =>
      this.#q.db
        .transaction((): OutboundTransaction | undefined => {
          const pending = this.#q.one<{ txn_id: string | null; txn_ts: number | null }>(
            `SELECT txn_id, txn_ts FROM federation_destinations WHERE destination = ?`,
            destination,
          )
          if (pending === undefined) return undefined
          if (pending.txn_id !== null) {
            const items = this.#items(destination, pending.txn_id)
            if (items.length > 0) {
              return transactionFromRows(pending.txn_id, pending.txn_ts ?? draft.now, items)
            }
          }
          let taken = 0
          for (const [kind, limit] of [
            ['pdu', draft.maxPdus],
            ['edu', draft.maxEdus],
          ] as const) {
            taken += this.#q.run(
              `UPDATE federation_outbox SET txn_id = ? WHERE id IN (
                 SELECT id FROM federation_outbox
                 WHERE destination = ? AND kind = ? AND txn_id IS NULL ORDER BY id LIMIT ?)`,
              draft.txnId,
              destination,
              kind,
              limit,
            )
          }
          const txnId = taken === 0 ? null : draft.txnId
          this.#q.run(
            `UPDATE federation_destinations SET txn_id = ?, txn_ts = ? WHERE destination = ?`,
            txnId,
            txnId === null ? null : draft.now,
            destination,
          )
          if (txnId === null) return undefined
          return transactionFromRows(txnId, draft.now, this.#items(destination, txnId))
        })
        .immediate(),
    )
  }

  finishTransaction(destination: ServerName, txnId: string): Promise<void> {
    return settle(() => {
      this.#q.db
        .transaction(() => {
          const finished = this.#q.run(
            `UPDATE federation_destinations
             SET txn_id = NULL, txn_ts = NULL, retry_last_ts = 0, retry_interval = 0
             WHERE destination = ? AND txn_id = ?`,
            destination,
            txnId,
          )
          if (finished === 0) return
          this.#q.run(
            `DELETE FROM federation_outbox WHERE destination = ? AND txn_id = ?`,
            destination,
            txnId,
          )
          this.#q.run(
            `UPDATE federation_destinations SET catching_up = 0
             WHERE destination = ? AND NOT EXISTS (
               SELECT 1 FROM federation_outbox WHERE destination = ? AND kind = 'pdu')`,
            destination,
            destination,
          )
        })
        .immediate()
    })
  }

  recordFailure(destination: ServerName, retry: DestinationRetry): Promise<void> {
    return settle(() => {
      this.#q.run(
        `UPDATE federation_destinations SET retry_last_ts = ?, retry_interval = ?
         WHERE destination = ?`,
        retry.retryLastTs,
        retry.retryInterval,
        destination,
      )
    })
  }

  resetRetry(destination: ServerName): Promise<boolean> {
    return settle(
      () =>
        this.#q.run(
          `UPDATE federation_destinations SET retry_last_ts = 0, retry_interval = 0
           WHERE destination = ? AND retry_interval > 0`,
          destination,
        ) > 0,
    )
  }

  startCatchUp(destination: ServerName, keepEdus: number): Promise<CatchUpTrim> {
    return settle(() =>
      this.#q.db
        .transaction((): CatchUpTrim => {
          const droppedPdus = this.#q.run(
            `DELETE FROM federation_outbox AS t
             WHERE t.destination = ? AND t.kind = 'pdu' AND t.txn_id IS NULL
               AND t.id < (SELECT MAX(o.id) FROM federation_outbox o
                 WHERE o.destination = t.destination AND o.kind = 'pdu'
                   AND o.room_id = t.room_id AND o.txn_id IS NULL)`,
            destination,
          )
          const droppedEdus = this.#q.run(
            `DELETE FROM federation_outbox
             WHERE destination = ? AND kind = 'edu' AND txn_id IS NULL AND id NOT IN (
               SELECT id FROM federation_outbox
               WHERE destination = ? AND kind = 'edu' AND txn_id IS NULL
               ORDER BY id DESC LIMIT ?)`,
            destination,
            destination,
            keepEdus,
          )
          this.#q.run(
            `UPDATE federation_destinations SET catching_up = 1 WHERE destination = ?`,
            destination,
          )
          return { droppedPdus, droppedEdus }
        })
        .immediate(),
    )
  }

  #ensureDestination(destination: ServerName): void {
    this.#q.run(
      `INSERT INTO federation_destinations (destination) VALUES (?) ON CONFLICT DO NOTHING`,
      destination,
    )
  }

  #items(destination: ServerName, txnId: string): OutboxItemRow[] {
    return this.#q.all<OutboxItemRow>(
      `SELECT kind, content FROM federation_outbox WHERE destination = ? AND txn_id = ?
       ORDER BY id`,
      destination,
      txnId,
    )
  }
}

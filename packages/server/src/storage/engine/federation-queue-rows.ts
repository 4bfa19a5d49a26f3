import type { ServerName } from '@rhizome/core'
import type {
  DestinationStatus,
  OutboundTransaction,
  QueuedDestination,
} from '../federation-queue-store.js'
import { parseStoredObject } from './json-text.js'

/** A federation_destinations row with its queue counts, as both dialects read it. */
export interface DestinationStatusRow {
  readonly destination: string
  readonly retry_last_ts: number | string
  readonly retry_interval: number | string
  readonly catching_up: number | boolean
  readonly queued_pdus: number | string
  readonly queued_edus: number | string
  readonly oldest_pdu_ts: number | string | null
}

export interface QueuedDestinationRow {
  readonly destination: string
  readonly retry_last_ts: number | string
  readonly retry_interval: number | string
}

export interface OutboxItemRow {
  readonly kind: string
  readonly content: string
}

/** The status columns, selected from federation_destinations as `d`. */
export const DESTINATION_STATUS_SELECT = `SELECT d.destination, d.retry_last_ts,
  d.retry_interval, d.catching_up,
  (SELECT COUNT(*) FROM federation_outbox o
    WHERE o.destination = d.destination AND o.kind = 'pdu') AS queued_pdus,
  (SELECT COUNT(*) FROM federation_outbox o
    WHERE o.destination = d.destination AND o.kind = 'edu') AS queued_edus,
  (SELECT MIN(o.queued_ts) FROM federation_outbox o
    WHERE o.destination = d.destination AND o.kind = 'pdu') AS oldest_pdu_ts
  FROM federation_destinations d`

export const QUEUED_DESTINATIONS_SQL = `SELECT d.destination, d.retry_last_ts, d.retry_interval
  FROM federation_destinations d
  WHERE EXISTS (SELECT 1 FROM federation_outbox o WHERE o.destination = d.destination)
  ORDER BY d.destination`

export function queuedDestinationFromRow(row: QueuedDestinationRow): QueuedDestination {
  return {
    destination: row.destination as ServerName,
    retryLastTs: Number(row.retry_last_ts),
    retryInterval: Number(row.retry_interval),
  }
}

export function destinationStatusFromRow(row: DestinationStatusRow): DestinationStatus {
  return {
    ...queuedDestinationFromRow(row),
    catchingUp: row.catching_up === true || row.catching_up === 1,
    queuedPdus: Number(row.queued_pdus),
    queuedEdus: Number(row.queued_edus),
    oldestPduTs: row.oldest_pdu_ts === null ? undefined : Number(row.oldest_pdu_ts),
  }
}

/** The pending transaction from its items, read in queue order. */
export function transactionFromRows(
  txnId: string,
  originServerTs: number,
  rows: readonly OutboxItemRow[],
): OutboundTransaction {
  const pdus = rows.filter((row) => row.kind === 'pdu')
  const edus = rows.filter((row) => row.kind === 'edu')
  return {
    txnId,
    originServerTs,
    pdus: pdus.map((row) => parseStoredObject(row.content, 'queued PDU')),
    edus: edus.map((row) => parseStoredObject(row.content, 'queued EDU')),
  }
}

/** Each destination once, in a fixed order, so that concurrent writers lock rows alike. */
export function distinctDestinations(destinations: readonly ServerName[]): ServerName[] {
  return [...new Set(destinations)].sort()
}

/**
 * What the answer to `PUT /_matrix/federation/v1/send/{txnId}` means for the queue.
 *
 * - 200: delivered. The body's per-PDU results are only reported: the spec has the receiver use
 *   a 200 even when some PDUs failed, and sending such a PDU again would fail again.
 * - Another 4xx (not 408 or 429): the receiver is up but refuses this transaction as it is. The
 *   same bytes would be refused again, so the transaction is dropped, and the destination counts
 *   as healthy.
 * - 408, 429, 5xx, no answer at all: the transaction is kept and resent under the same txnId
 *   after a backoff (429 waits at least its `retry_after_ms`, within the cap).
 * - Refused before sending (an address our policy forbids, a malformed name): kept too, but the
 *   backoff goes straight to its cap, since this rarely clears up by itself.
 */
import { isJsonObject, type JsonValue, type Result } from '@rhizome/core'
import type { FederationFailure, FederationResponse } from '../transport/federation-client.js'

export interface PduFailure {
  readonly eventId: string
  readonly error: string
}

export type TransactionOutcome =
  | { readonly kind: 'delivered'; readonly pduFailures: readonly PduFailure[] }
  | { readonly kind: 'rejected'; readonly status: number; readonly message: string }
  | {
      readonly kind: 'retry'
      readonly message: string
      /** The least wait the destination asked for. */
      readonly retryAfterMs?: number
      /** Wait as long as the policy allows. */
      readonly longest?: boolean
    }

export function transactionOutcome(
  result: Result<FederationResponse, FederationFailure>,
): TransactionOutcome {
  if (result.ok) return { kind: 'delivered', pduFailures: pduFailures(result.value.body) }
  const failure = result.error
  switch (failure.kind) {
    case 'unreachable':
      return { kind: 'retry', message: failure.message }
    case 'refused':
      return { kind: 'retry', message: failure.message, longest: true }
    case 'http': {
      const { status } = failure
      // A 2xx whose body could not be read: the receiver took the transaction.
      if (status >= 200 && status < 300) return { kind: 'delivered', pduFailures: [] }
      if (status === 429) {
        const retryAfterMs = retryAfter(failure.body)
        return retryAfterMs === undefined
          ? { kind: 'retry', message: failure.message }
          : { kind: 'retry', message: failure.message, retryAfterMs }
      }
      if (status >= 400 && status < 500 && status !== 408) {
        return { kind: 'rejected', status, message: failure.message }
      }
      return { kind: 'retry', message: failure.message }
    }
  }
}

/** The PDUs whose result in a 200 body carries an `error`. */
export function pduFailures(body: JsonValue): PduFailure[] {
  if (!isJsonObject(body)) return []
  const pdus = body['pdus']
  if (!isJsonObject(pdus)) return []
  const failures: PduFailure[] = []
  for (const [eventId, outcome] of Object.entries(pdus)) {
    if (!isJsonObject(outcome)) continue
    const error = outcome['error']
    if (error !== undefined) {
      failures.push({ eventId, error: typeof error === 'string' ? error : JSON.stringify(error) })
    }
  }
  return failures
}

function retryAfter(body: JsonValue): number | undefined {
  if (!isJsonObject(body)) return undefined
  const value = body['retry_after_ms']
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined
}

import { parseJson, type EventId, type RoomId } from '@rhizome/core'

/**
 * The endpoint a client transaction ID was used on. A retransmission is a request with the same
 * transaction ID on the same path from the same device (client-server-api §Transaction
 * identifiers), so the same ID sent to two rooms, or with two event types, names two requests.
 */
export type TxnScope =
  | { readonly endpoint: 'send'; readonly roomId: RoomId; readonly eventType: string }
  | { readonly endpoint: 'redact'; readonly roomId: RoomId; readonly eventId: EventId }

/**
 * The key under which storage binds the transaction to its event: the scope and the client's ID
 * as a JSON array, which no choice of characters in either can make ambiguous.
 */
export function scopedTxnId(scope: TxnScope, txnId: string): string {
  const target = scope.endpoint === 'send' ? scope.eventType : scope.eventId
  return JSON.stringify([scope.endpoint, scope.roomId, target, txnId])
}

/**
 * The client's own transaction ID inside a stored key (for `unsigned.transaction_id`), or
 * undefined for a key that scopedTxnId did not make.
 */
export function clientTxnId(stored: string): string | undefined {
  const parsed = parseJson(stored)
  if (!parsed.ok || !Array.isArray(parsed.value) || parsed.value.length !== 4) return undefined
  const last: unknown = parsed.value[3]
  return typeof last === 'string' ? last : undefined
}

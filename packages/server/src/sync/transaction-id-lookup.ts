import type { EventId } from '@rhizome/core'
import type { TransactionIdLookup } from '../events/client-event-serializer.js'
import { clientTxnId } from '../rooms/txn-scope.js'
import type { Storage } from '../storage/interface.js'

/**
 * The serializer's transaction ID lookup (for `unsigned.transaction_id`, which lets a client
 * match its local echo to the event sync brings), read from storage in one query per batch. The
 * room service stores transactions under scoped keys; the client's own ID is inside.
 */
export function storedTransactionIds(storage: Pick<Storage, 'sync'>): TransactionIdLookup {
  return async (viewer, eventIds) => {
    const stored = await storage.sync.transactionIds(viewer.userId, viewer.deviceId, eventIds)
    const out = new Map<EventId, string>()
    for (const [eventId, key] of stored) {
      const txnId = clientTxnId(key)
      if (txnId !== undefined) out.set(eventId, txnId)
    }
    return out
  }
}

import type { EventId, JsonObject, RoomId, ServerName } from '@rhizome/core'

/**
 * The outbound federation queue (server-server-api §Transactions): PDUs and EDUs waiting to be
 * sent to each destination server, the transaction being sent to it, and its retry schedule.
 * Everything is durable, so a restarted server still delivers what it had queued.
 *
 * Items are kept per destination in the order they were queued. A transaction is cut from the
 * oldest unsent items and remembered with its ID until it is finished, so that a retry sends the
 * same transaction with the same ID and the receiver can recognise it.
 */
export interface OutboundPdu {
  readonly roomId: RoomId
  readonly eventId: EventId
  /** The event in its federation format, as it goes into a transaction's `pdus`. */
  readonly pdu: JsonObject
}

/** When a destination may next be tried: it failed at `retryLastTs` and waits `retryInterval`. */
export interface DestinationRetry {
  /** 0 while the destination is healthy. */
  readonly retryLastTs: number
  /** 0 while the destination is healthy. */
  readonly retryInterval: number
}

export interface QueuedDestination extends DestinationRetry {
  readonly destination: ServerName
}

export interface DestinationStatus extends QueuedDestination {
  /** Only the latest PDU per room is kept for it until its queue is drained (catch-up). */
  readonly catchingUp: boolean
  readonly queuedPdus: number
  readonly queuedEdus: number
  /** When the oldest queued PDU was queued; undefined when no PDU is queued. */
  readonly oldestPduTs: number | undefined
}

export interface OutboundTransaction {
  readonly txnId: string
  /** When the transaction was first cut; a retry keeps it. */
  readonly originServerTs: number
  readonly pdus: readonly JsonObject[]
  readonly edus: readonly JsonObject[]
}

export interface TransactionDraft {
  /** The ID for a new transaction; unused when one is already pending. */
  readonly txnId: string
  readonly now: number
  readonly maxPdus: number
  readonly maxEdus: number
}

export interface CatchUpTrim {
  readonly droppedPdus: number
  readonly droppedEdus: number
}

export interface FederationQueueStore {
  /**
   * Queues the PDU for every destination, in one transaction. Queuing the same event twice for a
   * destination keeps one copy. For a destination that is catching up, the unsent PDUs of the
   * same room that are not part of its pending transaction are replaced by this one.
   */
  enqueuePdu(destinations: readonly ServerName[], pdu: OutboundPdu, now: number): Promise<void>
  /** Queues the EDU (`edu_type` and `content`) for every destination, in one transaction. */
  enqueueEdu(destinations: readonly ServerName[], edu: JsonObject, now: number): Promise<void>
  /** Destinations with something queued, with their retry schedules. */
  queuedDestinations(): Promise<readonly QueuedDestination[]>
  /** Every destination ever queued for, whether or not something waits for it now. */
  knownDestinations(): Promise<readonly ServerName[]>
  /** Undefined for a destination that was never queued for. */
  status(destination: ServerName): Promise<DestinationStatus | undefined>
  /**
   * Takes (or renews) the right to send to the destination for `leaseMs`: false while another
   * owner holds a lease that has not expired. Atomic across every process on the database.
   */
  claim(destination: ServerName, owner: string, now: number, leaseMs: number): Promise<boolean>
  /** Gives up the owner's lease; a lease held by another owner is left alone. */
  release(destination: ServerName, owner: string): Promise<void>
  /**
   * The destination's pending transaction, unchanged; or, when there is none, a new one with
   * `draft.txnId` made of the oldest unsent PDUs and EDUs (at most `maxPdus` and `maxEdus`).
   * Undefined when nothing is queued.
   */
  takeTransaction(
    destination: ServerName,
    draft: TransactionDraft,
  ): Promise<OutboundTransaction | undefined>
  /**
   * The transaction was answered (accepted, or refused for good): removes its items, forgets it,
   * marks the destination healthy, and ends catch-up once no PDU is left. Does nothing when
   * `txnId` is not the destination's pending transaction.
   */
  finishTransaction(destination: ServerName, txnId: string): Promise<void>
  /** Records a failed attempt; the pending transaction stays for the retry. */
  recordFailure(destination: ServerName, retry: DestinationRetry): Promise<void>
  /** Marks the destination healthy; true when it was waiting to retry. */
  resetRetry(destination: ServerName): Promise<boolean>
  /**
   * Puts the destination into catch-up: of the unsent items outside the pending transaction,
   * keeps only each room's latest PDU and the newest `keepEdus` EDUs.
   */
  startCatchUp(destination: ServerName, keepEdus: number): Promise<CatchUpTrim>
}

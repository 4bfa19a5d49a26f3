/**
 * The outbound federation sender (server-server-api §Transactions): delivers the durable queue
 * of PDUs and EDUs to each destination server in transactions of at most 50 PDUs and 100 EDUs,
 * with `PUT /_matrix/federation/v1/send/{txnId}`.
 *
 * - One transaction in flight per destination, across every process on the database: a process
 *   sends to a destination only while it holds the destination's lease, and each process runs
 *   at most one delivery loop per destination.
 * - A transaction is cut once and stored; until it is answered, every retry resends it under the
 *   same txnId, so the receiver can tell it has seen it (the spec has the sender wait for a 200
 *   before it uses another txnId).
 * - A failed destination waits with exponential backoff (retry-policy.ts), persisted. When that
 *   server sends us an authenticated request, `markAlive` ends the wait and sends at once.
 * - A destination whose queue grows past a bound goes into catch-up: only each room's latest PDU
 *   is kept for it, and the receiver fetches the rest with /get_missing_events or /backfill.
 * - `start` tries every queued destination once, whatever its backoff, so that a restarted
 *   server delivers what it had queued (which also tells the others it is back).
 */
import { randomUUID } from 'node:crypto'
import type { JsonObject, ServerName } from '@rhizome/core'
import type { Logger } from '../../logging/logger.js'
import type {
  DestinationStatus,
  FederationQueueStore,
  OutboundPdu,
  OutboundTransaction,
} from '../../storage/federation-queue-store.js'
import { Semaphore } from '../../storage/engine/keyed-mutex.js'
import { SweepTimer } from '../../timers/sweep-timer.js'
import type { FederationRequester } from '../transport/federation-client.js'
import {
  DEFAULT_RETRY_POLICY,
  nextRetryInterval,
  retryDueAt,
  type RetryPolicy,
} from './retry-policy.js'
import { transactionOutcome, type TransactionOutcome } from './transaction-outcome.js'

/** The spec's limits on one transaction. */
export const MAX_TRANSACTION_PDUS = 50
export const MAX_TRANSACTION_EDUS = 100

/** An EDU as it goes into a transaction's `edus`. */
export interface OutboundEdu {
  readonly edu_type: string
  readonly content: JsonObject
}

/** When a destination's queue is cut down to catch-up (see the module comment). */
export interface CatchUpPolicy {
  /** More queued PDUs than this starts catch-up. */
  readonly maxQueuedPdus: number
  /** A queued PDU older than this starts catch-up. */
  readonly maxQueueAgeMs: number
  /** At most this many unsent EDUs are kept; older ones are dropped. */
  readonly maxQueuedEdus: number
}

export const DEFAULT_CATCH_UP_POLICY: CatchUpPolicy = {
  maxQueuedPdus: 1_000,
  maxQueueAgeMs: 4 * 60 * 60 * 1000,
  maxQueuedEdus: 1_000,
}

/** An announcement is a courtesy: a server that does not answer soon is down, and will call. */
const ANNOUNCE_TIMEOUT_MS = 10_000

export interface FederationSenderOptions {
  /** Our own server name: the transactions' `origin`. */
  readonly serverName: ServerName
  readonly queue: FederationQueueStore
  readonly requester: Pick<FederationRequester, 'request'>
  readonly logger: Logger
  /** Wall-clock milliseconds. */
  readonly now?: () => number
  readonly newTxnId?: () => string
  readonly retry?: Partial<RetryPolicy>
  readonly catchUp?: Partial<CatchUpPolicy>
  /** How long one transaction may take to be answered. */
  readonly requestTimeoutMs?: number
  /**
   * How often every queued destination is looked at: picks up what other processes queued or
   * left behind (a process that died holding a lease), and retries that came due.
   */
  readonly sweepIntervalMs?: number
  /** How long `close` waits for transactions in flight before it aborts them. */
  readonly closeGraceMs?: number
  /** Transactions in flight at once, over every destination (one per destination at most). */
  readonly maxParallelSends?: number
  /**
   * Who holds this sender's leases. Stable across restarts of one worker (a worker killed
   * mid-send takes its leases back at once when it comes back); distinct between workers that
   * share a database. Random by default.
   */
  readonly owner?: string
}

interface DeliveryLoop {
  /** Look at the destination again once the current pass ends. */
  again: boolean
  /** Try once even if the destination's backoff has not run out. */
  force: boolean
  done: Promise<void>
}

export class FederationSender {
  readonly #serverName: ServerName
  readonly #queue: FederationQueueStore
  readonly #requester: Pick<FederationRequester, 'request'>
  readonly #logger: Logger
  readonly #now: () => number
  readonly #newTxnId: () => string
  readonly #retry: RetryPolicy
  readonly #catchUp: CatchUpPolicy
  readonly #requestTimeoutMs: number
  readonly #leaseMs: number
  readonly #closeGraceMs: number
  readonly #sweep: SweepTimer
  readonly #sends: Semaphore
  /** This process's name on the leases it takes. */
  readonly #owner: string
  readonly #loops = new Map<ServerName, DeliveryLoop>()
  readonly #inFlight = new Set<AbortController>()
  #started = false
  #closed = false

  constructor(options: FederationSenderOptions) {
    this.#serverName = options.serverName
    this.#queue = options.queue
    this.#requester = options.requester
    this.#logger = options.logger
    this.#now = options.now ?? (() => Date.now())
    this.#newTxnId = options.newTxnId ?? (() => randomUUID())
    this.#retry = { ...DEFAULT_RETRY_POLICY, ...options.retry }
    this.#catchUp = { ...DEFAULT_CATCH_UP_POLICY, ...options.catchUp }
    this.#owner = options.owner ?? randomUUID()
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 60_000
    // Longer than a send can take, so that a live sender never loses its lease mid-send.
    this.#leaseMs = this.#requestTimeoutMs + 60_000
    this.#closeGraceMs = options.closeGraceMs ?? 5_000
    this.#sends = new Semaphore(options.maxParallelSends ?? 64)
    this.#sweep = new SweepTimer({
      run: () => this.#sweepQueue(false),
      intervalMs: options.sweepIntervalMs ?? 60_000,
      now: this.#now,
      onError: (error) => {
        this.#logger.error({ err: error }, 'federation: reading the outbound queue failed')
      },
    })
  }

  /** Queues the PDU for every destination (our own server is left out) and sends it. */
  async enqueuePdu(destinations: readonly ServerName[], pdu: OutboundPdu): Promise<void> {
    const targets = this.#others(destinations)
    if (targets.length === 0) return
    await this.#queue.enqueuePdu(targets, pdu, this.#now())
    for (const destination of targets) this.#kick(destination, false)
  }

  /** Queues the EDU for every destination (our own server is left out) and sends it. */
  async enqueueEdu(destinations: readonly ServerName[], edu: OutboundEdu): Promise<void> {
    const targets = this.#others(destinations)
    if (targets.length === 0) return
    const json: JsonObject = { edu_type: edu.edu_type, content: edu.content }
    await this.#queue.enqueueEdu(targets, json, this.#now())
    for (const destination of targets) this.#kick(destination, false)
  }

  /**
   * The destination just reached us (an inbound request from it was authenticated): if it was
   * waiting out a backoff, the wait ends and its queue is sent now. Cheap when it was healthy.
   * Never rejects.
   */
  async markAlive(destination: ServerName): Promise<void> {
    if (this.#closed || destination === this.#serverName) return
    try {
      if (await this.#queue.resetRetry(destination)) {
        this.#logger.info({ destination }, 'federation: destination is back, sending its queue')
        this.#kick(destination, true)
      }
    } catch (error) {
      this.#logger.error({ err: error, destination }, 'federation: markAlive failed')
    }
  }

  /** Whether deliveries to the destination are failing and it waits out a backoff now. */
  async isBackingOff(destination: ServerName): Promise<boolean> {
    const status = await this.#queue.status(destination)
    return status !== undefined && retryDueAt(status) > this.#now()
  }

  /** Starts sending: every queued destination is tried once now, then as its queue says. */
  async start(): Promise<void> {
    if (this.#started || this.#closed) return
    this.#started = true
    this.#sweep.start()
    try {
      await this.#sweepQueue(true)
    } catch (error) {
      this.#logger.error({ err: error }, 'federation: reading the outbound queue failed')
    }
    void this.#announce()
  }

  /**
   * Tells every server this one ever sent to that it is back, with an empty transaction to those
   * it has nothing queued for: hearing from it, they end their backoff and send what they held
   * for it at once, rather than when their next retry comes due.
   */
  async #announce(): Promise<void> {
    try {
      const [known, queued] = await Promise.all([
        this.#queue.knownDestinations(),
        this.#queue.queuedDestinations(),
      ])
      const busy = new Set(queued.map((q) => q.destination))
      await Promise.all(
        this.#others(known)
          .filter((destination) => !busy.has(destination))
          .map(async (destination) => {
            const path = `/_matrix/federation/v1/send/${encodeURIComponent(this.#newTxnId())}`
            const body = {
              origin: this.#serverName,
              origin_server_ts: this.#now(),
              pdus: [],
              edus: [],
            }
            await this.#requester.request(destination, 'PUT', path, body, {
              timeoutMs: ANNOUNCE_TIMEOUT_MS,
            })
          }),
      )
    } catch (error) {
      this.#logger.warn({ err: error }, 'federation: could not announce this server is back')
    }
  }

  /**
   * Stops sending. Transactions in flight get `closeGraceMs` to be answered, then are aborted;
   * an aborted one stays queued and is resent, under the same txnId, after a restart.
   */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#sweep.close()
    const running = Promise.all([...this.#loops.values()].map((loop) => loop.done))
    let timer: NodeJS.Timeout | undefined
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.#closeGraceMs)
      timer.unref()
    })
    await Promise.race([running, grace])
    clearTimeout(timer)
    for (const controller of this.#inFlight) controller.abort()
    await running
  }

  #others(destinations: readonly ServerName[]): ServerName[] {
    return [...new Set(destinations)].filter((destination) => destination !== this.#serverName)
  }

  /** Every queued destination whose backoff ran out (or every one, forced); the next due time. */
  async #sweepQueue(force: boolean): Promise<number | undefined> {
    const now = this.#now()
    let next = Number.POSITIVE_INFINITY
    for (const queued of await this.#queue.queuedDestinations()) {
      const due = retryDueAt(queued)
      if (force || due <= now) this.#kick(queued.destination, force)
      else next = Math.min(next, due)
    }
    return Number.isFinite(next) ? next : undefined
  }

  /** Makes sure a delivery loop runs for the destination. */
  #kick(destination: ServerName, force: boolean): void {
    if (!this.#started || this.#closed) return
    const existing = this.#loops.get(destination)
    if (existing !== undefined) {
      existing.again = true
      existing.force ||= force
      return
    }
    const loop: DeliveryLoop = { again: true, force, done: Promise.resolve() }
    this.#loops.set(destination, loop)
    loop.done = this.#runLoop(destination, loop)
  }

  async #runLoop(destination: ServerName, loop: DeliveryLoop): Promise<void> {
    // Let the caller's synchronous work finish before the first query.
    await Promise.resolve()
    try {
      while (loop.again && !this.#closed) {
        loop.again = false
        const force = loop.force
        loop.force = false
        await this.#deliver(destination, loop, force)
      }
    } catch (error) {
      // A database failure: the periodic sweep tries again.
      this.#logger.error({ err: error, destination }, 'federation: delivery failed')
    } finally {
      this.#loops.delete(destination)
    }
  }

  /** One pass: sends while the destination answers, under its lease. */
  async #deliver(destination: ServerName, loop: DeliveryLoop, force: boolean): Promise<void> {
    if (!(await this.#queue.claim(destination, this.#owner, this.#now(), this.#leaseMs))) {
      // Another process is sending to it; it looks at the queue again when it lets go.
      return
    }
    try {
      await this.#sendQueued(destination, force)
    } finally {
      await this.#queue.release(destination, this.#owner)
    }
    if (this.#closed) return
    // Whatever another process queued while we held the lease is ours to send.
    const status = await this.#queue.status(destination)
    if (status !== undefined && hasQueued(status) && retryDueAt(status) <= this.#now()) {
      loop.again = true
    }
  }

  async #sendQueued(destination: ServerName, force: boolean): Promise<void> {
    let mayForce = force
    while (!this.#closed) {
      const status = await this.#queue.status(destination)
      if (status === undefined || !hasQueued(status)) return
      const due = retryDueAt(status)
      if (due > this.#now() && !mayForce) {
        this.#sweep.wakeAt(due)
        return
      }
      mayForce = false
      await this.#trimForCatchUp(destination, status)
      const txn = await this.#queue.takeTransaction(destination, {
        txnId: this.#newTxnId(),
        now: this.#now(),
        maxPdus: MAX_TRANSACTION_PDUS,
        maxEdus: MAX_TRANSACTION_EDUS,
      })
      if (txn === undefined) return
      const outcome = await this.#sends.run(async () => {
        // Renewed before each send: lost only if this process waited or stalled past it, and
        // then whoever took it over sends the transaction.
        if (this.#closed) return undefined
        const now = this.#now()
        if (!(await this.#queue.claim(destination, this.#owner, now, this.#leaseMs))) {
          return undefined
        }
        return this.#send(destination, txn)
      })
      if (outcome === undefined) return
      if (outcome.kind === 'retry') {
        await this.#backOff(destination, status.retryInterval, outcome)
        return
      }
      await this.#queue.finishTransaction(destination, txn.txnId)
    }
  }

  /** Undefined when `close` aborted the send: nothing is recorded, it is resent later. */
  async #send(
    destination: ServerName,
    txn: OutboundTransaction,
  ): Promise<TransactionOutcome | undefined> {
    const body: JsonObject = {
      origin: this.#serverName,
      origin_server_ts: txn.originServerTs,
      pdus: txn.pdus,
      ...(txn.edus.length > 0 ? { edus: txn.edus } : {}),
    }
    const path = `/_matrix/federation/v1/send/${encodeURIComponent(txn.txnId)}`
    const controller = new AbortController()
    this.#inFlight.add(controller)
    let outcome: TransactionOutcome
    try {
      outcome = transactionOutcome(
        await this.#requester.request(destination, 'PUT', path, body, {
          timeoutMs: this.#requestTimeoutMs,
          signal: controller.signal,
        }),
      )
    } finally {
      this.#inFlight.delete(controller)
    }
    if (controller.signal.aborted) return undefined
    const context = {
      destination,
      txnId: txn.txnId,
      pdus: txn.pdus.length,
      edus: txn.edus.length,
    }
    switch (outcome.kind) {
      case 'delivered':
        this.#logger.debug(context, 'federation: transaction delivered')
        for (const failure of outcome.pduFailures) {
          this.#logger.info(
            { destination, txnId: txn.txnId, eventId: failure.eventId, error: failure.error },
            'federation: the destination did not accept a PDU',
          )
        }
        break
      case 'rejected':
        this.#logger.warn(
          { ...context, status: outcome.status, error: outcome.message },
          'federation: transaction refused by the destination; dropped',
        )
        break
      case 'retry':
        this.#logger.info(
          { ...context, error: outcome.message },
          'federation: transaction not delivered; will retry',
        )
        break
    }
    return outcome
  }

  async #backOff(
    destination: ServerName,
    previousMs: number,
    outcome: Extract<TransactionOutcome, { kind: 'retry' }>,
  ): Promise<void> {
    // A wait the destination asks for is honoured up to the cap, so that it cannot silence
    // itself for longer than a failure would.
    const interval = outcome.longest
      ? this.#retry.maxMs
      : Math.min(
          this.#retry.maxMs,
          Math.max(nextRetryInterval(previousMs, this.#retry), outcome.retryAfterMs ?? 0),
        )
    const now = this.#now()
    await this.#queue.recordFailure(destination, { retryLastTs: now, retryInterval: interval })
    this.#sweep.wakeAt(now + interval)
  }

  async #trimForCatchUp(destination: ServerName, status: DestinationStatus): Promise<void> {
    const policy = this.#catchUp
    const tooMany =
      status.queuedPdus > policy.maxQueuedPdus || status.queuedEdus > policy.maxQueuedEdus
    const tooOld =
      !status.catchingUp &&
      status.oldestPduTs !== undefined &&
      this.#now() - status.oldestPduTs > policy.maxQueueAgeMs
    if (!tooMany && !tooOld) return
    const trim = await this.#queue.startCatchUp(destination, policy.maxQueuedEdus)
    this.#logger.warn(
      { destination, droppedPdus: trim.droppedPdus, droppedEdus: trim.droppedEdus },
      'federation: destination is catching up; only the latest PDU per room is kept',
    )
  }
}

function hasQueued(status: DestinationStatus): boolean {
  return status.queuedPdus + status.queuedEdus > 0
}

/** The sender, for the composition root. */
export function createFederationSender(options: FederationSenderOptions): FederationSender {
  return new FederationSender(options)
}

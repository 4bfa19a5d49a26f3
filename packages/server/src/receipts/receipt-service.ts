/**
 * Receipts and read markers (client-server-api §Receipts, §Fully read markers): a member of a
 * room marks an event of it as read, publicly (`m.read`), privately (`m.read.private`), or moves
 * their fully read marker (`m.fully_read`, room account data). Read receipts may name a thread
 * (`main` or a thread root), and then must be for an event of that thread.
 */
import {
  err,
  MAIN_THREAD,
  ok,
  type EventId,
  type Result,
  type RoomId,
  type UserId,
} from '@rhizome/core'
import { forbidden, notFound, serverError, type ServerError } from '../http/errors.js'
import { ThreadResolver } from '../push/thread-resolver.js'
import type { Storage, StoredEvent } from '../storage/interface.js'
import type { NewReceipt, ReceiptType } from '../storage/receipt-store.js'

export type ReceiptOrMarker = ReceiptType | 'm.fully_read'
export const RECEIPT_TYPES: readonly ReceiptOrMarker[] = [
  'm.read',
  'm.read.private',
  'm.fully_read',
]
export const FULLY_READ = 'm.fully_read'

export interface ReadMarkers {
  readonly fullyRead?: EventId
  readonly read?: EventId
  readonly readPrivate?: EventId
}

/** Where public receipts go to reach other servers; absent when federation is off. */
export interface ReceiptFederation {
  /** A new `m.read` receipt of a user of this server, already stored. */
  send(receipt: NewReceipt): void
}

export class ReceiptService {
  readonly #storage: Storage
  readonly #now: () => number
  readonly #threads: ThreadResolver
  readonly #federation: ReceiptFederation | undefined

  constructor(storage: Storage, now: () => number, federation?: ReceiptFederation) {
    this.#storage = storage
    this.#now = now
    this.#threads = new ThreadResolver(storage.events)
    this.#federation = federation
  }

  /** `POST /rooms/{roomId}/receipt/{receiptType}/{eventId}`. */
  async send(
    userId: UserId,
    roomId: RoomId,
    type: ReceiptOrMarker,
    eventId: EventId,
    threadId: string | undefined,
  ): Promise<Result<void, ServerError>> {
    if (type === FULLY_READ && threadId !== undefined) {
      return err(serverError('M_INVALID_PARAM', 'thread_id is not allowed for m.fully_read'))
    }
    const member = await this.#checkMember(userId, roomId)
    if (!member.ok) return member
    const event = await this.#roomEvent(roomId, eventId)
    if (!event.ok) return event
    if (threadId !== undefined) {
      const related = await this.#checkThread(event.value, threadId)
      if (!related.ok) return related
    }
    await this.#write(userId, roomId, type, event.value, threadId)
    return ok(undefined)
  }

  /** `POST /rooms/{roomId}/read_markers`: every event is checked before anything is written. */
  async setMarkers(
    userId: UserId,
    roomId: RoomId,
    markers: ReadMarkers,
  ): Promise<Result<void, ServerError>> {
    const member = await this.#checkMember(userId, roomId)
    if (!member.ok) return member
    const planned: [ReceiptOrMarker, EventId | undefined][] = [
      [FULLY_READ, markers.fullyRead],
      ['m.read', markers.read],
      ['m.read.private', markers.readPrivate],
    ]
    const writes: [ReceiptOrMarker, StoredEvent][] = []
    for (const [type, eventId] of planned) {
      if (eventId === undefined) continue
      const event = await this.#roomEvent(roomId, eventId)
      if (!event.ok) return event
      writes.push([type, event.value])
    }
    for (const [type, event] of writes) await this.#write(userId, roomId, type, event, undefined)
    return ok(undefined)
  }

  async #write(
    userId: UserId,
    roomId: RoomId,
    type: ReceiptOrMarker,
    event: StoredEvent,
    threadId: string | undefined,
  ): Promise<void> {
    if (type === FULLY_READ) {
      await this.#storage.accountData.set(userId, roomId, FULLY_READ, {
        event_id: event.pdu.eventId,
      })
      return
    }
    const receipt: NewReceipt = {
      roomId,
      userId,
      receiptType: type,
      threadId,
      eventId: event.pdu.eventId,
      eventPosition: event.streamPosition ?? 0,
      ts: this.#now(),
    }
    const { position } = await this.#storage.receipts.put(receipt)
    // Private receipts never leave the server; one that moved nothing is no news.
    if (type === 'm.read' && position !== undefined) this.#federation?.send(receipt)
  }

  async #checkMember(userId: UserId, roomId: RoomId): Promise<Result<void, ServerError>> {
    const membership = await this.#storage.rooms.getMembership(roomId, userId)
    return membership?.membership === 'join'
      ? ok(undefined)
      : err(forbidden('You are not joined to this room'))
  }

  /** A timeline event of the room (not an outlier, not rejected). */
  async #roomEvent(roomId: RoomId, eventId: EventId): Promise<Result<StoredEvent, ServerError>> {
    const event = await this.#storage.events.getEvent(eventId)
    if (
      event === undefined ||
      event.pdu.roomId !== roomId ||
      event.streamPosition === undefined ||
      event.rejectionReason !== undefined
    ) {
      return err(notFound(`Event ${eventId} not found in ${roomId}`))
    }
    return ok(event)
  }

  /** `main` takes events of the main timeline; a root's ID, the root and its thread's events. */
  async #checkThread(event: StoredEvent, threadId: string): Promise<Result<void, ServerError>> {
    const thread = await this.#threads.threadOf(event.pdu)
    if (thread === threadId) return ok(undefined)
    if (threadId !== MAIN_THREAD && event.pdu.eventId === threadId) return ok(undefined)
    return err(
      serverError(
        'M_INVALID_PARAM',
        `Event ${event.pdu.eventId} is not in thread ${threadId} (it is in ${thread})`,
      ),
    )
  }
}

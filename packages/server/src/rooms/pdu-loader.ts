import type { EventId, Pdu } from '@rhizome/core'
import type { EventStore } from '../storage/interface.js'

/** How many events the loader keeps by default: the auth events of busy rooms fit many times. */
export const DEFAULT_PDU_CACHE_SIZE = 20_000

/**
 * Loads events by ID as PDUs, keeping the most recently used in memory. A PDU never changes once
 * stored (a redaction is recorded beside the event, not in it), so a cached one is valid for ever
 * and in every process. Building an event needs its auth events (create, power levels, the
 * sender's membership, ...), the same few for every message in a room: this keeps them off the
 * database.
 */
export class PduLoader {
  readonly #events: EventStore
  readonly #capacity: number
  readonly #cache = new Map<EventId, Pdu>()

  constructor(events: EventStore, capacity = DEFAULT_PDU_CACHE_SIZE) {
    this.#events = events
    this.#capacity = capacity
  }

  /** The stored events among `ids`; unknown IDs are left out of the map. */
  async load(ids: Iterable<EventId>): Promise<Map<EventId, Pdu>> {
    const found = new Map<EventId, Pdu>()
    const missing = new Set<EventId>()
    for (const id of ids) {
      if (found.has(id)) continue
      const cached = this.#cache.get(id)
      if (cached === undefined) {
        missing.add(id)
        continue
      }
      // Re-inserting marks it as the most recently used (a Map iterates in insertion order).
      this.#cache.delete(id)
      this.#cache.set(id, cached)
      found.set(id, cached)
    }
    if (missing.size > 0) {
      const stored = await this.#events.getEvents([...missing])
      for (const [id, event] of stored) {
        found.set(id, event.pdu)
        this.remember(event.pdu)
      }
    }
    return found
  }

  async loadOne(id: EventId): Promise<Pdu | undefined> {
    return (await this.load([id])).get(id)
  }

  /** Adds an event that was just built and stored, so that later events find it here. */
  remember(pdu: Pdu): void {
    this.#cache.delete(pdu.eventId)
    this.#cache.set(pdu.eventId, pdu)
    if (this.#cache.size > this.#capacity) {
      const oldest = this.#cache.keys().next()
      if (oldest.done !== true) this.#cache.delete(oldest.value)
    }
  }

  get size(): number {
    return this.#cache.size
  }
}

import type { KeyValueStore } from './session'
import type { TextContent } from './markdown'

/** A message waiting to be sent; its transaction ID stays the same across every attempt. */
export interface OutboxEntry {
  readonly txnId: string
  readonly roomId: string
  readonly content: TextContent
  readonly queuedAt: number
}

/** Where entries survive a reload. */
export interface OutboxStorage {
  load(): OutboxEntry[]
  save(entries: readonly OutboxEntry[]): void
}

/**
 * Delivers one entry. Reusing `txnId` is what makes a retry safe: the homeserver answers a
 * repeated transaction with the original event instead of sending it twice.
 */
export type OutboxTransport = (entry: OutboxEntry) => Promise<void>

/** Says whether a failure is worth retrying later (the server is unreachable or busy). */
export type RetryPolicy = (error: unknown) => boolean

export interface OutboxOptions {
  readonly storage: OutboxStorage
  readonly transport: OutboxTransport
  readonly isRetryable: RetryPolicy
  readonly newTxnId?: () => string
  readonly now?: () => number
  /** Told about an entry dropped because the server refused it for good. */
  readonly onRejected?: (entry: OutboxEntry, error: unknown) => void
  /** Told whenever the queue changes, so views can show what is pending. */
  readonly onChange?: (entries: readonly OutboxEntry[]) => void
}

function randomTxnId(): string {
  return `rhz-${crypto.randomUUID()}`
}

/**
 * Keeps messages in the order they were typed and sends them one at a time, so a message never
 * overtakes an earlier one that is still waiting for the homeserver to come back.
 */
export class Outbox {
  #entries: OutboxEntry[]
  #flushing: Promise<void> | undefined
  readonly #options: OutboxOptions

  constructor(options: OutboxOptions) {
    this.#options = options
    this.#entries = options.storage.load()
  }

  get entries(): readonly OutboxEntry[] {
    return this.#entries
  }

  /** Queues a message and persists it before any attempt to send it. */
  enqueue(roomId: string, content: TextContent): OutboxEntry {
    const entry: OutboxEntry = {
      txnId: (this.#options.newTxnId ?? randomTxnId)(),
      roomId,
      content,
      queuedAt: (this.#options.now ?? Date.now)(),
    }
    this.#replace([...this.#entries, entry])
    return entry
  }

  /**
   * Sends queued entries in order until the queue is empty or one fails with a retryable error.
   * Calls made while a flush is running join it rather than sending anything twice.
   */
  flush(): Promise<void> {
    this.#flushing ??= this.#drain().finally(() => {
      this.#flushing = undefined
    })
    return this.#flushing
  }

  async #drain(): Promise<void> {
    for (;;) {
      const head = this.#entries[0]
      if (head === undefined) return
      try {
        await this.#options.transport(head)
      } catch (error) {
        if (this.#options.isRetryable(error)) return
        this.#remove(head.txnId)
        this.#options.onRejected?.(head, error)
        continue
      }
      this.#remove(head.txnId)
    }
  }

  #remove(txnId: string): void {
    this.#replace(this.#entries.filter((entry) => entry.txnId !== txnId))
  }

  #replace(entries: OutboxEntry[]): void {
    this.#entries = entries
    this.#options.storage.save(entries)
    this.#options.onChange?.(entries)
  }
}

/**
 * Where a user's outbox is kept. Transaction IDs only deduplicate within one device's session,
 * so the outbox is dropped on sign-out rather than replayed by a later device.
 */
export function outboxKey(userId: string): string {
  return `rhizome.outbox.${userId}`
}

/** Persists the outbox under one key of a Web Storage-like store. */
export function keyValueOutboxStorage(store: KeyValueStore, key: string): OutboxStorage {
  return {
    load() {
      const raw = store.getItem(key)
      if (raw === null) return []
      try {
        const parsed: unknown = JSON.parse(raw)
        return Array.isArray(parsed) ? parsed.filter(isOutboxEntry) : []
      } catch {
        return []
      }
    },
    save(entries) {
      if (entries.length === 0) store.removeItem(key)
      else store.setItem(key, JSON.stringify(entries))
    },
  }
}

function isOutboxEntry(value: unknown): value is OutboxEntry {
  if (typeof value !== 'object' || value === null) return false
  const { txnId, roomId, content, queuedAt } = value as Record<string, unknown>
  return (
    typeof txnId === 'string' &&
    typeof roomId === 'string' &&
    typeof queuedAt === 'number' &&
    typeof content === 'object' &&
    content !== null &&
    typeof (content as Record<string, unknown>)['body'] === 'string'
  )
}

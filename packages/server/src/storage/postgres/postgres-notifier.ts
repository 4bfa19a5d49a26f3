import pg from 'pg'
import type { Logger } from '../../logging/logger.js'
import { StreamEmitter } from '../engine/stream-emitter.js'
import type { StreamListener, StreamNotifier } from '../interface.js'
import { decodeNotification } from './notification-payload.js'
import { NOTIFY_CHANNEL } from './postgres-engine-ops.js'

const FIRST_RETRY_MS = 50
const MAX_RETRY_MS = 5000

/**
 * Hears every process's commits through LISTEN on a connection of its own. When that connection
 * fails it reconnects (with backoff) and then emits a catch-up notification at the current
 * position, since notifications sent while it was away are lost: waiters re-check the stream.
 */
export class PostgresNotifier implements StreamNotifier {
  readonly #config: pg.ClientConfig
  readonly #currentPosition: () => Promise<number>
  readonly #logger: Logger | undefined
  readonly #emitter: StreamEmitter
  #client: pg.Client | undefined
  #closed = false
  #reconnecting: Promise<void> | undefined
  #wake: (() => void) | undefined

  constructor(
    config: pg.ClientConfig,
    currentPosition: () => Promise<number>,
    logger: Logger | undefined,
  ) {
    this.#config = config
    this.#currentPosition = currentPosition
    this.#logger = logger
    this.#emitter = new StreamEmitter((error) => {
      logger?.error({ err: error }, 'a stream listener failed')
    })
  }

  /** Connects and listens; rejects if the first connection fails (the database is unreachable). */
  async start(): Promise<void> {
    await this.#connect()
  }

  subscribe(listener: StreamListener): () => void {
    return this.#emitter.subscribe(listener)
  }

  /** True while the listening connection is up (for health checks and tests). */
  get connected(): boolean {
    return this.#client !== undefined
  }

  async close(): Promise<void> {
    this.#closed = true
    const client = this.#client
    this.#client = undefined
    this.#wake?.()
    await this.#reconnecting
    await client?.end().catch(() => undefined)
  }

  async #connect(): Promise<void> {
    const client = new pg.Client(this.#config)
    client.on('error', (error) => {
      this.#lost(client, error)
    })
    client.on('end', () => {
      this.#lost(client, undefined)
    })
    client.on('notification', (message) => {
      if (message.channel !== NOTIFY_CHANNEL) return
      this.#emitter.emit(decodeNotification(message.payload, 0))
    })
    try {
      await client.connect()
      await client.query(`LISTEN ${NOTIFY_CHANNEL}`)
    } catch (error) {
      await client.end().catch(() => undefined)
      throw error
    }
    if (this.#closed) {
      await client.end().catch(() => undefined)
      return
    }
    this.#client = client
  }

  #lost(client: pg.Client, error: Error | undefined): void {
    if (this.#closed || client !== this.#client) return
    this.#client = undefined
    this.#logger?.warn({ err: error }, 'lost the stream notification connection; reconnecting')
    client.end().catch(() => undefined)
    this.#reconnecting = this.#reconnect()
  }

  async #reconnect(): Promise<void> {
    let delay = FIRST_RETRY_MS
    while (!this.#closed) {
      try {
        await this.#connect()
      } catch (error) {
        this.#logger?.warn({ err: error }, `reconnecting the stream listener in ${delay} ms`)
        await this.#sleep(delay)
        delay = Math.min(delay * 2, MAX_RETRY_MS)
        continue
      }
      // #connect() does not keep a connection made after close().
      if (this.#client === undefined) return
      this.#logger?.info('stream notification connection restored')
      // The position is a hint; what matters is that every waiter looks again.
      const position = await this.#currentPosition().catch(() => 0)
      this.#emitter.emit({ position, roomIds: [], userIds: [], catchUp: true })
      return
    }
  }

  /** A pause that close() cuts short. */
  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer)
        this.#wake = undefined
        resolve()
      }
      const timer = setTimeout(done, ms)
      this.#wake = done
    })
  }
}

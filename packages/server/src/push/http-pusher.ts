/**
 * The HTTP pusher (client-server-api §Push Notifications, push-gateway-api): the push
 * processor's hook that posts each notification to the push gateway of each of the user's
 * `http` pushers.
 *
 * The processor calls the hook only in the process that claimed the batch, so a notification is
 * posted once however many worker processes share the database. Sending never holds up the
 * processor: each pusher has its own bounded in-memory queue, sent in order, with failed posts
 * retried with exponential backoff. A queue that overflows drops its oldest notification, and a
 * process that stops loses what it had queued: pushes are a best-effort nudge, and clients catch
 * up by syncing.
 */
import type { PushAction, RoomId, UserId } from '@rhizome/core'
import type { Logger } from '../logging/logger.js'
import type { Storage, StoredEvent } from '../storage/interface.js'
import type { PusherRecord } from '../storage/pusher-store.js'
import { gatewayNotification } from './gateway-notification.js'
import type { PushedNotification, PusherHook } from './pusher-hook.js'

export interface HttpPusherOptions {
  readonly storage: Pick<Storage, 'pushers' | 'push' | 'rooms'>
  readonly logger?: Logger
  readonly fetch?: typeof fetch
  /** How often the set of users with pushers is re-read (pushers set in any process). */
  readonly refreshIntervalMs?: number
  /** How long one post to a gateway may take. */
  readonly timeoutMs?: number
  /** Notifications waiting per pusher before the oldest is dropped. */
  readonly maxQueued?: number
  /** Posts of one notification before it is given up. */
  readonly maxAttempts?: number
  /** The first retry's delay; each later one doubles, up to `maxBackoffMs`. */
  readonly backoffMs?: number
  readonly maxBackoffMs?: number
}

interface Outgoing {
  readonly body: string
  attempts: number
}

interface PusherQueue {
  pusher: PusherRecord
  readonly items: Outgoing[]
  running: boolean
}

type SendOutcome = 'sent' | 'rejected' | 'retry' | 'give-up'

export class HttpPusher implements PusherHook {
  readonly #storage: HttpPusherOptions['storage']
  readonly #logger: Logger | undefined
  readonly #fetch: typeof fetch
  readonly #refreshIntervalMs: number
  readonly #timeoutMs: number
  readonly #maxQueued: number
  readonly #maxAttempts: number
  readonly #backoffMs: number
  readonly #maxBackoffMs: number
  #users = new Set<UserId>()
  readonly #queues = new Map<string, PusherQueue>()
  readonly #idleWaiters: (() => void)[] = []
  readonly #sleepers = new Set<() => void>()
  readonly #inFlight = new Set<AbortController>()
  #timer: NodeJS.Timeout | undefined
  #refreshing: Promise<void> = Promise.resolve()
  #closed = false

  constructor(options: HttpPusherOptions) {
    this.#storage = options.storage
    this.#logger = options.logger
    this.#fetch = options.fetch ?? fetch
    this.#refreshIntervalMs = options.refreshIntervalMs ?? 2_000
    this.#timeoutMs = options.timeoutMs ?? 10_000
    this.#maxQueued = options.maxQueued ?? 100
    this.#maxAttempts = options.maxAttempts ?? 6
    this.#backoffMs = options.backoffMs ?? 1_000
    this.#maxBackoffMs = options.maxBackoffMs ?? 60_000
  }

  /** Reads who has pushers now and every refresh interval. */
  start(): void {
    const refresh = (): void => {
      if (this.#closed) return
      this.#refreshing = this.refresh().catch((error: unknown) => {
        this.#logger?.warn({ err: error }, 'could not read the users with pushers')
      })
    }
    refresh()
    this.#timer = setInterval(refresh, this.#refreshIntervalMs)
    this.#timer.unref()
  }

  async refresh(): Promise<void> {
    this.#users = new Set(await this.#storage.pushers.usersWithPushers('http'))
  }

  /** Notes a pusher just set in this process, so its user is pushed to before the next read. */
  pusherSet(userId: UserId): void {
    this.#users.add(userId)
  }

  wants(userId: UserId): boolean {
    return this.#users.has(userId)
  }

  async notify(notifications: readonly PushedNotification[]): Promise<void> {
    const byUser = new Map<UserId, PushedNotification[]>()
    for (const n of notifications) {
      const list = byUser.get(n.userId)
      if (list === undefined) byUser.set(n.userId, [n])
      else list.push(n)
    }
    const rooms = new RoomDetails(this.#storage)
    for (const [userId, list] of byUser) {
      const pushers = (await this.#storage.pushers.list(userId)).filter((p) => p.kind === 'http')
      if (pushers.length === 0) continue
      const elsewhere = await this.#unreadElsewhere(userId, list)
      for (const n of list) {
        const details = {
          senderDisplayName: await rooms.displayName(n.roomId, n.event.pdu.sender),
          roomName: await rooms.name(n.roomId),
          unread: n.counts.notifications + (elsewhere.get(n.roomId) ?? 0),
        }
        for (const pusher of pushers) {
          this.#enqueue(pusher, n.userId, n.event, n.actions, details)
        }
      }
    }
  }

  /** Resolves when every queue is empty and nothing is being sent (for tests). */
  idle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve()
    return new Promise((resolve) => this.#idleWaiters.push(resolve))
  }

  async close(): Promise<void> {
    this.#closed = true
    if (this.#timer !== undefined) clearInterval(this.#timer)
    for (const controller of this.#inFlight) controller.abort()
    for (const wake of this.#sleepers) wake()
    this.#queues.clear()
    this.#wakeIdle()
    await this.#refreshing
  }

  /**
   * For each room of the batch: the user's unread notifications in their other joined rooms,
   * as of the batch's last event (the room's own count comes with each notification).
   */
  async #unreadElsewhere(
    userId: UserId,
    list: readonly PushedNotification[],
  ): Promise<ReadonlyMap<RoomId, number>> {
    const upTo = Math.max(...list.map((n) => n.event.streamPosition ?? 0))
    const joined = await this.#storage.rooms.roomsForUser(userId, ['join'])
    const counts = await this.#storage.push.unreadCounts(
      userId,
      joined.map((m) => m.roomId),
      upTo,
    )
    let total = 0
    const perRoom = new Map<RoomId, number>()
    for (const [roomId, threads] of counts) {
      let sum = 0
      for (const count of threads.values()) sum += count.notifications
      perRoom.set(roomId, sum)
      total += sum
    }
    const out = new Map<RoomId, number>()
    for (const n of list) out.set(n.roomId, total - (perRoom.get(n.roomId) ?? 0))
    return out
  }

  #enqueue(
    pusher: PusherRecord,
    userId: UserId,
    event: StoredEvent,
    actions: readonly PushAction[],
    details: Parameters<typeof gatewayNotification>[4],
  ): void {
    if (this.#closed) return
    const key = JSON.stringify([pusher.userId, pusher.appId, pusher.pushkey])
    let queue = this.#queues.get(key)
    if (queue === undefined) {
      queue = { pusher, items: [], running: false }
      this.#queues.set(key, queue)
    }
    queue.pusher = pusher
    if (queue.items.length >= this.#maxQueued) {
      queue.items.shift()
      this.#logger?.warn(
        { userId, appId: pusher.appId },
        'push gateway queue full: dropped the oldest notification',
      )
    }
    const body = JSON.stringify(gatewayNotification(userId, event, actions, pusher, details))
    queue.items.push({ body, attempts: 0 })
    if (!queue.running) {
      queue.running = true
      void this.#drain(key, queue)
    }
  }

  async #drain(key: string, queue: PusherQueue): Promise<void> {
    try {
      for (;;) {
        const item = queue.items[0]
        if (item === undefined || this.#closed) break
        item.attempts += 1
        const outcome = await this.#send(queue.pusher, item.body)
        if (outcome === 'retry' && item.attempts < this.#maxAttempts) {
          const delay = Math.min(this.#backoffMs * 2 ** (item.attempts - 1), this.#maxBackoffMs)
          await this.#sleep(delay)
          continue
        }
        if (outcome === 'retry') {
          this.#logger?.warn(
            { appId: queue.pusher.appId, attempts: item.attempts },
            'push gateway kept failing: gave up a notification',
          )
        }
        queue.items.shift()
        if (outcome === 'rejected') {
          queue.items.length = 0
          break
        }
      }
    } catch (error) {
      // Nothing above should throw, but this promise is not awaited: a rejection would end the
      // process.
      queue.items.length = 0
      this.#logger?.error({ err: error, appId: queue.pusher.appId }, 'a pusher queue failed')
    } finally {
      queue.running = false
      if (queue.items.length === 0 && this.#queues.get(key) === queue) this.#queues.delete(key)
      this.#wakeIdle()
    }
  }

  async #send(pusher: PusherRecord, body: string): Promise<SendOutcome> {
    const url = pusher.data['url']
    if (typeof url !== 'string') return 'give-up'
    const controller = new AbortController()
    this.#inFlight.add(controller)
    const timeout = setTimeout(() => {
      controller.abort()
    }, this.#timeoutMs)
    try {
      const response = await this.#fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: controller.signal,
        redirect: 'error',
      })
      const text = await response.text()
      if (response.status === 429 || response.status >= 500) {
        this.#logger?.warn({ status: response.status, appId: pusher.appId }, 'push gateway failed')
        return 'retry'
      }
      if (!response.ok) {
        this.#logger?.warn(
          { status: response.status, appId: pusher.appId },
          'push gateway refused a notification',
        )
        return 'give-up'
      }
      if (rejectedKeys(text).includes(pusher.pushkey)) {
        // The gateway says the pushkey is no longer valid (the app was uninstalled, say).
        await this.#storage.pushers.delete(pusher.userId, pusher.appId, pusher.pushkey)
        this.#logger?.info({ appId: pusher.appId }, 'push gateway rejected a pushkey: deleted')
        return 'rejected'
      }
      return 'sent'
    } catch (error) {
      if (this.#closed) return 'give-up'
      this.#logger?.warn({ err: error, appId: pusher.appId }, 'could not reach a push gateway')
      return 'retry'
    } finally {
      clearTimeout(timeout)
      this.#inFlight.delete(controller)
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer)
        this.#sleepers.delete(wake)
        resolve()
      }
      const timer = setTimeout(wake, ms)
      this.#sleepers.add(wake)
    })
  }

  #isIdle(): boolean {
    for (const queue of this.#queues.values()) if (queue.running) return false
    return true
  }

  #wakeIdle(): void {
    if (!this.#isIdle()) return
    for (const resolve of this.#idleWaiters.splice(0)) resolve()
  }
}

function rejectedKeys(text: string): readonly string[] {
  try {
    const parsed: unknown = JSON.parse(text)
    if (typeof parsed !== 'object' || parsed === null) return []
    const rejected = (parsed as { rejected?: unknown }).rejected
    return Array.isArray(rejected) ? rejected.filter((k): k is string => typeof k === 'string') : []
  } catch {
    return []
  }
}

/** Room names and member display names, read once per batch. */
class RoomDetails {
  readonly #storage: Pick<Storage, 'rooms'>
  readonly #cache = new Map<string, Promise<string | undefined>>()

  constructor(storage: Pick<Storage, 'rooms'>) {
    this.#storage = storage
  }

  name(roomId: RoomId): Promise<string | undefined> {
    return this.#read(roomId, 'm.room.name', '', 'name')
  }

  displayName(roomId: RoomId, userId: UserId): Promise<string | undefined> {
    return this.#read(roomId, 'm.room.member', userId, 'displayname')
  }

  #read(
    roomId: RoomId,
    type: string,
    stateKey: string,
    field: string,
  ): Promise<string | undefined> {
    const key = JSON.stringify([roomId, type, stateKey])
    let found = this.#cache.get(key)
    if (found === undefined) {
      found = this.#storage.rooms.getCurrentStateEvent(roomId, type, stateKey).then((event) => {
        const value = event?.pdu.content[field]
        return typeof value === 'string' && value !== '' ? value : undefined
      })
      this.#cache.set(key, found)
    }
    return found
  }
}

import type { RoomId, UserId } from '@rhizome/core'
import type { StreamNotification, StreamNotifier } from '../storage/interface.js'

/** What one waiting `/sync` cares about: the user's own news and their joined rooms' events. */
export interface SyncInterest {
  readonly userId: UserId
  readonly roomIds: Iterable<RoomId>
}

export type WaitOutcome = 'news' | 'timeout' | 'closed'

/** How many recent notifications are kept for waiters that start late (see waitForNews). */
export const DEFAULT_RECENT_NOTIFICATIONS = 4096

interface Waiter {
  readonly userId: UserId
  readonly roomIds: readonly RoomId[]
  readonly after: number
  readonly finish: (outcome: WaitOutcome) => void
}

/**
 * Wakes long-polling `/sync` requests when something they care about commits.
 *
 * One subscription to storage's notifier serves every waiter in this process. Waiters are indexed
 * by room and by user, so a notification wakes only those it concerns (all of them for a
 * catch-up), and an idle waiter costs nothing but its index entries and a timer: no queries.
 *
 * Lost wake-ups: a request reads the stream position P, builds its (empty) response up to P and
 * only then waits for news after P. A write that commits in between must still wake it. The
 * subscription starts when this object is made, before any request reads a position, and the
 * last notifications are kept in a ring: waitForNews first looks there for anything after P, and
 * registers the waiter in the same synchronous step, so nothing can slip between the two. If the
 * ring has already dropped notifications after P, it answers 'news' (the caller rebuilds, which
 * is merely a little work for nothing).
 */
export class SyncWakeups {
  readonly #byRoom = new Map<RoomId, Set<Waiter>>()
  readonly #byUser = new Map<UserId, Set<Waiter>>()
  readonly #recent: (StreamNotification | undefined)[]
  #next = 0
  /** The highest position among notifications pushed out of the ring. */
  #droppedUpTo = -1
  readonly #unsubscribe: () => void
  #closed = false

  constructor(notifier: StreamNotifier, recentCapacity = DEFAULT_RECENT_NOTIFICATIONS) {
    if (!Number.isInteger(recentCapacity) || recentCapacity < 1) {
      throw new Error(`recentCapacity must be a positive integer, not ${recentCapacity}`)
    }
    this.#recent = new Array<StreamNotification | undefined>(recentCapacity).fill(undefined)
    this.#unsubscribe = notifier.subscribe((notification) => {
      this.#onNotification(notification)
    })
  }

  /** Waiters currently registered (for tests and metrics). */
  get waiting(): number {
    return this.#allWaiters().size
  }

  /**
   * Resolves 'news' as soon as a notification after position `after` concerns `interest` (at
   * once if one has arrived already), 'timeout' after `timeoutMs`, or 'closed' when this object
   * closes. `signal` ends the wait early as a timeout (the client went away).
   */
  waitForNews(
    interest: SyncInterest,
    after: number,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<WaitOutcome> {
    if (this.#closed) return Promise.resolve('closed')
    const roomIds = [...new Set(interest.roomIds)]
    if (this.#seenSince(interest.userId, new Set(roomIds), after)) return Promise.resolve('news')
    if (timeoutMs <= 0 || signal?.aborted === true) return Promise.resolve('timeout')
    return new Promise<WaitOutcome>((resolve) => {
      let settled = false
      const onAbort = (): void => {
        finish('timeout')
      }
      const finish = (outcome: WaitOutcome): void => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
        this.#remove(waiter)
        resolve(outcome)
      }
      const waiter: Waiter = { userId: interest.userId, roomIds, after, finish }
      const timer = setTimeout(() => {
        finish('timeout')
      }, timeoutMs)
      signal?.addEventListener('abort', onAbort, { once: true })
      this.#add(waiter)
    })
  }

  /** Stops listening and releases every waiter with 'closed' (for shutdown). */
  close(): void {
    if (this.#closed) return
    this.#closed = true
    this.#unsubscribe()
    for (const waiter of this.#allWaiters()) waiter.finish('closed')
  }

  #onNotification(notification: StreamNotification): void {
    const evicted = this.#recent[this.#next]
    if (evicted !== undefined) this.#droppedUpTo = Math.max(this.#droppedUpTo, evicted.position)
    this.#recent[this.#next] = notification
    this.#next = (this.#next + 1) % this.#recent.length

    if (notification.catchUp) {
      for (const waiter of this.#allWaiters()) waiter.finish('news')
      return
    }
    const woken = new Set<Waiter>()
    for (const roomId of notification.roomIds) {
      const waiters = this.#byRoom.get(roomId)
      if (waiters !== undefined) for (const w of waiters) woken.add(w)
    }
    for (const userId of notification.userIds) {
      const waiters = this.#byUser.get(userId)
      if (waiters !== undefined) for (const w of waiters) woken.add(w)
    }
    for (const waiter of woken) {
      if (notification.position > waiter.after) waiter.finish('news')
    }
  }

  #seenSince(userId: UserId, roomIds: ReadonlySet<RoomId>, after: number): boolean {
    if (this.#droppedUpTo > after) return true
    for (const n of this.#recent) {
      if (n === undefined || n.position <= after) continue
      if (n.catchUp || n.userIds.includes(userId)) return true
      if (n.roomIds.some((roomId) => roomIds.has(roomId))) return true
    }
    return false
  }

  #add(waiter: Waiter): void {
    addTo(this.#byUser, waiter.userId, waiter)
    for (const roomId of waiter.roomIds) addTo(this.#byRoom, roomId, waiter)
  }

  #remove(waiter: Waiter): void {
    removeFrom(this.#byUser, waiter.userId, waiter)
    for (const roomId of waiter.roomIds) removeFrom(this.#byRoom, roomId, waiter)
  }

  /** Every waiter is indexed under its user. */
  #allWaiters(): Set<Waiter> {
    const all = new Set<Waiter>()
    for (const set of this.#byUser.values()) for (const w of set) all.add(w)
    return all
  }
}

function addTo<K>(index: Map<K, Set<Waiter>>, key: K, waiter: Waiter): void {
  let set = index.get(key)
  if (set === undefined) {
    set = new Set()
    index.set(key, set)
  }
  set.add(waiter)
}

function removeFrom<K>(index: Map<K, Set<Waiter>>, key: K, waiter: Waiter): void {
  const set = index.get(key)
  if (set === undefined) return
  set.delete(waiter)
  if (set.size === 0) index.delete(key)
}

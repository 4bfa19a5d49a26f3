import { err, ok, type Result, type RoomId, type UserId } from '@rhizome/core'
import type { Requester } from '../http/authenticate.js'
import { forbidden, type ServerError } from '../http/errors.js'
import type { Logger } from '../logging/logger.js'
import type { RoomStore } from '../storage/interface.js'
import type { TypingStore } from '../storage/typing-store.js'
import { SweepTimer } from '../timers/sweep-timer.js'

/** A start without a timeout lasts this long (clients resend every 20-30 s while typing). */
export const DEFAULT_TYPING_TIMEOUT_MS = 30_000
/** The longest a notice may last, whatever the client asks: a crashed client stops showing soon. */
export const MAX_TYPING_TIMEOUT_MS = 120_000
/**
 * How often each process looks for expired notices besides the timers of the notices it set
 * itself: a notice set by a process that has since died still ends within this much of its time.
 */
export const TYPING_SWEEP_INTERVAL_MS = 5_000
/**
 * How long a notice from another server lasts without a refresh or a stop: the sender stops it
 * explicitly, and this bounds it when the stop is lost (server-server-api §Typing Notifications).
 */
export const REMOTE_TYPING_TIMEOUT_MS = 30_000

/** Where this server's users' typing changes go to reach other servers. */
export interface TypingFederation {
  isLocal(userId: UserId): boolean
  /** The user started, is still, or stopped typing in the room. */
  send(roomId: RoomId, userId: UserId, typing: boolean): void
}

export interface TypingServiceDeps {
  readonly storage: {
    readonly typing: TypingStore
    readonly rooms: Pick<RoomStore, 'getMembership'>
  }
  readonly now: () => number
  readonly logger?: Logger
  /** Told when a user starts typing: activity, for presence. */
  readonly onActivity?: (userId: UserId) => void
  /** Absent when federation is off. */
  readonly federation?: TypingFederation
  readonly sweepIntervalMs?: number
}

export interface TypingRequest {
  readonly typing: boolean
  /** Milliseconds; undefined for the default. */
  readonly timeoutMs: number | undefined
}

/**
 * `PUT /rooms/{roomId}/typing/{userId}` behind the route: who may type where, how long a notice
 * lasts, and the timer that announces expiries. The notices themselves, and the wake-ups, are
 * storage's (typing-store.ts explains why they are in the database).
 */
export class TypingService {
  readonly #deps: TypingServiceDeps
  readonly #sweeper: SweepTimer

  constructor(deps: TypingServiceDeps) {
    this.#deps = deps
    this.#sweeper = new SweepTimer({
      intervalMs: deps.sweepIntervalMs ?? TYPING_SWEEP_INTERVAL_MS,
      now: deps.now,
      run: async () => {
        const ended = await deps.storage.typing.expire(deps.now())
        const { federation } = deps
        if (federation !== undefined) {
          // Other servers would time these out themselves, but later than this user asked.
          for (const { roomId, userId } of ended) {
            if (federation.isLocal(userId)) federation.send(roomId, userId, false)
          }
        }
        return deps.storage.typing.nextExpiry()
      },
      onError: (error) => {
        deps.logger?.warn({ err: error }, 'the typing expiry sweep failed; retrying')
      },
    })
  }

  /** Starts the periodic sweep (the composition root calls it once). */
  start(): void {
    this.#sweeper.start()
  }

  close(): Promise<void> {
    return this.#sweeper.close()
  }

  async setTyping(
    requester: Requester,
    userId: UserId,
    roomId: RoomId,
    request: TypingRequest,
  ): Promise<Result<void, ServerError>> {
    if (requester.userId !== userId) {
      return err(forbidden('You may only set your own typing notices'))
    }
    const { storage, now } = this.#deps
    const membership = await storage.rooms.getMembership(roomId, userId)
    if (membership?.membership !== 'join') {
      return err(forbidden('You are not joined to this room'))
    }
    const at = now()
    const { federation } = this.#deps
    if (!request.typing) {
      const position = await storage.typing.setTyping(roomId, userId, undefined, at)
      if (position !== undefined) federation?.send(roomId, userId, false)
      return ok(undefined)
    }
    const timeout = Math.min(request.timeoutMs ?? DEFAULT_TYPING_TIMEOUT_MS, MAX_TYPING_TIMEOUT_MS)
    const expiresTs = at + timeout
    await storage.typing.setTyping(roomId, userId, expiresTs, at)
    this.#sweeper.wakeAt(expiresTs)
    this.#deps.onActivity?.(userId)
    // A refresh goes out too: it keeps the notice alive on servers that time it out sooner.
    federation?.send(roomId, userId, true)
    return ok(undefined)
  }

  /**
   * A notice of another server's user (already checked to be joined): a start lasts
   * REMOTE_TYPING_TIMEOUT_MS unless refreshed or stopped.
   */
  async setRemoteTyping(roomId: RoomId, userId: UserId, typing: boolean): Promise<void> {
    const at = this.#deps.now()
    if (!typing) {
      await this.#deps.storage.typing.setTyping(roomId, userId, undefined, at)
      return
    }
    const expiresTs = at + REMOTE_TYPING_TIMEOUT_MS
    await this.#deps.storage.typing.setTyping(roomId, userId, expiresTs, at)
    this.#sweeper.wakeAt(expiresTs)
  }
}

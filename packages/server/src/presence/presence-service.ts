import { err, ok, userIdServerName, type Result, type ServerName, type UserId } from '@rhizome/core'
import type { Requester } from '../http/authenticate.js'
import { forbidden, type ServerError } from '../http/errors.js'
import type { Logger } from '../logging/logger.js'
import type {
  PresenceRecord,
  PresenceState,
  PresenceStore,
  PresenceTouch,
  PresenceUpdate,
} from '../storage/presence-store.js'
import { SweepTimer } from '../timers/sweep-timer.js'

/**
 * The timings, as Synapse's (documented in README.md): an online user with no activity for 5
 * minutes becomes unavailable; a user none of whose clients has synced for 30 seconds (counted
 * from the end of the last sync) becomes offline.
 */
export const IDLE_TIMEOUT_MS = 5 * 60_000
export const SYNC_OFFLINE_TIMEOUT_MS = 30_000
/**
 * How often each process records which of its users are syncing and applies the timeouts. Well
 * under the offline timeout, so a user in a long-poll is never taken for gone.
 */
export const PRESENCE_SWEEP_INTERVAL_MS = 5_000
/** Activity is written at most this often per user and process (a message every second is not). */
export const ACTIVITY_GRANULARITY_MS = 60_000
/**
 * Other servers' users: their server sends every change, and again every so often while it
 * lasts (as Synapse: 25 minutes); a user of whom nothing came for 30 minutes is taken offline
 * (their server may be down).
 */
export const REMOTE_PRESENCE_TIMEOUT_MS = 30 * 60_000
export const PRESENCE_RESEND_INTERVAL_MS = 25 * 60_000
/** The per-process memory of recent activity writes is bounded. */
const MAX_ACTIVITY_ENTRIES = 10_000

/** `set_presence` of `/sync`. */
export type SetPresence = PresenceState

/** The body of `GET /presence/{userId}/status`, and the content of an `m.presence` event. */
export interface PresenceContent {
  readonly presence: PresenceState
  readonly last_active_ago?: number
  readonly currently_active?: boolean
  readonly status_msg?: string
}

export interface PresenceEvent {
  readonly type: 'm.presence'
  readonly sender: UserId
  readonly content: PresenceContent
}

export interface PresenceServiceDeps {
  readonly storage: { readonly presence: PresenceStore }
  readonly now: () => number
  readonly logger?: Logger
  /** Tests shorten the timings. */
  readonly timings?: Partial<PresenceTimings>
  /** Absent when federation is off. */
  readonly federation?: PresenceFederation
}

/** Where this server's users' presence goes to reach other servers. */
export interface PresenceFederation {
  readonly serverName: ServerName
  /** The presence of a user of this server changed (or is resent): the record as it is now. */
  send(record: PresenceRecord): void
}

export interface PresenceTimings {
  readonly idleTimeoutMs: number
  readonly offlineTimeoutMs: number
  readonly sweepIntervalMs: number
  readonly activityGranularityMs: number
  readonly remoteTimeoutMs: number
  readonly resendIntervalMs: number
}

/** What clients and other servers are shown of a presence record at `now`. */
export function presenceContent(record: PresenceRecord, now: number): PresenceContent {
  return {
    presence: record.state,
    last_active_ago: Math.max(0, now - record.lastActiveTs),
    ...(record.state === 'online' ? { currently_active: true } : {}),
    ...(record.statusMsg === undefined ? {} : { status_msg: record.statusMsg }),
  }
}

/**
 * Presence (client-server-api §Presence) when it is enabled: what users set, what syncing and
 * activity imply, the timeouts, and the `m.presence` content. Records live in the database
 * (presence-store.ts), so every worker process sees and serves the same presence.
 *
 * Syncing is tracked per process: each process remembers which users it is serving a sync for
 * and records it in the database every sweep (no stream position, nobody is told), so the
 * offline timeout, applied by whichever process sweeps first, sees syncs running anywhere.
 *
 * `currently_active` is true for every online user: online users that stop being active turn
 * unavailable after the idle timeout, which is the update that ends it (§Last active ago). So
 * activity of an online user is written silently, and only a change of state is announced.
 */
export class PresenceService {
  readonly #deps: PresenceServiceDeps
  readonly #timings: PresenceTimings
  readonly #sweeper: SweepTimer
  /** Users with a sync running in this process, and how many. */
  readonly #syncing = new Map<UserId, number>()
  /** Users whose last sync here ended, and when: recorded at the next sweep. */
  readonly #ended = new Map<UserId, number>()
  /** When this process last wrote each user's activity. */
  readonly #lastActivity = new Map<UserId, number>()
  /** When this process last sent the presence of each user syncing here to other servers. */
  readonly #lastSent = new Map<UserId, number>()

  constructor(deps: PresenceServiceDeps) {
    this.#deps = deps
    this.#timings = {
      idleTimeoutMs: IDLE_TIMEOUT_MS,
      offlineTimeoutMs: SYNC_OFFLINE_TIMEOUT_MS,
      sweepIntervalMs: PRESENCE_SWEEP_INTERVAL_MS,
      activityGranularityMs: ACTIVITY_GRANULARITY_MS,
      remoteTimeoutMs: REMOTE_PRESENCE_TIMEOUT_MS,
      resendIntervalMs: PRESENCE_RESEND_INTERVAL_MS,
      ...deps.timings,
    }
    this.#sweeper = new SweepTimer({
      intervalMs: this.#timings.sweepIntervalMs,
      now: deps.now,
      run: async () => {
        await this.sweep()
        return undefined
      },
      onError: (error) => {
        deps.logger?.warn({ err: error }, 'the presence sweep failed; retrying')
      },
    })
  }

  start(): void {
    this.#sweeper.start()
  }

  close(): Promise<void> {
    return this.#sweeper.close()
  }

  /** `PUT /presence/{userId}/status`: the state and message, and activity now. */
  async setStatus(
    requester: Requester,
    userId: UserId,
    state: PresenceState,
    statusMsg: string | undefined,
  ): Promise<Result<void, ServerError>> {
    if (requester.userId !== userId) {
      return err(forbidden('You may only set your own presence'))
    }
    const now = this.#deps.now()
    // A new state replaces the old message: a PUT without one clears it (as Synapse).
    await this.#set(
      userId,
      { state, statusMsg: statusMsg ?? null, lastActiveTs: now, lastSyncTs: now },
      now,
    )
    this.#lastActivity.delete(userId)
    return ok(undefined)
  }

  /** `GET /presence/{userId}/status`: yours, or that of someone who shares a room with you. */
  async getStatus(
    requester: Requester,
    userId: UserId,
  ): Promise<Result<PresenceContent, ServerError>> {
    const { presence } = this.#deps.storage
    if (requester.userId !== userId && !(await presence.shareARoom(requester.userId, userId))) {
      return err(forbidden('You do not share a room with this user'))
    }
    const record = await presence.get(userId)
    return ok(
      record === undefined ? { presence: 'offline' } : this.content(record, this.#deps.now()),
    )
  }

  /**
   * A `/sync` of the user begins. With `online` (the default) an offline user comes online; with
   * `unavailable` the user is marked idle; `offline` leaves presence alone and does not count as
   * syncing. An explicit unavailable (set, or reached by the idle timeout) is not undone by
   * syncing alone, only by activity. Returns the function to call when the sync ends.
   */
  async syncStarted(userId: UserId, setPresence: SetPresence): Promise<() => void> {
    if (setPresence === 'offline') return () => undefined
    this.#syncing.set(userId, (this.#syncing.get(userId) ?? 0) + 1)
    this.#ended.delete(userId)
    const release = (): void => {
      const count = (this.#syncing.get(userId) ?? 1) - 1
      if (count > 0) {
        this.#syncing.set(userId, count)
        return
      }
      this.#syncing.delete(userId)
      this.#ended.set(userId, this.#deps.now())
    }
    try {
      const { presence } = this.#deps.storage
      const now = this.#deps.now()
      const record = await presence.get(userId)
      const current = record?.state ?? 'offline'
      if (setPresence === 'online' && current === 'offline') {
        await this.#set(userId, { state: 'online', lastActiveTs: now, lastSyncTs: now }, now)
      } else if (setPresence === 'unavailable' && current !== 'unavailable') {
        await this.#set(userId, { state: 'unavailable', lastSyncTs: now }, now)
      } else if (record !== undefined && now - record.lastSyncTs > this.#timings.sweepIntervalMs) {
        // Between two syncs the record aged; a sweep must not find it stale before ours runs.
        await presence.touchSyncing([[userId, now]])
      }
    } catch (error) {
      release()
      throw error
    }
    return release
  }

  /**
   * The user did something (sent a message, started typing): an unavailable user comes back
   * online; an online one has the time recorded, at most once a minute from this process.
   * Failures are logged: activity must never fail the request that showed it.
   */
  userActive(userId: UserId): void {
    this.recordActivity(userId).catch((error: unknown) => {
      this.#deps.logger?.warn({ err: error }, 'could not record presence activity')
    })
  }

  /** userActive, for callers that wait for it. */
  async recordActivity(userId: UserId): Promise<void> {
    const now = this.#deps.now()
    const last = this.#lastActivity.get(userId)
    if (last !== undefined && now - last < this.#timings.activityGranularityMs) return
    if (this.#lastActivity.size >= MAX_ACTIVITY_ENTRIES) this.#lastActivity.clear()
    this.#lastActivity.set(userId, now)
    const { presence } = this.#deps.storage
    const record = await presence.get(userId)
    if (record?.state === 'unavailable') {
      await this.#set(userId, { state: 'online', lastActiveTs: now }, now)
    } else if (record?.state === 'online') {
      await presence.touchActive([[userId, now]])
    }
  }

  /** What `/sync` shows the viewer: see PresenceStore.changesFor. */
  async events(viewer: UserId, since: number | undefined, upTo: number): Promise<PresenceEvent[]> {
    const records = await this.#deps.storage.presence.changesFor(viewer, since, upTo)
    const now = this.#deps.now()
    return records.map((record) => ({
      type: 'm.presence',
      sender: record.userId,
      content: this.content(record, now),
    }))
  }

  content(record: PresenceRecord, now: number): PresenceContent {
    return presenceContent(record, now)
  }

  /**
   * One sweep (the timer runs it every interval): records the users syncing here, then applies
   * the timeouts to everyone.
   */
  async sweep(): Promise<void> {
    const now = this.#deps.now()
    const touches: PresenceTouch[] = [...this.#syncing.keys()].map((userId) => [userId, now])
    const ended = [...this.#ended]
    touches.push(...ended)
    const { presence } = this.#deps.storage
    await presence.touchSyncing(touches)
    // Kept until written, so a failed sweep loses nothing; a newer end stays for the next one.
    for (const [userId, at] of ended) if (this.#ended.get(userId) === at) this.#ended.delete(userId)
    const { federation } = this.#deps
    const changed = await presence.applyTimeouts(
      now - this.#timings.idleTimeoutMs,
      now - this.#timings.offlineTimeoutMs,
      federation === undefined
        ? undefined
        : {
            serverName: federation.serverName,
            updatedBefore: now - this.#timings.remoteTimeoutMs,
          },
    )
    if (federation === undefined) return
    const local = changed.filter((userId) => userIdServerName(userId) === federation.serverName)
    await this.#sendCurrent(federation, local, now)
    await this.#resend(federation, now)
  }

  /**
   * A presence change users see, told to other servers when the user is of this server (the
   * service only ever sets its own users' presence; other servers' come in through storage).
   */
  async #set(userId: UserId, update: PresenceUpdate, now: number): Promise<void> {
    const record = await this.#deps.storage.presence.set(userId, update, now)
    const { federation } = this.#deps
    if (federation === undefined) return
    this.#lastSent.set(userId, now)
    federation.send(record)
  }

  async #sendCurrent(
    federation: PresenceFederation,
    users: readonly UserId[],
    now: number,
  ): Promise<void> {
    for (const userId of users) {
      const record = await this.#deps.storage.presence.get(userId)
      if (record === undefined) continue
      this.#lastSent.set(userId, now)
      federation.send(record)
    }
  }

  /**
   * Presence that lasts is sent again before other servers time it out. Only users syncing here
   * can hold a state for long (the others go offline, which is sent); each process resends for
   * its own. A user first seen here is given a random place in the interval, so that the users
   * a process took up at once (at its start) are not all resent in the same sweep.
   */
  async #resend(federation: PresenceFederation, now: number): Promise<void> {
    const due: UserId[] = []
    for (const userId of this.#lastSent.keys()) {
      if (!this.#syncing.has(userId)) this.#lastSent.delete(userId)
    }
    for (const userId of this.#syncing.keys()) {
      const last = this.#lastSent.get(userId)
      if (last === undefined) {
        this.#lastSent.set(userId, now - Math.floor(Math.random() * this.#timings.resendIntervalMs))
      } else if (now - last >= this.#timings.resendIntervalMs) due.push(userId)
    }
    await this.#sendCurrent(federation, due, now)
  }
}

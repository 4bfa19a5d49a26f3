import { err, ok, type Result, type RoomId, type UserId } from '@rhizome/core'
import { serverError, type ServerError } from '../http/errors.js'
import type { SetPresence } from '../presence/presence-service.js'
import { roomListed } from './filter/event-match.js'
import { DEFAULT_SYNC_FILTER, parseSyncFilter, type SyncFilter } from './filter/sync-filter.js'
import { buildSync, type SyncBuilderDeps } from './sync-builder.js'
import type { SyncResponse } from './sync-response.js'
import { formatSyncToken } from './sync-token.js'
import type { SyncWakeups } from './sync-wakeups.js'

/** The longest a `/sync` waits for news, whatever its `timeout` asks. */
export const MAX_SYNC_TIMEOUT_MS = 5 * 60_000
/** Parsed stored filters kept per process (filters never change once stored). */
export const FILTER_CACHE_SIZE = 10_000

/** The `filter` parameter: nothing, a stored filter's ID, or a filter given inline. */
export type FilterChoice =
  | { readonly kind: 'none' }
  | { readonly kind: 'stored'; readonly filterId: string }
  | { readonly kind: 'inline'; readonly filter: SyncFilter }

export interface SyncRequest {
  readonly userId: UserId
  readonly deviceId: string | undefined
  readonly since: number | undefined
  readonly filter: FilterChoice
  readonly fullState: boolean
  /** Milliseconds to wait for news when there is none yet (capped at MAX_SYNC_TIMEOUT_MS). */
  readonly timeoutMs: number
  readonly useStateAfter: boolean
  /** `set_presence`: what syncing says about the user's presence (default online). */
  readonly setPresence?: SetPresence
  /** Ends the wait early, as a timeout would (the client went away, the server is closing). */
  readonly signal?: AbortSignal
}

export interface SyncServiceDeps extends SyncBuilderDeps {
  readonly wakeups: SyncWakeups
  /** A clock for deadlines; monotonic by default. */
  readonly clock?: () => number
}

/**
 * `/sync` end to end: resolves the filter, reads the stream position, builds the response, and
 * when it is empty and the client is willing to wait, long-polls.
 *
 * Waiting costs no queries: the request registers with SyncWakeups for its user and joined rooms
 * and sleeps until a notification concerns them. Then it reads the position again and builds
 * the range it has not checked yet; if that is still empty for this client (a filter or history
 * visibility hid the news), it waits again. At the deadline it answers with an empty response
 * whose next_batch is the position it checked up to, so nothing is skipped.
 */
export class SyncService {
  readonly #deps: SyncServiceDeps
  readonly #clock: () => number
  readonly #filters = new Map<string, SyncFilter>()

  constructor(deps: SyncServiceDeps) {
    this.#deps = deps
    this.#clock = deps.clock ?? (() => performance.now())
  }

  async sync(request: SyncRequest): Promise<Result<SyncResponse, ServerError>> {
    // While a sync runs, the user counts as connected (presence-service.ts).
    const { presence } = this.#deps
    if (presence === undefined) return this.#sync(request)
    const release = await presence.syncStarted(request.userId, request.setPresence ?? 'online')
    try {
      return await this.#sync(request)
    } finally {
      release()
    }
  }

  async #sync(request: SyncRequest): Promise<Result<SyncResponse, ServerError>> {
    const { storage, wakeups } = this.#deps
    const filter = await this.#resolveFilter(request.userId, request.filter)
    if (!filter.ok) return filter
    const deadline = this.#clock() + Math.min(Math.max(0, request.timeoutMs), MAX_SYNC_TIMEOUT_MS)
    let position = await storage.streams.currentPosition()
    const { since } = request
    if (since !== undefined && since > position) {
      return err(
        serverError('M_INVALID_PARAM', 'since is ahead of this server: not a token from it'),
      )
    }
    // A sync from `since` tells that the client has everything up to it: the device's
    // to-device messages up to there are delivered, and go (client-server-api §Send-to-Device).
    if (since !== undefined && request.deviceId !== undefined) {
      await storage.toDevice.acknowledge(request.userId, request.deviceId, since)
    }
    const build = (from: number | undefined, upTo: number): ReturnType<typeof buildSync> =>
      buildSync(this.#deps, {
        userId: request.userId,
        deviceId: request.deviceId,
        since: from,
        upTo,
        filter: filter.value,
        fullState: request.fullState,
        useStateAfter: request.useStateAfter,
      })
    // An initial sync and a full-state sync always answer at once (the spec's full_state rule).
    if (since === undefined || request.fullState) {
      return ok((await build(since, position)).response)
    }
    // Everything a sync reports moves the one stream: at the same position, nothing happened.
    if (request.timeoutMs <= 0) {
      return ok(since === position ? emptyResponse(since) : (await build(since, position)).response)
    }

    let checked = since
    let joined: readonly RoomId[] | undefined
    for (;;) {
      if (position > checked) {
        const built = await build(since, position)
        if (!built.empty) return ok(built.response)
        joined = built.joinedRoomIds
        checked = position
      } else if (joined === undefined) {
        const rooms = await storage.rooms.roomsForUser(request.userId, ['join'])
        joined = rooms.map((r) => r.roomId).filter((id) => roomListed(filter.value.room, id))
      }
      const remaining = deadline - this.#clock()
      if (remaining <= 0) break
      const outcome = await wakeups.waitForNews(
        { userId: request.userId, roomIds: joined },
        checked,
        remaining,
        request.signal,
      )
      if (outcome !== 'news') break
      position = await storage.streams.currentPosition()
    }
    return ok(emptyResponse(checked))
  }

  async #resolveFilter(
    userId: UserId,
    choice: FilterChoice,
  ): Promise<Result<SyncFilter, ServerError>> {
    if (choice.kind === 'none') return ok(DEFAULT_SYNC_FILTER)
    if (choice.kind === 'inline') return ok(choice.filter)
    const key = `${userId}\u0000${choice.filterId}`
    const cached = this.#filters.get(key)
    if (cached !== undefined) return ok(cached)
    const stored = await this.#deps.storage.filters.get(userId, choice.filterId)
    if (stored === undefined) {
      return err(
        serverError('M_INVALID_PARAM', `filter ${choice.filterId} is not one of your filters`),
      )
    }
    // A stored filter was checked when it was uploaded; one that no longer parses (a stricter
    // server version) is reported rather than half applied.
    const parsed = parseSyncFilter(stored)
    if (!parsed.ok) return parsed
    if (this.#filters.size >= FILTER_CACHE_SIZE) {
      const oldest = this.#filters.keys().next()
      if (oldest.done !== true) this.#filters.delete(oldest.value)
    }
    this.#filters.set(key, parsed.value)
    return ok(parsed.value)
  }
}

/** A response with nothing in it: the answer to a long-poll that timed out. */
export function emptyResponse(position: number): SyncResponse {
  return {
    next_batch: formatSyncToken(position),
    rooms: { join: {}, invite: {}, knock: {}, leave: {} },
    account_data: { events: [] },
  }
}

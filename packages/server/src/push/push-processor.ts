/**
 * Push rule evaluation off the send path (client-server-api §Push Notifications, Server
 * behaviour). Sends commit and answer without evaluating anything; this processor follows the
 * stream after them: it reads committed events in stream order, evaluates each for the room's
 * joined local members (the sender excepted, the invitee of an invite included), and stores the
 * actions that notify with the position it reached, in one transaction (PushStore.processBatch).
 *
 * - Several processes: the position is a database row that one worker at a time claims; the
 *   others find it busy and try again shortly (nothing is lost, nothing done twice).
 * - Cost: each batch reads its events, one row per room to validate the cached members and power
 *   levels, and the rulesets of members it has not seen; it never reads a room's history.
 * - Wake-ups: a commit after a quiet spell is evaluated at once; batches start at most one per
 *   `coalesceMs`, so a burst of sends is a few batches (transactions) instead of one each.
 * - `/sync` never waits for it: it reports the counts stored when it runs. A batch that changes
 *   users' counts takes a stream position and wakes those users (PushStore.processBatch), and
 *   their next sync carries the rooms concerned with their new counts.
 */
import {
  defaultPushRules,
  evaluatePushRules,
  isJsonObject,
  pushActionEffects,
  PushEventView,
  type JsonObject,
  type JsonValue,
  type PushActionEffects,
  type PushRuleMatch,
  type PushRuleset,
  type ServerName,
  type UserId,
} from '@rhizome/core'
import type { Logger } from '../logging/logger.js'
import type { Storage, StoredEvent, StreamNotification } from '../storage/interface.js'
import type {
  BatchOutcome,
  NewPushAction,
  NewRoomPushAction,
  PushBatch,
  ReadPositionUpdate,
  StoredPushAction,
} from '../storage/push-store.js'
import type { PushedNotification, PusherHook } from './pusher-hook.js'
import { RoomPushContexts, type RoomPushContext } from './room-push-context.js'
import { RulesetCache } from './ruleset-cache.js'
import { ThreadResolver } from './thread-resolver.js'

export interface PushProcessorOptions {
  readonly storage: Storage
  readonly serverName: ServerName
  readonly now: () => number
  readonly logger?: Logger
  /**
   * The least time between the starts of two batches: a commit after a quiet spell is evaluated
   * at once, those that follow within this time wait for its end and go together.
   */
  readonly coalesceMs?: number
  /** Events read per batch. */
  readonly batchEvents?: number
  /** A batch stops taking events once it has evaluated this many (event, member) pairs. */
  readonly batchEvaluations?: number
  readonly pusher?: PusherHook
}

/**
 * The counts of a new event reach clients with the batch after it (sync does not wait), so a
 * lone event is evaluated at once, and its count usually lands while its recipients' syncs are
 * still answering the event, not later as a second wake-up. Under load, batches start at most
 * every 20 ms: a burst (a busy room, a bridge) is a few dozen transactions a second at most,
 * not one per event, and a count lags its event by 20 ms at worst plus the batch.
 */
export const DEFAULT_COALESCE_MS = 20
export const DEFAULT_BATCH_EVENTS = 200
export const DEFAULT_BATCH_EVALUATIONS = 10_000
/** How soon a worker that found the position claimed tries again. */
const BUSY_RETRY_MS = 50

export class PushProcessor {
  readonly #storage: Storage
  readonly #serverName: ServerName
  readonly #now: () => number
  readonly #logger: Logger | undefined
  readonly #coalesceMs: number
  readonly #batchEvents: number
  readonly #batchEvaluations: number
  readonly #pusher: PusherHook | undefined
  readonly #rooms: RoomPushContexts
  readonly #rulesets: RulesetCache
  readonly #threads: ThreadResolver

  #unsubscribe: (() => void) | undefined
  #timer: NodeJS.Timeout | undefined
  #timerDue = Infinity
  #running: Promise<void> | undefined
  /** The pause before another run, when one was asked for during this one. */
  #again = Infinity
  /** When the last batch started (performance.now()). */
  #lastBatch = -Infinity
  #closed = false

  constructor(options: PushProcessorOptions) {
    this.#storage = options.storage
    this.#serverName = options.serverName
    this.#now = options.now
    this.#logger = options.logger
    this.#coalesceMs = options.coalesceMs ?? DEFAULT_COALESCE_MS
    this.#batchEvents = options.batchEvents ?? DEFAULT_BATCH_EVENTS
    this.#batchEvaluations = options.batchEvaluations ?? DEFAULT_BATCH_EVALUATIONS
    this.#pusher = options.pusher
    this.#rooms = new RoomPushContexts(options.storage)
    this.#rulesets = new RulesetCache(options.storage.push)
    this.#threads = new ThreadResolver(options.storage.events)
  }

  /** Follows the stream from now on, and catches up with what was committed before. */
  start(): void {
    if (this.#unsubscribe !== undefined || this.#closed) return
    this.#unsubscribe = this.#storage.streams.notifier.subscribe((n) => {
      this.#onNotification(n)
    })
    this.#schedule(0)
  }

  /** Stops following the stream and waits for a batch in progress. */
  async close(): Promise<void> {
    this.#closed = true
    this.#unsubscribe?.()
    this.#unsubscribe = undefined
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
    await this.#running
  }

  /**
   * Runs batches until nothing is left to do (for tests and tools), waiting while another worker
   * (or this processor's own schedule) holds the position.
   */
  async drain(): Promise<void> {
    for (;;) {
      const outcome = await this.runBatch()
      if (outcome === 'idle') return
      if (outcome === 'busy') await new Promise((resolve) => setTimeout(resolve, BUSY_RETRY_MS))
    }
  }

  /** One batch: evaluates the next events after the stored position. */
  async runBatch(): Promise<BatchOutcome> {
    this.#lastBatch = performance.now()
    const evaluated: { batch?: EvaluatedBatch } = {}
    const outcome = await this.#storage.push.processBatch(async (position) => {
      const batch = await this.#evaluate(position)
      if (batch !== undefined) evaluated.batch = batch
      return batch?.batch
    })
    // processBatch resolves after the commit: only now may anyone hear of the batch.
    if (outcome === 'processed' && evaluated.batch !== undefined) {
      await this.#deliver(evaluated.batch)
    }
    return outcome
  }

  #onNotification(notification: StreamNotification): void {
    if (notification.catchUp || notification.roomIds.length > 0) this.#schedule(this.#pause())
  }

  /** How long a new commit waits: until `coalesceMs` after the last batch started. */
  #pause(): number {
    return Math.max(0, this.#lastBatch + this.#coalesceMs - performance.now())
  }

  #schedule(delayMs: number): void {
    if (this.#closed) return
    if (this.#running !== undefined) {
      // Run again after this run: at once if asked (start, a retry), else after the pause.
      this.#again = Math.min(this.#again, delayMs)
      return
    }
    const due = performance.now() + delayMs
    if (this.#timer !== undefined) {
      if (due >= this.#timerDue) return
      clearTimeout(this.#timer)
    }
    this.#timerDue = due
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      this.#timerDue = Infinity
      this.#running = this.#loop().finally(() => {
        this.#running = undefined
        const again = this.#again
        this.#again = Infinity
        if (again !== Infinity) this.#schedule(again === 0 ? 0 : this.#pause())
      })
    }, delayMs)
  }

  async #loop(): Promise<void> {
    for (;;) {
      if (this.#closed) return
      let outcome: BatchOutcome
      try {
        outcome = await this.runBatch()
      } catch (error) {
        this.#logger?.error({ err: error }, 'push processing failed; retrying')
        this.#retryLater()
        return
      }
      if (outcome === 'busy') this.#retryLater()
      if (outcome !== 'processed') return
      // Let requests in between batches: a batch's commit holds the event loop (SQLite).
      await new Promise((resolve) => setImmediate(resolve))
    }
  }

  #retryLater(): void {
    setTimeout(() => {
      this.#schedule(0)
    }, BUSY_RETRY_MS).unref()
  }

  /** The batch after `position`, or undefined when no event follows it. */
  async #evaluate(position: number): Promise<EvaluatedBatch | undefined> {
    const storage = this.#storage
    const upTo = await storage.streams.currentPosition()
    const events =
      upTo > position ? await storage.push.eventsAfter(position, upTo, this.#batchEvents) : []
    if (events.length === 0) {
      // Only receipts, account data and the like since: nothing to evaluate, nothing to write.
      return undefined
    }
    await this.#rulesets.refresh(upTo)
    const actions: NewPushAction[] = []
    const roomActions: NewRoomPushAction[] = []
    const reads: ReadPositionUpdate[] = []
    const notified: Notified[] = []
    const roomNotified: RoomNotified[] = []
    let reached = position
    let evaluations = 0
    let complete = events.length < this.#batchEvents
    for (const event of events) {
      const at = event.streamPosition
      if (at === undefined) continue
      if (evaluations >= this.#batchEvaluations) {
        complete = false
        break
      }
      const outcome = await this.#evaluateEvent(event, at)
      evaluations += outcome.evaluated
      for (const action of outcome.actions) {
        actions.push(action)
        if (action.notify) notified.push({ action, event })
      }
      if (outcome.roomAction !== undefined) {
        roomActions.push(outcome.roomAction)
        roomNotified.push({ action: outcome.roomAction, users: outcome.sharing, event })
      }
      reads.push(...outcome.reads)
      reached = at
    }
    if (complete) reached = upTo
    return { batch: { position: reached, actions, roomActions, reads }, notified, roomNotified }
  }

  async #evaluateEvent(event: StoredEvent, at: number): Promise<EventOutcome> {
    const { pdu } = event
    const roomId = pdu.roomId
    const threadId = await this.#threads.threadOf(pdu)
    const reads: ReadPositionUpdate[] = []
    if (this.#isLocal(pdu.sender)) {
      reads.push({ userId: pdu.sender, roomId, threadId, position: at })
      // A member who joins has nothing unread from before: room actions of earlier events, in
      // any thread, are not theirs.
      if (pdu.type === 'm.room.member' && pdu.stateKey === pdu.sender) {
        if (pdu.content['membership'] === 'join') {
          reads.push({ userId: pdu.sender, roomId, threadId: '', position: at })
        }
      }
    }
    const none: EventOutcome = {
      actions: [],
      roomAction: undefined,
      sharing: [],
      reads,
      evaluated: 0,
    }
    const room = await this.#rooms.forRoom(roomId)
    if (room === undefined) return none
    const recipients = this.#recipients(room, event)
    if (recipients.length === 0) return none
    const rulesets = await this.#rulesets.load(recipients)
    const byName = recipients.filter((userId) => namesDisplayName(rulesets.get(userId)))
    if (byName.length > 0) await this.#rooms.loadDisplayNames(room, byName)

    const view = new PushEventView(eventJson(event))
    const roomContext = {
      memberCount: room.memberCount,
      senderPowerLevel: room.powerLevel(pdu.sender),
      notificationPowerLevel: (key: string) => room.notificationPowerLevel(key),
    }
    const ts = this.#now()
    // Users on the default rules whom the event does not name all get the same outcome:
    // evaluated once for a stand-in, not once per member (a room may have thousands), and
    // stored once for the room when it notifies.
    const named = namedUsers(pdu)
    const sharing: UserId[] = []
    const own: { userId: UserId; match: PushRuleMatch | undefined }[] = []
    for (const userId of recipients) {
      if (this.#rulesets.ignores(userId, pdu.sender)) {
        // What an ignored user sends never notifies nor counts (client-server-api §Ignoring Users).
        own.push({ userId, match: undefined })
      } else if (this.#rulesets.isDefault(userId) && !named.has(userId.toLowerCase())) {
        sharing.push(userId)
      } else {
        const ruleset = rulesets.get(userId)
        own.push({
          userId,
          match:
            ruleset === undefined
              ? undefined
              : evaluatePushRules(ruleset, view, roomContext, {
                  userId,
                  displayName: room.displayName(userId),
                }),
        })
      }
    }
    const shared =
      sharing.length === 0
        ? undefined
        : evaluatePushRules(defaultPushRules(STAND_IN), view, roomContext, {
            userId: STAND_IN,
            displayName: undefined,
          })
    const sharedEffects = shared === undefined ? undefined : effectsOf(shared)
    const roomAction: NewRoomPushAction | undefined =
      shared !== undefined && sharedEffects?.notify === true
        ? {
            roomId,
            eventId: pdu.eventId,
            sender: pdu.sender,
            streamPosition: at,
            threadId,
            actions: shared.actions,
            highlight: sharedEffects.highlight,
            ts,
          }
        : undefined
    const actions: NewPushAction[] = []
    for (const { userId, match } of own) {
      const effects = match === undefined ? undefined : effectsOf(match)
      const notify = effects?.notify === true
      // Without a room action, only users it notifies need a row; with one, every user with an
      // outcome of their own does, to take the room action's place.
      if (!notify && roomAction === undefined) continue
      actions.push({
        userId,
        roomId,
        eventId: pdu.eventId,
        streamPosition: at,
        threadId,
        actions: notify && match !== undefined ? match.actions : [],
        highlight: effects?.highlight === true,
        ts,
        notify,
      })
    }
    return {
      actions,
      roomAction,
      sharing: roomAction === undefined ? [] : sharing,
      reads,
      evaluated: recipients.length,
    }
  }

  /** The room's joined local members but the sender, and a local user the event invites. */
  #recipients(room: RoomPushContext, event: StoredEvent): UserId[] {
    const { pdu } = event
    const out = room.members.filter((userId) => userId !== pdu.sender && this.#isLocal(userId))
    if (
      pdu.type === 'm.room.member' &&
      pdu.stateKey !== undefined &&
      pdu.content['membership'] === 'invite'
    ) {
      const invitee = pdu.stateKey as UserId
      if (invitee !== pdu.sender && this.#isLocal(invitee) && !out.includes(invitee)) {
        out.push(invitee)
      }
    }
    return out
  }

  #isLocal(userId: string): boolean {
    return userId.slice(userId.indexOf(':') + 1) === this.#serverName
  }

  /** Hands the batch's notifications to the pusher hook, for the users it wants. */
  async #deliver(evaluated: EvaluatedBatch): Promise<void> {
    const pusher = this.#pusher
    if (pusher === undefined) return
    // A room action is spread over its users here, for the pusher's users only: never per member
    // on the evaluation path.
    const wanted = [
      ...evaluated.notified.filter((n) => pusher.wants(n.action.userId)),
      ...evaluated.roomNotified.flatMap(({ action, users, event }) =>
        users
          .filter((userId) => pusher.wants(userId))
          .map((userId) => ({ action: storedFor(action, userId), event })),
      ),
    ].sort((a, b) => a.action.streamPosition - b.action.streamPosition)
    if (wanted.length === 0) return
    try {
      const out: PushedNotification[] = []
      for (const { action, event } of wanted) {
        const counts = await this.#storage.push.unreadCounts(
          action.userId,
          [action.roomId],
          action.streamPosition,
        )
        let notifications = 0
        let highlights = 0
        for (const count of counts.get(action.roomId)?.values() ?? []) {
          notifications += count.notifications
          highlights += count.highlights
        }
        out.push({
          userId: action.userId,
          roomId: action.roomId,
          event,
          actions: action.actions,
          counts: { notifications, highlights },
        })
      }
      await pusher.notify(out)
    } catch (error) {
      this.#logger?.error({ err: error }, 'the pusher hook failed')
    }
  }
}

interface Notified {
  readonly action: StoredPushAction
  readonly event: StoredEvent
}

interface EventOutcome {
  /** The users with an outcome of their own (see NewPushAction). */
  readonly actions: readonly NewPushAction[]
  readonly roomAction: NewRoomPushAction | undefined
  /** The recipients the room action notifies (none without one). */
  readonly sharing: readonly UserId[]
  readonly reads: readonly ReadPositionUpdate[]
  /** Recipients considered: what the batch's evaluation budget counts. */
  readonly evaluated: number
}

/** A room action and the recipients it notifies. */
interface RoomNotified {
  readonly action: NewRoomPushAction
  readonly users: readonly UserId[]
  readonly event: StoredEvent
}

interface EvaluatedBatch {
  readonly batch: PushBatch
  /** The users notified by an outcome of their own. */
  readonly notified: readonly Notified[]
  readonly roomNotified: readonly RoomNotified[]
}

/** The event as push rules see it: the PDU with its ID and room ID. */
function eventJson(event: StoredEvent): JsonObject {
  return { ...event.pdu.json, event_id: event.pdu.eventId, room_id: event.pdu.roomId }
}

/** A room action as a notification of one of the users it notifies. */
function storedFor(action: NewRoomPushAction, userId: UserId): StoredPushAction {
  return {
    userId,
    roomId: action.roomId,
    eventId: action.eventId,
    streamPosition: action.streamPosition,
    threadId: action.threadId,
    actions: action.actions,
    highlight: action.highlight,
    ts: action.ts,
  }
}

/** A user ID no real user has (the empty localpart is invalid). */
const STAND_IN = '@:stand-in.invalid'

/** The user IDs the default rules look for in an event: mentioned users and a member event's target. */
function namedUsers(pdu: StoredEvent['pdu']): ReadonlySet<string> {
  const named = new Set<string>()
  // Lower case: the state key is matched by a case-insensitive glob.
  if (pdu.stateKey !== undefined) named.add(pdu.stateKey.toLowerCase())
  const mentions = pdu.content['m.mentions']
  const userIds = isJsonObject(mentions) ? mentions['user_ids'] : undefined
  if (Array.isArray(userIds)) {
    for (const userId of userIds as readonly JsonValue[]) {
      if (typeof userId === 'string') named.add(userId.toLowerCase())
    }
  }
  return named
}

const displayNameRules = new WeakMap<PushRuleset, boolean>()

function namesDisplayName(ruleset: PushRuleset | undefined): boolean {
  if (ruleset === undefined) return false
  let names = displayNameRules.get(ruleset)
  if (names === undefined) {
    names = [...ruleset.override, ...ruleset.underride].some(
      (rule) =>
        rule.enabled && (rule.conditions ?? []).some((c) => c['kind'] === 'contains_display_name'),
    )
    displayNameRules.set(ruleset, names)
  }
  return names
}

/** The effects of a match's actions; the shared outcome's are worked out once. */
const effectsCache = new WeakMap<PushRuleMatch, PushActionEffects>()

function effectsOf(match: PushRuleMatch): PushActionEffects {
  let effects = effectsCache.get(match)
  if (effects === undefined) {
    effects = pushActionEffects(match.actions)
    effectsCache.set(match, effects)
  }
  return effects
}

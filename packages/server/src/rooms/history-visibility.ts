/**
 * Which events of a room a user may see: client-server-api §Room History Visibility, server
 * behaviour. The rules use the room's state at each event (the state after it, so that a user's
 * own join counts), with the two exceptions the spec gives: an `m.room.history_visibility` event
 * and the user's own member events are visible when the state before *or* after them allows it.
 * A user who forgot the room sees only what anyone may see (client-server-api §Leaving rooms).
 */
import type { EventId, Pdu, ReadonlyStateMap, RoomId, UserId } from '@rhizome/core'
import type { Storage, StoredEvent } from '../storage/interface.js'
import type { PduLoader } from './pdu-loader.js'

export type HistoryVisibility = 'world_readable' | 'shared' | 'invited' | 'joined'

const KNOWN: readonly string[] = ['world_readable', 'shared', 'invited', 'joined']
/** How far back the user's member events are followed to find their latest join. */
const MAX_MEMBERSHIP_STEPS = 100

/** The visibility an `m.room.history_visibility` content sets; `shared` when absent or unknown. */
export function historyVisibilityOf(event: Pdu | undefined): HistoryVisibility {
  const value = event?.content['history_visibility']
  return typeof value === 'string' && KNOWN.includes(value)
    ? (value as HistoryVisibility)
    : 'shared'
}

/** The `membership` of a member event; undefined when there is none (never a member). */
export function membershipOf(event: Pdu | undefined): string | undefined {
  const value = event?.content['membership']
  return typeof value === 'string' ? value : undefined
}

/** The state an event was seen in, reduced to what the rules read. */
export interface VisibilityState {
  readonly visibility: HistoryVisibility
  readonly membership: string | undefined
}

/**
 * Rules 1-5 for one state. `joinedLater` is whether the user joined the room at some point after
 * the event (rule 3).
 */
export function allowedIn(state: VisibilityState, joinedLater: boolean): boolean {
  if (state.visibility === 'world_readable') return true
  if (state.membership === 'join') return true
  if (state.visibility === 'shared' && joinedLater) return true
  return state.membership === 'invite' && state.visibility === 'invited'
}

export interface VisibilityDeps {
  readonly storage: Storage
  readonly pdus: PduLoader
}

/** One user's view of one room's history, for the events of one request. */
export class RoomHistoryView {
  readonly roomId: RoomId
  readonly userId: UserId
  readonly #deps: VisibilityDeps
  #latestJoin: Promise<number | undefined> | undefined

  constructor(deps: VisibilityDeps, roomId: RoomId, userId: UserId) {
    this.#deps = deps
    this.roomId = roomId
    this.userId = userId
  }

  /** The events the user may see, in the order given. */
  async filter(events: readonly StoredEvent[]): Promise<StoredEvent[]> {
    const [states, forgotten] = await Promise.all([
      this.#statesOf(events),
      this.#deps.storage.forgottenRooms.isForgotten(this.userId, this.roomId),
    ])
    const out: StoredEvent[] = []
    for (const event of events) {
      // Once a user forgets a room, its history is theirs no more: only what anyone may read.
      const allowed = forgotten
        ? this.#worldReadable(event, states)
        : await this.#allowed(event, states)
      if (allowed) out.push(event)
    }
    return out
  }

  #worldReadable(event: StoredEvent, states: ReadonlyMap<number, VisibilityState>): boolean {
    const group = event.stateGroupAfter
    return (
      event.rejectionReason === undefined &&
      group !== undefined &&
      states.get(group)?.visibility === 'world_readable'
    )
  }

  async canSee(event: StoredEvent): Promise<boolean> {
    return (await this.filter([event])).length === 1
  }

  async #allowed(
    event: StoredEvent,
    states: ReadonlyMap<number, VisibilityState>,
  ): Promise<boolean> {
    const position = event.streamPosition
    if (event.rejectionReason !== undefined || position === undefined) return false
    const after =
      event.stateGroupAfter === undefined ? undefined : states.get(event.stateGroupAfter)
    if (after === undefined) return false
    const joinedLater = async (): Promise<boolean> => {
      const latest = await this.latestJoinPosition()
      return latest !== undefined && latest > position
    }
    const check = async (state: VisibilityState): Promise<boolean> =>
      allowedIn(state, state.visibility === 'shared' && (await joinedLater()))
    if (await check(after)) return true
    const { pdu } = event
    const either =
      (pdu.type === 'm.room.history_visibility' && pdu.stateKey === '') ||
      (pdu.type === 'm.room.member' && pdu.stateKey === this.userId)
    if (!either || event.stateGroupBefore === undefined) return false
    const before = states.get(event.stateGroupBefore)
    return before !== undefined && check(before)
  }

  /** The visibility state of every group the events need, loaded in one batch of events. */
  async #statesOf(events: readonly StoredEvent[]): Promise<Map<number, VisibilityState>> {
    const { storage, pdus } = this.#deps
    const groups = new Set<number>()
    for (const event of events) {
      if (event.stateGroupAfter !== undefined) groups.add(event.stateGroupAfter)
      if (event.stateGroupBefore !== undefined && event.pdu.stateKey !== undefined) {
        groups.add(event.stateGroupBefore)
      }
    }
    const ids = new Map<number, { hv: EventId | undefined; member: EventId | undefined }>()
    await Promise.all(
      [...groups].map(async (group) => {
        const state = await storage.state.loadState(group)
        ids.set(group, this.#keys(state))
      }),
    )
    const wanted: EventId[] = []
    for (const { hv, member } of ids.values()) {
      if (hv !== undefined) wanted.push(hv)
      if (member !== undefined) wanted.push(member)
    }
    const loaded = await pdus.load(wanted)
    const out = new Map<number, VisibilityState>()
    for (const [group, { hv, member }] of ids) {
      out.set(group, {
        visibility: historyVisibilityOf(hv === undefined ? undefined : loaded.get(hv)),
        membership: membershipOf(member === undefined ? undefined : loaded.get(member)),
      })
    }
    return out
  }

  #keys(state: ReadonlyStateMap<EventId>): {
    hv: EventId | undefined
    member: EventId | undefined
  } {
    return {
      hv: state.get('m.room.history_visibility', ''),
      member: state.get('m.room.member', this.userId),
    }
  }

  /**
   * The stream position of the user's latest join to the room (a join event, or a profile change
   * while joined), found by following their member events back from the current one; undefined
   * when they never joined.
   */
  latestJoinPosition(): Promise<number | undefined> {
    this.#latestJoin ??= this.#findLatestJoin()
    return this.#latestJoin
  }

  async #findLatestJoin(): Promise<number | undefined> {
    const { storage } = this.#deps
    const current = await storage.rooms.getMembership(this.roomId, this.userId)
    let eventId = current?.eventId
    for (let step = 0; eventId !== undefined && step < MAX_MEMBERSHIP_STEPS; step++) {
      const event = await storage.events.getEvent(eventId)
      if (event === undefined) return undefined
      if (membershipOf(event.pdu) === 'join') return event.streamPosition
      if (event.stateGroupBefore === undefined) return undefined
      const before = await storage.state.loadState(event.stateGroupBefore)
      eventId = before.get('m.room.member', this.userId)
    }
    return undefined
  }
}

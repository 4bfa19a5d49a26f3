import type { EventId, ReadonlyStateMap, RoomId, UserId } from '@rhizome/core'
import type { ClientEvent } from '../events/client-event.js'
import type { ClientEventSerializer } from '../events/client-event-serializer.js'
import { membershipOf } from '../rooms/history-visibility.js'
import type { PduLoader } from '../rooms/pdu-loader.js'
import type {
  AccountDataRecord,
  EventFilter,
  MembershipRecord,
  RoomEventsSince,
  Storage,
  StoredEvent,
} from '../storage/interface.js'
import { projectEventFields } from './filter/event-fields.js'
import {
  eventMatches,
  roomEventMatches,
  roomListed,
  storageRoomEventFilter,
} from './filter/event-match.js'
import type { SyncFilter } from './filter/sync-filter.js'
import { addEphemeral } from './ephemeral-section.js'
import { presenceEvents, type SyncPresence } from './presence-sync.js'
import { changedEntries, stateGroupAt } from './room-state-at.js'
import { HERO_COUNT, toRoomSummary } from './room-summary.js'
import { strippedRoomState } from './stripped-state.js'
import type {
  AccountDataEvent,
  EphemeralEvent,
  InvitedRoom,
  JoinedRoom,
  KnockedRoom,
  LeftRoom,
  RoomSummary,
  SyncResponse,
} from './sync-response.js'
import { formatSyncToken } from './sync-token.js'
import { visibleEvents } from './timeline-visibility.js'
import { typingEvents } from './typing-sync.js'
import { withPushRules } from './push-rules-sync.js'
import { receiptEvents } from './receipt-sync.js'
import { addUnreadCounts, type UnreadCounter } from './unread-sync.js'
import {
  ignoredUsersFromChanges,
  loadIgnoredUsers,
  NO_IGNORED,
} from '../moderation/ignored-users.js'
import { withoutIgnored } from './ignored-ephemeral.js'
import { deviceListChanges, deviceSection } from './e2ee-sync.js'

/** The timeline length when the filter names none (Synapse's default; clients rely on it). */
export const DEFAULT_TIMELINE_LIMIT = 10
/** The longest timeline one room gets in one response, whatever the filter asks (as Synapse). */
export const MAX_TIMELINE_LIMIT = 100

export interface SyncBuilderDeps {
  readonly storage: Storage
  readonly serializer: ClientEventSerializer
  /** Shared with the room service: member and visibility events are read from its cache. */
  readonly pdus: PduLoader
  /** Presence, when enabled (presence-sync.ts). */
  readonly presence?: SyncPresence
  /** Wall-clock milliseconds, for what expires (typing notices); Date.now by default. */
  readonly now?: () => number
  /** Unread notification counts, when push processing runs (unread-sync.ts). */
  readonly unread?: UnreadCounter
}

export interface SyncParams {
  readonly userId: UserId
  readonly deviceId: string | undefined
  /** Undefined for an initial sync. */
  readonly since: number | undefined
  /** The stream position this response covers up to (inclusive): its next_batch. */
  readonly upTo: number
  readonly filter: SyncFilter
  readonly fullState: boolean
  readonly useStateAfter: boolean
}

export interface BuiltSync {
  readonly response: SyncResponse
  /** Nothing for the client: a long-poll keeps waiting. */
  readonly empty: boolean
  /** The rooms the user is joined to (and the filter lets through): what a waiter listens to. */
  readonly joinedRoomIds: readonly RoomId[]
}

/** The user's membership of one room as of `upTo`. */
interface MembershipAt {
  readonly roomId: RoomId
  readonly membership: string
  readonly eventId: EventId
  readonly streamPosition: number
  /** It became what it is after `since` (always false for an initial sync). */
  readonly changed: boolean
}

/** A room of the join or leave section while it is built. */
interface RoomBuild {
  readonly roomId: RoomId
  readonly section: 'join' | 'leave'
  /** The last position this room's part of the response covers: upTo, or the user's leave. */
  readonly end: number
  /** Full state rather than a delta: initial sync, full_state, or a room new to the client. */
  readonly fullState: boolean
  /** Timeline events as read, before history visibility (oldest first). */
  readonly fetched: readonly StoredEvent[]
  /** Whether `fetched` is every event of the range (no filter left any out). */
  readonly complete: boolean
  /** Events happened in the range; without any, an incremental room's state cannot change. */
  readonly hasNews: boolean
  /** Shown as they are, without history visibility: the user's own leave from outside. */
  readonly ownLeaveOnly: boolean
  readonly limited: boolean
  /** The state after the room's last event at or before `end`, when already known. */
  readonly endGroupKnown: number | undefined
  visible: StoredEvent[]
  stateIds: EventId[]
  summary: RoomSummary | undefined
}

/**
 * Builds one `/sync` response for the range (since, upTo]: the rooms the user joined, was invited
 * to, knocked on or left, with their timelines, state and account data, and the user's global
 * account data (client-server-api §Syncing).
 *
 * It never loads a whole room: timelines come from storage's per-room `eventsSince` with
 * `limit + 1` rows, state from cached state groups and their differences, and every other read is
 * one batch for all rooms (member events, state events, serialization). An incremental sync with
 * no news reads the memberships, the account data, typing and presence, and nothing else.
 */
export async function buildSync(deps: SyncBuilderDeps, request: SyncParams): Promise<BuiltSync> {
  const { storage } = deps
  // To-device messages first: when more are queued than one response carries, the response
  // ends at the last one delivered, so its next_batch acknowledges no more than that.
  const toDevice = await deviceSection(
    storage,
    request.userId,
    request.deviceId,
    request.since,
    request.upTo,
  )
  const params = toDevice.upTo === request.upTo ? request : { ...request, upTo: toDevice.upTo }
  const { userId, since, upTo, filter } = params
  const rooms = filter.room
  const initial = since === undefined

  const [memberships, accountData] = await Promise.all([
    membershipsAt(deps, params, initial && rooms.includeLeave),
    storage.accountData.changesSince(userId, since, upTo),
  ])
  const ignoredUsers = ignoredUsersReader(deps, params, accountData)
  const timelineFilter = async (): Promise<EventFilter | undefined> =>
    storageRoomEventFilter(rooms.timeline, await ignoredUsers())
  const listed = memberships.filter((m) => roomListed(rooms, m.roomId))
  const joined = listed.filter((m) => m.membership === 'join')
  const roomAccountData = groupRoomAccountData(accountData, filter)

  const limit = Math.min(rooms.timeline.limit ?? DEFAULT_TIMELINE_LIMIT, MAX_TIMELINE_LIMIT)
  // Which joined rooms changed at all in the range, whatever the filter shows (a filtered
  // timeline can hide a state change), and where the push processor changed the user's unread
  // counts: one query, however many rooms.
  const roomNews =
    since === undefined || joined.length === 0
      ? { events: new Set(joined.map((m) => m.roomId)), unreadCounts: new Set<RoomId>() }
      : await storage.sync.roomNews(
          userId,
          joined.map((m) => m.roomId),
          since,
          upTo,
        )
  const news: ReadonlySet<RoomId> = roomNews.events
  const timelineRooms = joined
    .map((m) => m.roomId)
    .filter((roomId) => news.has(roomId) && roomListed(rooms.timeline, roomId))
  const sqlFilter = timelineRooms.length === 0 ? undefined : await timelineFilter()
  const timelines =
    timelineRooms.length === 0
      ? new Map<RoomId, RoomEventsSince>()
      : await storage.events.eventsSince(timelineRooms, {
          since,
          upTo,
          limitPerRoom: limit,
          ...(sqlFilter === undefined ? {} : { filter: sqlFilter }),
        })

  const newlyJoined =
    since === undefined
      ? new Set<RoomId>()
      : await notMembersAt(
          deps,
          userId,
          since,
          joined.filter((m) => m.changed),
        )

  const builds: RoomBuild[] = []
  for (const m of joined) {
    const { roomId } = m
    const isNew = newlyJoined.has(roomId)
    if (!params.fullState && !news.has(roomId) && !isNew && !roomAccountData.has(roomId)) continue
    const t = timelines.get(roomId)
    const fetched = t?.events ?? []
    const complete = sqlFilter === undefined && roomListed(rooms.timeline, roomId)
    builds.push({
      roomId,
      section: 'join',
      end: upTo,
      fullState: initial || params.fullState || isNew,
      fetched,
      complete,
      hasNews: news.has(roomId),
      ownLeaveOnly: false,
      // A room new to the client has history before its timeline, unless the timeline starts
      // at the room's creation.
      limited: (t?.limited ?? false) || (isNew && fetched[0]?.pdu.type !== 'm.room.create'),
      endGroupKnown: complete ? fetched.at(-1)?.stateGroupAfter : undefined,
      visible: [],
      stateIds: [],
      summary: undefined,
    })
  }

  const departed = listed.filter(
    (m) => (m.membership === 'leave' || m.membership === 'ban') && (initial || m.changed),
  )
  // A forgotten room no longer appears to the user (client-server-api §Leaving rooms).
  const forgotten =
    departed.length === 0 ? new Set<RoomId>() : await storage.forgottenRooms.forgottenRooms(userId)
  const leaves = departed.filter((m) => !forgotten.has(m.roomId))
  const leaveFilter = leaves.length === 0 ? undefined : await timelineFilter()
  builds.push(...(await leftRoomBuilds(deps, params, leaves, limit, leaveFilter)))

  // History visibility, for all rooms at once.
  const checked = builds.filter((b) => !b.ownLeaveOnly)
  const visible = await visibleEvents(
    deps,
    userId,
    checked.map((b) => ({ events: b.fetched, joinedAtEnd: b.section === 'join' })),
  )
  checked.forEach((b, i) => {
    b.visible = visible[i] ?? []
  })
  // Users always see their own leave, or they would never see a rejected invite go away.
  for (const b of builds) if (b.ownLeaveOnly) b.visible = [...b.fetched]

  await planState(deps, params, builds)

  // Every state event of every room in one read, then both serializations in one batch each.
  const stateIds = [...new Set(builds.flatMap((b) => b.stateIds))]
  const stateEvents =
    stateIds.length === 0
      ? new Map<EventId, StoredEvent>()
      : await storage.events.getEvents(stateIds)
  const viewer = { userId, deviceId: params.deviceId }
  const timelineEvents = builds.flatMap((b) => b.visible)
  const stateLists = builds.map((b) =>
    b.stateIds
      .map((id) => stateEvents.get(id))
      .filter((e): e is StoredEvent => e !== undefined && stateEventPasses(e, filter, b.roomId)),
  )
  const [timelineJson, stateJson] = await Promise.all([
    deps.serializer.serialize(timelineEvents, { viewer, withoutRoomId: true }),
    deps.serializer.serialize(stateLists.flat(), {
      viewer,
      withoutRoomId: true,
      prevContent: false,
    }),
  ])
  const shape = (events: readonly StoredEvent[], json: readonly ClientEvent[]): ClientEvent[] =>
    events.map((event, i) => formatEvent(event, json[i] ?? {}, filter))
  const timelineOut = splitBy(
    shape(timelineEvents, timelineJson),
    builds.map((b) => b.visible.length),
  )
  const stateOut = splitBy(
    shape(stateLists.flat(), stateJson),
    stateLists.map((list) => list.length),
  )

  const join: Record<RoomId, JoinedRoom> = {}
  const leave: Record<RoomId, LeftRoom> = {}
  builds.forEach((b, i) => {
    const events = timelineOut[i] ?? []
    const state = { events: stateOut[i] ?? [] }
    const first = b.visible[0]?.streamPosition ?? b.fetched[0]?.streamPosition
    const timeline = {
      events,
      limited: b.limited,
      prev_batch: formatSyncToken(first === undefined ? b.end : Math.max(0, first - 1)),
    }
    const ownData = roomAccountData.get(b.roomId)
    const room = {
      ...(params.useStateAfter ? { state_after: state } : { state }),
      timeline,
      ...(ownData === undefined ? {} : { account_data: { events: ownData } }),
    }
    if (b.section === 'leave') {
      leave[b.roomId] = room
      return
    }
    // An incremental room with nothing left to say (its news was invisible) stays out.
    if (!b.fullState && events.length === 0 && state.events.length === 0 && ownData === undefined) {
      return
    }
    join[b.roomId] = b.summary === undefined ? room : { summary: b.summary, ...room }
  })

  // Ephemeral events of joined rooms, one kind at a time (ephemeral-section.ts).
  const joinedIds = joined.map((m) => m.roomId)
  const quietRoom = (): JoinedRoom => {
    const state = { events: [] }
    return {
      ...(params.useStateAfter ? { state_after: state } : { state }),
      timeline: { events: [], limited: false, prev_batch: formatSyncToken(upTo) },
    }
  }
  const newToClient = new Set(
    builds.filter((b) => b.section === 'join' && b.fullState).map((b) => b.roomId),
  )
  const hideIgnored = async (
    events: Map<RoomId, EphemeralEvent[]>,
  ): Promise<Map<RoomId, EphemeralEvent[]>> =>
    events.size === 0 ? events : withoutIgnored(events, await ignoredUsers())
  const typing = await typingEvents(deps, params, joinedIds, newToClient)
  addEphemeral(join, joinedIds, await hideIgnored(typing), quietRoom)
  const receipts = await receiptEvents(deps, params, joinedIds, newToClient)
  addEphemeral(join, joinedIds, await hideIgnored(receipts), quietRoom)
  // A room whose counts the push processor changed goes out for them, news or not.
  if (deps.unread !== undefined) {
    for (const roomId of roomNews.unreadCounts) join[roomId] ??= quietRoom()
  }
  await addUnreadCounts(deps.unread, params, join)

  const invite: Record<RoomId, InvitedRoom> = {}
  const knock: Record<RoomId, KnockedRoom> = {}
  const pending = listed.filter(
    (m) => (m.membership === 'invite' || m.membership === 'knock') && (initial || m.changed),
  )
  if (pending.length > 0) {
    const [events, ignored] = await Promise.all([
      storage.events.getEvents(pending.map((m) => m.eventId)),
      ignoredUsers(),
    ])
    await Promise.all(
      pending.map(async (m) => {
        const event = events.get(m.eventId)
        if (event === undefined) return
        // Invites from ignored users are not shown (client-server-api §Ignoring Users).
        if (m.membership === 'invite' && ignored.has(event.pdu.sender)) return
        const stripped = { events: await strippedRoomState(storage, m.roomId, event) }
        if (m.membership === 'invite') invite[m.roomId] = { invite_state: stripped }
        else knock[m.roomId] = { knock_state: stripped }
      }),
    )
  }

  const global = withPushRules(userId, accountData, initial)
    .filter((r) => r.roomId === undefined && eventMatches(filter.accountData, { type: r.type }))
    .map(toAccountDataEvent)
  const globalOut = applyLimit(global, filter.accountData.limit)
  const membershipsMoved = news.size > 0 || memberships.some((m) => m.changed)
  const [presence, deviceLists] = await Promise.all([
    presenceEvents(deps.presence, params),
    since === undefined
      ? undefined
      : deviceListChanges(storage, userId, since, upTo, membershipsMoved),
  ])
  const listsChanged =
    deviceLists !== undefined && (deviceLists.changed.length > 0 || deviceLists.left.length > 0)

  const response: SyncResponse = {
    next_batch: formatSyncToken(upTo),
    rooms: { join, invite, knock, leave },
    account_data: { events: globalOut },
    ...(presence.length === 0 ? {} : { presence: { events: presence } }),
    ...(toDevice.events.length === 0 ? {} : { to_device: { events: toDevice.events } }),
    ...(listsChanged ? { device_lists: deviceLists } : {}),
    ...toDevice.keyCounts,
  }
  const empty =
    globalOut.length === 0 &&
    presence.length === 0 &&
    toDevice.events.length === 0 &&
    !listsChanged &&
    Object.keys(join).length === 0 &&
    Object.keys(invite).length === 0 &&
    Object.keys(knock).length === 0 &&
    Object.keys(leave).length === 0
  return { response, empty, joinedRoomIds: joined.map((m) => m.roomId) }
}

/**
 * The users the viewer ignores (client-server-api §Ignoring Users), read at most once and only
 * when something they sent is about to be shown. A change in the sync's range applies at once, to
 * this response; an initial sync has all account data in hand already.
 */
function ignoredUsersReader(
  deps: SyncBuilderDeps,
  params: SyncParams,
  accountData: readonly AccountDataRecord[],
): () => Promise<ReadonlySet<UserId>> {
  let read: Promise<ReadonlySet<UserId>> | undefined
  return () => {
    read ??= (async () => {
      const changed = ignoredUsersFromChanges(accountData, params.userId)
      if (changed !== undefined) return changed
      if (params.since === undefined) return NO_IGNORED
      return loadIgnoredUsers(deps.storage.accountData, params.userId)
    })()
    return read
  }
}

const ALL_MEMBERSHIPS = ['join', 'invite', 'knock', 'leave', 'ban']
const CURRENT_MEMBERSHIPS = ['join', 'invite', 'knock']

/**
 * The user's memberships as of `upTo`. Storage holds each room's current membership with the
 * position of its change; a change after `upTo` (one that landed while this request ran) belongs
 * to the next sync, so for that room the membership at `upTo` is read from the room's state.
 */
async function membershipsAt(
  deps: SyncBuilderDeps,
  params: SyncParams,
  withLeft: boolean,
): Promise<MembershipAt[]> {
  const { storage } = deps
  const { userId, since, upTo } = params
  const [current, changes] = await Promise.all([
    storage.rooms.roomsForUser(userId, withLeft ? ALL_MEMBERSHIPS : CURRENT_MEMBERSHIPS),
    storage.rooms.membershipChangesSince(userId, since ?? upTo),
  ])
  const byRoom = new Map<RoomId, MembershipRecord>()
  for (const record of current) byRoom.set(record.roomId, record)
  for (const record of changes) byRoom.set(record.roomId, record)
  const out: MembershipAt[] = []
  for (const record of byRoom.values()) {
    const at =
      record.streamPosition <= upTo ? record : await membershipAtPosition(deps, record, upTo)
    if (at === undefined) continue
    const changed = since !== undefined && at.streamPosition > since
    const departed = at.membership === 'leave' || at.membership === 'ban'
    if (departed && !changed && !withLeft) continue
    out.push({
      roomId: at.roomId,
      membership: at.membership,
      eventId: at.eventId,
      streamPosition: at.streamPosition,
      changed,
    })
  }
  return out
}

async function membershipAtPosition(
  deps: SyncBuilderDeps,
  record: MembershipRecord,
  position: number,
): Promise<MembershipRecord | undefined> {
  const group = await stateGroupAt(deps.storage, record.roomId, position)
  if (group === undefined) return undefined
  const state = await deps.storage.state.loadState(group)
  const eventId = state.get('m.room.member', record.userId)
  const event = eventId === undefined ? undefined : await deps.storage.events.getEvent(eventId)
  const membership = membershipOf(event?.pdu)
  if (event?.streamPosition === undefined || membership === undefined) return undefined
  return { ...record, membership, eventId: event.pdu.eventId, streamPosition: event.streamPosition }
}

/** The rooms of `candidates` where the user was not joined at `position`. */
async function notMembersAt(
  deps: SyncBuilderDeps,
  userId: UserId,
  position: number,
  candidates: readonly MembershipAt[],
): Promise<Set<RoomId>> {
  const memberIds = new Map<RoomId, EventId | undefined>()
  await Promise.all(
    candidates.map(async (m) => {
      const group = await stateGroupAt(deps.storage, m.roomId, position)
      const state = group === undefined ? undefined : await deps.storage.state.loadState(group)
      memberIds.set(m.roomId, state?.get('m.room.member', userId))
    }),
  )
  const ids = [...memberIds.values()].filter((id): id is EventId => id !== undefined)
  const pdus = await deps.pdus.load(ids)
  const out = new Set<RoomId>()
  for (const [roomId, id] of memberIds) {
    if (membershipOf(id === undefined ? undefined : pdus.get(id)) !== 'join') out.add(roomId)
  }
  return out
}

/**
 * The leave section: each room up to the user's leave (or ban). A user who was not joined just
 * before (an invite they rejected, a ban while outside) saw nothing of the room: their timeline
 * is the leave itself.
 */
async function leftRoomBuilds(
  deps: SyncBuilderDeps,
  params: SyncParams,
  leaves: readonly MembershipAt[],
  limit: number,
  sqlFilter: EventFilter | undefined,
): Promise<RoomBuild[]> {
  if (leaves.length === 0) return []
  const { storage } = deps
  const { userId, since } = params
  const leaveEvents = await storage.events.getEvents(leaves.map((m) => m.eventId))
  const beforeIds = new Map<RoomId, EventId | undefined>()
  await Promise.all(
    leaves.map(async (m) => {
      const group = leaveEvents.get(m.eventId)?.stateGroupBefore
      const state = group === undefined ? undefined : await storage.state.loadState(group)
      beforeIds.set(m.roomId, state?.get('m.room.member', userId))
    }),
  )
  const pdus = await deps.pdus.load(
    [...beforeIds.values()].filter((id): id is EventId => id !== undefined),
  )
  const wasJoined = (m: MembershipAt): boolean => {
    const id = beforeIds.get(m.roomId)
    return membershipOf(id === undefined ? undefined : pdus.get(id)) === 'join'
  }
  const sawRoom = leaves.filter(wasJoined)
  const newToClient =
    since === undefined ? new Set<RoomId>() : await notMembersAt(deps, userId, since, sawRoom)

  const builds: RoomBuild[] = []
  for (const m of leaves) {
    const leaveEvent = leaveEvents.get(m.eventId)
    if (leaveEvent === undefined) continue
    const common = {
      roomId: m.roomId,
      section: 'leave' as const,
      end: m.streamPosition,
      endGroupKnown: leaveEvent.stateGroupAfter,
      visible: [],
      stateIds: [],
      summary: undefined,
    }
    if (!sawRoom.includes(m)) {
      builds.push({
        ...common,
        fullState: false,
        fetched: [leaveEvent],
        complete: false,
        hasNews: false,
        ownLeaveOnly: true,
        limited: false,
      })
      continue
    }
    const page = await storage.events.eventsSince([m.roomId], {
      since,
      upTo: m.streamPosition,
      limitPerRoom: limit,
      ...(sqlFilter === undefined ? {} : { filter: sqlFilter }),
    })
    const t = page.get(m.roomId)
    const fetched = t?.events ?? []
    builds.push({
      ...common,
      fullState: since === undefined || params.fullState || newToClient.has(m.roomId),
      fetched,
      complete: sqlFilter === undefined,
      hasNews: true,
      ownLeaveOnly: false,
      limited: t?.limited ?? false,
    })
  }
  return builds
}

/**
 * Chooses each room's state events (ids only) and its summary. The state is the room's state at
 * the start of the timeline (at its end with use_state_after): all of it when the room is new to
 * the client, otherwise what changed since the client's last sync. Lazy-loading keeps only the
 * member events the timeline needs (client-server-api §Lazy-loading room members).
 */
async function planState(
  deps: SyncBuilderDeps,
  params: SyncParams,
  builds: readonly RoomBuild[],
): Promise<void> {
  const { storage } = deps
  const { userId, since } = params
  const rules = params.filter.room.state
  const load = (group: number | undefined): Promise<ReadonlyStateMap<EventId> | undefined> =>
    group === undefined ? Promise.resolve(undefined) : storage.state.loadState(group)

  const plans = await Promise.all(
    builds.map(async (b) => {
      if (!b.fullState && !b.hasNews) {
        return { b, targetState: undefined, entries: [], needsSummary: false }
      }
      // The state after the room's last event in range: read only when it is the one needed.
      const needEnd = params.useStateAfter || b.visible[0] === undefined
      const endGroup = needEnd
        ? (b.endGroupKnown ?? (await stateGroupAt(storage, b.roomId, b.end)))
        : undefined
      const startGroup = b.visible[0]?.stateGroupBefore ?? endGroup
      const target = params.useStateAfter ? endGroup : startGroup
      let sinceGroup: number | undefined
      if (!b.fullState && since !== undefined) {
        // With every event of the range in the timeline, the state at the client's last sync is
        // the state before the first of them: no read needed.
        const first = b.fetched[0]
        sinceGroup =
          b.complete && !b.limited && first !== undefined && first === b.visible[0]
            ? first.stateGroupBefore
            : await stateGroupAt(storage, b.roomId, since)
      }
      const [targetState, sinceState] = await Promise.all([
        load(target),
        b.fullState || sinceGroup === target ? Promise.resolve(undefined) : load(sinceGroup),
      ])
      let entries: Array<readonly [string, string, EventId]> = []
      if (targetState !== undefined) {
        if (b.fullState) entries = [...targetState]
        else if (sinceGroup !== target) entries = changedEntries(sinceState, targetState)
      }
      const needsSummary =
        b.section === 'join' &&
        (b.fullState ||
          b.visible.some((e) => e.pdu.type === 'm.room.member') ||
          entries.some(([type]) => type === 'm.room.member'))
      return { b, targetState, entries, needsSummary }
    }),
  )

  // Summaries come from the rooms' current memberships: two indexed reads a room, and only for
  // rooms whose members changed (or that are new to the client).
  await Promise.all(
    plans.map(async (p) => {
      if (!p.needsSummary) return
      p.b.summary = toRoomSummary(await storage.sync.memberSummary(p.b.roomId, userId, HERO_COUNT))
    }),
  )

  for (const { b, targetState, entries } of plans) {
    let chosen = entries.filter(([type]) => typeAllowed(rules, type))
    if (rules.lazyLoadMembers && targetState !== undefined) {
      // A delta's member events are changes in the gap, which the client must get; a full state
      // keeps only the members the timeline (and the summary) names.
      if (b.fullState) chosen = chosen.filter(([type]) => type !== 'm.room.member')
      const wanted = new Set<string>(b.visible.map((e) => e.pdu.sender))
      if (b.fullState) wanted.add(userId)
      for (const hero of b.summary?.['m.heroes'] ?? []) wanted.add(hero)
      const have = new Set(
        chosen.filter(([type]) => type === 'm.room.member').map(([, key]) => key),
      )
      for (const key of wanted) {
        const id = targetState.get('m.room.member', key)
        if (id !== undefined && !have.has(key) && typeAllowed(rules, 'm.room.member')) {
          chosen.push(['m.room.member', key, id])
        }
      }
    }
    b.stateIds = chosen.map(([, , id]) => id)
  }
}

function typeAllowed(rules: SyncFilter['room']['state'], type: string): boolean {
  return eventMatches({ ...rules, senders: undefined, notSenders: [] }, { type })
}

function stateEventPasses(event: StoredEvent, filter: SyncFilter, roomId: RoomId): boolean {
  const { pdu } = event
  return roomEventMatches(filter.room.state, {
    type: pdu.type,
    sender: pdu.sender,
    roomId,
    content: pdu.content,
  })
}

/** The event in the filter's format (`federation`: the PDU as stored) and fields. */
function formatEvent(event: StoredEvent, client: ClientEvent, filter: SyncFilter): ClientEvent {
  const base = filter.eventFormat === 'federation' ? event.pdu.json : client
  return filter.eventFields === undefined ? base : projectEventFields(base, filter.eventFields)
}

function groupRoomAccountData(
  records: readonly AccountDataRecord[],
  filter: SyncFilter,
): Map<RoomId, AccountDataEvent[]> {
  const out = new Map<RoomId, AccountDataEvent[]>()
  const rules = filter.room.accountData
  for (const record of records) {
    const { roomId } = record
    if (roomId === undefined || !roomListed(filter.room, roomId) || !roomListed(rules, roomId)) {
      continue
    }
    if (!eventMatches(rules, { type: record.type })) continue
    const list = out.get(roomId) ?? []
    list.push(toAccountDataEvent(record))
    out.set(roomId, list)
  }
  return out
}

function toAccountDataEvent(record: AccountDataRecord): AccountDataEvent {
  return { type: record.type, content: record.content }
}

/** The last `limit` entries (the newest), or all without a limit. */
function applyLimit<T>(list: readonly T[], limit: number | undefined): T[] {
  return limit === undefined ? [...list] : list.slice(Math.max(0, list.length - limit))
}

function splitBy<T>(flat: readonly T[], sizes: readonly number[]): T[][] {
  const out: T[][] = []
  let at = 0
  for (const size of sizes) {
    out.push(flat.slice(at, at + size))
    at += size
  }
  return out
}

/**
 * Reading a room's timeline: one event (`/event/{eventId}`), pages (`/messages`) and the events
 * around one (`/context/{eventId}`), each filtered by history visibility. Pages and context also
 * leave out what the requester's filter and ignored users exclude, in SQL, so a page is as long as
 * asked whenever the room has the events.
 */
import {
  err,
  ok,
  type EventId,
  type ReadonlyStateMap,
  type Result,
  type RoomId,
  type UserId,
} from '@rhizome/core'
import type { ClientEvent } from '../events/client-event.js'
import type { Requester } from '../http/authenticate.js'
import { notFound, type ServerError } from '../http/errors.js'
import type { StoredEvent, TimelinePage, TimelineQuery } from '../storage/interface.js'
import { formatTimelineToken } from './pagination-token.js'
import { readableUpTo, readAccess } from './read-access.js'
import { historyView, viewerOf, type RoomContext } from './room-context.js'
import { loadIgnoredUsers } from '../moderation/ignored-users.js'
import { roomEventMatches, roomListed, storageRoomEventFilter } from '../sync/filter/event-match.js'
import type { RoomEventFilterRules } from '../sync/filter/sync-filter.js'

/** The most events one page returns, whatever the client asks. */
export const MAX_PAGE_LIMIT = 1000
export const DEFAULT_PAGE_LIMIT = 10
/** How often one page may ask other servers for older history, and for how many events at least. */
const MAX_BACKFILL_ROUNDS = 3
const MIN_BACKFILL = 50

const NO_PAGE: TimelinePage = { events: [], next: undefined }

export async function getEvent(
  ctx: RoomContext,
  requester: Requester,
  roomId: RoomId,
  eventId: EventId,
): Promise<Result<ClientEvent, ServerError>> {
  const event = await ctx.deps.storage.events.getEvent(eventId)
  const missing = notFound('Event not found, or you may not see it')
  if (event === undefined || event.pdu.roomId !== roomId) return err(missing)
  if (!(await historyView(ctx, roomId, requester.userId).canSee(event))) return err(missing)
  return ok(await ctx.serializer.serializeOne(event, { viewer: viewerOf(requester) }))
}

export interface MessagesQuery {
  readonly from?: number
  readonly to?: number
  readonly dir: 'f' | 'b'
  readonly limit?: number
  readonly filter: RoomEventFilterRules
}

export interface MessagesPage {
  readonly start: string
  readonly end?: string
  readonly chunk: ClientEvent[]
  readonly state: ClientEvent[]
}

export async function getMessages(
  ctx: RoomContext,
  requester: Requester,
  roomId: RoomId,
  query: MessagesQuery,
): Promise<Result<MessagesPage, ServerError>> {
  const { storage } = ctx.deps
  const [access, ignored] = await Promise.all([
    readAccess(ctx, roomId, requester.userId),
    loadIgnoredUsers(storage.accountData, requester.userId),
  ])
  if (!access.ok) return access
  const limit = pageLimit(query.limit, query.filter.limit, DEFAULT_PAGE_LIMIT)
  const backwards = query.dir === 'b'
  const from = query.from ?? (backwards ? await storage.streams.currentPosition() : 0)
  // Nothing after a departure: bound the page at the membership event that ended it.
  const bound = readableUpTo(access.value)
  let start = from
  let to = query.to
  if (bound !== undefined) {
    if (backwards) start = Math.min(from, bound)
    else to = Math.min(to ?? bound, bound)
  }
  const filter = storageRoomEventFilter(query.filter, ignored)
  const read = (): Promise<TimelinePage> =>
    storage.events.roomTimeline(roomId, {
      direction: query.dir,
      from: start,
      ...(to === undefined ? {} : { to }),
      limit,
      ...(filter === undefined ? {} : { filter }),
    })
  // A filter whose rooms leave this one out matches none of its events.
  let page = roomListed(query.filter, roomId) ? await read() : NO_PAGE
  // Reading back past the oldest event held: other servers may have older history.
  const backfill = ctx.deps.federation?.backfill
  for (
    let round = 0;
    backwards &&
    to === undefined &&
    page !== NO_PAGE &&
    page.next === undefined &&
    backfill !== undefined &&
    round < MAX_BACKFILL_ROUNDS;
    round++
  ) {
    if ((await backfill(roomId, Math.max(limit, MIN_BACKFILL))) === 0) break
    page = await read()
  }
  const visible = await historyView(ctx, roomId, requester.userId).filter(page.events)
  const viewer = viewerOf(requester)
  const chunk = await ctx.serializer.serialize(visible, { viewer })
  // Members as of the chunk's newest event: every sender in it has joined by then.
  const newest = backwards ? visible[0] : visible.at(-1)
  const state = query.filter.lazyLoadMembers
    ? await senderMembers(ctx, requester, visible, newest)
    : []
  return ok({
    start: formatTimelineToken(from),
    ...(page.next === undefined ? {} : { end: formatTimelineToken(page.next) }),
    chunk,
    state,
  })
}

export interface ContextQuery {
  readonly limit?: number
  readonly filter: RoomEventFilterRules
}

export interface EventContext {
  readonly start: string
  readonly end: string
  readonly events_before: ClientEvent[]
  readonly event: ClientEvent
  readonly events_after: ClientEvent[]
  readonly state: ClientEvent[]
}

export async function getContext(
  ctx: RoomContext,
  requester: Requester,
  roomId: RoomId,
  eventId: EventId,
  query: ContextQuery,
): Promise<Result<EventContext, ServerError>> {
  const { storage } = ctx.deps
  const view = historyView(ctx, roomId, requester.userId)
  const [event, ignored] = await Promise.all([
    storage.events.getEvent(eventId),
    loadIgnoredUsers(storage.accountData, requester.userId),
  ])
  const position = event?.streamPosition
  if (
    event === undefined ||
    position === undefined ||
    event.pdu.roomId !== roomId ||
    // An ignored user's message is hidden here as in the timeline around it.
    (event.pdu.stateKey === undefined && ignored.has(event.pdu.sender)) ||
    !(await view.canSee(event))
  ) {
    return err(notFound('Event not found, or you may not see it'))
  }
  const limit = pageLimit(query.limit, query.filter.limit, DEFAULT_PAGE_LIMIT)
  const beforeLimit = Math.floor(limit / 2)
  const filter = storageRoomEventFilter(query.filter, ignored)
  const listed = roomListed(query.filter, roomId)
  const access = await readAccess(ctx, roomId, requester.userId)
  const bound = access.ok ? readableUpTo(access.value) : position
  const read = (q: TimelineQuery): Promise<TimelinePage> =>
    listed ? storage.events.roomTimeline(roomId, q) : Promise.resolve(NO_PAGE)
  const [before, after] = await Promise.all([
    read({
      direction: 'b',
      from: position - 1,
      limit: beforeLimit,
      ...(filter === undefined ? {} : { filter }),
    }),
    read({
      direction: 'f',
      from: position,
      ...(bound === undefined ? {} : { to: Math.max(bound, position) }),
      limit: limit - beforeLimit,
      ...(filter === undefined ? {} : { filter }),
    }),
  ])
  const [visibleBefore, visibleAfter] = await Promise.all([
    view.filter(before.events),
    view.filter(after.events),
  ])
  const viewer = viewerOf(requester)
  const [eventsBefore, target, eventsAfter] = await Promise.all([
    ctx.serializer.serialize(visibleBefore, { viewer }),
    ctx.serializer.serializeOne(event, { viewer }),
    ctx.serializer.serialize(visibleAfter, { viewer }),
  ])
  const last = visibleAfter.at(-1) ?? event
  const state = query.filter.lazyLoadMembers
    ? await senderMembers(ctx, requester, [...visibleBefore, event, ...visibleAfter], last)
    : await stateEventsAt(ctx, requester, last, query.filter)

  const earliest = before.events.at(-1)?.streamPosition ?? position
  const latest = after.events.at(-1)?.streamPosition ?? position
  return ok({
    start: formatTimelineToken(earliest - 1),
    end: formatTimelineToken(latest),
    events_before: eventsBefore,
    event: target,
    events_after: eventsAfter,
    state,
  })
}

/** The state at `at` (after it), filtered; for `/context` without lazy loading. */
async function stateEventsAt(
  ctx: RoomContext,
  requester: Requester,
  at: StoredEvent,
  filter: RoomEventFilterRules,
): Promise<ClientEvent[]> {
  const state = await stateAfter(ctx, at)
  if (state === undefined) return []
  const ids: EventId[] = []
  for (const [, , id] of state) ids.push(id)
  const loaded = await ctx.deps.storage.events.getEvents(ids)
  const events = [...loaded.values()].filter((e) =>
    roomEventMatches(filter, {
      type: e.pdu.type,
      sender: e.pdu.sender,
      roomId: e.pdu.roomId,
      content: e.pdu.content,
    }),
  )
  return ctx.serializer.serialize(events, { viewer: viewerOf(requester), prevContent: false })
}

/**
 * Lazy-loading members (client-server-api §Lazy-loading room members): the member events of the
 * senders of `events`, as the room's state at `at` has them.
 */
async function senderMembers(
  ctx: RoomContext,
  requester: Requester,
  events: readonly StoredEvent[],
  at: StoredEvent | undefined,
): Promise<ClientEvent[]> {
  if (at === undefined || events.length === 0) return []
  const state = await stateAfter(ctx, at)
  if (state === undefined) return []
  const senders = new Set<UserId>(events.map((e) => e.pdu.sender))
  const ids: EventId[] = []
  for (const sender of senders) {
    const id = state.get('m.room.member', sender)
    if (id !== undefined) ids.push(id)
  }
  const loaded = await ctx.deps.storage.events.getEvents(ids)
  return ctx.serializer.serialize([...loaded.values()], {
    viewer: viewerOf(requester),
    prevContent: false,
  })
}

async function stateAfter(
  ctx: RoomContext,
  event: StoredEvent,
): Promise<ReadonlyStateMap<EventId> | undefined> {
  const group = event.stateGroupAfter
  return group === undefined ? undefined : ctx.deps.storage.state.loadState(group)
}

function pageLimit(
  asked: number | undefined,
  filtered: number | undefined,
  fallback: number,
): number {
  const limit = Math.min(asked ?? fallback, filtered ?? Infinity, MAX_PAGE_LIMIT)
  return Math.max(0, limit)
}

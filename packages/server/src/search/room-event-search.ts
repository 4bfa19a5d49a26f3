/**
 * `POST /search`, category `room_events` (client-server-api §Server Side Search): the rooms the
 * user is or was in (up to their departure, and not once forgotten), searched in storage, then
 * filtered by history visibility. Results come with bundled aggregations, and on request with
 * context, historic profiles, room state and groups.
 *
 * Pagination: `next_batch` carries the order and where the last result stood (an offset in rank
 * order, a stream position in recent order); the client sends the same request again with it.
 * Group-level `next_batch` tokens are not offered (the spec allows leaving them out).
 */
import {
  err,
  ok,
  type EventId,
  type JsonObject,
  type JsonValue,
  type Result,
  type RoomId,
  type UserId,
} from '@rhizome/core'
import type { ClientEvent } from '../events/client-event.js'
import type { Requester } from '../http/authenticate.js'
import { serverError, type ServerError } from '../http/errors.js'
import type { RoomHistoryView } from '../rooms/history-visibility.js'
import { formatTimelineToken } from '../rooms/pagination-token.js'
import { readableState, readAccess } from '../rooms/read-access.js'
import { historyView, viewerOf, type RoomContext } from '../rooms/room-context.js'
import { loadIgnoredUsers } from '../moderation/ignored-users.js'
import { storageRoomEventFilter } from '../sync/filter/event-match.js'
import type { StoredEvent } from '../storage/interface.js'
import type { SearchHit, SearchRoom } from '../storage/search-store.js'
import type { EventContextRequest, RoomEventsCriteria, SearchRequest } from './search-request.js'

export const DEFAULT_SEARCH_LIMIT = 10
export const MAX_SEARCH_LIMIT = 100
/** Storage pages read to fill one response when history visibility hides hits. */
const MAX_FETCHES = 5

export interface SearchResponse {
  readonly search_categories: { readonly room_events?: JsonObject }
}

/** `next_batch`: the order's letter, then the storage cursor. */
const TOKEN = /^([rp])(0|[1-9][0-9]{0,15})$/

export function formatSearchToken(order: 'rank' | 'recent', cursor: number): string {
  return `${order === 'rank' ? 'r' : 'p'}${cursor}`
}

/** The cursor in a token of this order; M_INVALID_PARAM for anything else. */
export function parseSearchToken(
  raw: string,
  order: 'rank' | 'recent',
): Result<number, ServerError> {
  const match = TOKEN.exec(raw)
  const cursor = Number(match?.[2])
  if (
    match === null ||
    (match[1] === 'r') !== (order === 'rank') ||
    !Number.isSafeInteger(cursor)
  ) {
    return err(serverError('M_INVALID_PARAM', 'next_batch is not a token for this search'))
  }
  return ok(cursor)
}

export async function search(
  ctx: RoomContext,
  requester: Requester,
  request: SearchRequest,
  nextBatch: string | undefined,
): Promise<Result<SearchResponse, ServerError>> {
  const criteria = request.roomEvents
  if (criteria === undefined) {
    if (nextBatch !== undefined) {
      return err(serverError('M_INVALID_PARAM', 'next_batch is not a token for this search'))
    }
    return ok({ search_categories: {} })
  }
  let after: number | undefined
  if (nextBatch !== undefined) {
    const cursor = parseSearchToken(nextBatch, criteria.orderBy)
    if (!cursor.ok) return cursor
    after = cursor.value
  }
  const roomEvents = await searchRoomEvents(ctx, requester, criteria, after)
  return ok({ search_categories: { room_events: roomEvents } })
}

async function searchRoomEvents(
  ctx: RoomContext,
  requester: Requester,
  criteria: RoomEventsCriteria,
  after: number | undefined,
): Promise<JsonObject> {
  const { storage } = ctx.deps
  const rooms = await searchableRooms(ctx, requester.userId, criteria)
  const limit = Math.min(criteria.filter.limit ?? DEFAULT_SEARCH_LIMIT, MAX_SEARCH_LIMIT)
  // contains_url and the user's ignored users apply in SQL, with the rest of the filter.
  const filter = storageRoomEventFilter(
    criteria.filter,
    await loadIgnoredUsers(storage.accountData, requester.userId),
  )
  const views = new Map<RoomId, RoomHistoryView>()
  const viewOf = (roomId: RoomId): RoomHistoryView => {
    let view = views.get(roomId)
    if (view === undefined) {
      view = historyView(ctx, roomId, requester.userId)
      views.set(roomId, view)
    }
    return view
  }

  const kept: SearchHit[] = []
  let count: number | undefined
  let next: number | undefined
  let cursor = after
  for (let fetch = 0; fetch < MAX_FETCHES && kept.length < limit; fetch++) {
    const page = await storage.search.search({
      term: criteria.searchTerm,
      rooms,
      keys: criteria.keys,
      ...(filter === undefined ? {} : { filter }),
      order: criteria.orderBy,
      limit: limit - kept.length,
      ...(cursor === undefined ? {} : { after: cursor }),
    })
    count ??= page.count
    const visible = await visibleHits(page.hits, viewOf)
    kept.push(...visible)
    const last = page.hits.at(-1)
    cursor = last?.cursor
    next = page.more && last !== undefined ? last.cursor : undefined
    if (next === undefined) break
  }

  const viewer = viewerOf(requester)
  const events = kept.map((hit) => hit.event)
  const [serialized, contexts, state] = await Promise.all([
    ctx.serializer.serialize(events, { viewer }),
    criteria.eventContext === undefined
      ? undefined
      : eventContexts(ctx, requester, events, rooms, criteria.eventContext, viewOf),
    criteria.includeState ? roomStates(ctx, requester, events) : undefined,
  ])
  const results: JsonValue[] = kept.map((hit, i) => ({
    rank: hit.rank,
    result: serialized[i] ?? {},
    ...(contexts === undefined ? {} : { context: contexts[i] ?? {} }),
  }))
  const highlights = new Set<string>()
  for (const hit of kept) for (const word of hit.highlights) highlights.add(word)
  return {
    results,
    count: count ?? 0,
    highlights: [...highlights],
    ...(next === undefined ? {} : { next_batch: formatSearchToken(criteria.orderBy, next) }),
    ...(criteria.groupBy.length === 0 ? {} : { groups: groups(events, criteria.groupBy) }),
    ...(state === undefined ? {} : { state }),
  }
}

/**
 * The rooms the user is in, and those they left or were banned from (up to the departure),
 * unless forgotten; narrowed by the filter's `rooms` and `not_rooms`.
 */
async function searchableRooms(
  ctx: RoomContext,
  userId: UserId,
  criteria: RoomEventsCriteria,
): Promise<SearchRoom[]> {
  const { storage } = ctx.deps
  const memberships = await storage.rooms.roomsForUser(userId, ['join', 'leave', 'ban'])
  const wanted = (roomId: RoomId): boolean =>
    (criteria.rooms === undefined || criteria.rooms.includes(roomId)) &&
    !(criteria.notRooms?.includes(roomId) ?? false)
  const rooms = await Promise.all(
    memberships
      .filter((membership) => wanted(membership.roomId))
      .map(async (membership): Promise<SearchRoom | undefined> => {
        if (membership.membership === 'join') return { roomId: membership.roomId }
        if (await storage.forgottenRooms.isForgotten(userId, membership.roomId)) return undefined
        return { roomId: membership.roomId, upTo: membership.streamPosition }
      }),
  )
  return rooms.filter((room): room is SearchRoom => room !== undefined)
}

/** The hits the user may see, in their order: one visibility check per room. */
async function visibleHits(
  hits: readonly SearchHit[],
  viewOf: (roomId: RoomId) => RoomHistoryView,
): Promise<SearchHit[]> {
  const byRoom = new Map<RoomId, StoredEvent[]>()
  for (const hit of hits) {
    const list = byRoom.get(hit.event.pdu.roomId) ?? []
    list.push(hit.event)
    byRoom.set(hit.event.pdu.roomId, list)
  }
  const visible = new Set<EventId>()
  await Promise.all(
    [...byRoom].map(async ([roomId, events]) => {
      for (const event of await viewOf(roomId).filter(events)) visible.add(event.pdu.eventId)
    }),
  )
  return hits.filter((hit) => visible.has(hit.event.pdu.eventId))
}

/** The events around each result, as `/context` gives them, with the senders' profiles. */
async function eventContexts(
  ctx: RoomContext,
  requester: Requester,
  results: readonly StoredEvent[],
  rooms: readonly SearchRoom[],
  request: EventContextRequest,
  viewOf: (roomId: RoomId) => RoomHistoryView,
): Promise<JsonObject[]> {
  const { storage } = ctx.deps
  const bounds = new Map(rooms.map((room) => [room.roomId, room.upTo]))
  const around = await Promise.all(
    results.map(async (event) => {
      const position = event.streamPosition ?? 0
      const roomId = event.pdu.roomId
      const bound = bounds.get(roomId)
      const [before, after] = await Promise.all([
        request.beforeLimit === 0
          ? { events: [] }
          : storage.events.roomTimeline(roomId, {
              direction: 'b',
              from: position - 1,
              limit: request.beforeLimit,
            }),
        request.afterLimit === 0
          ? { events: [] }
          : storage.events.roomTimeline(roomId, {
              direction: 'f',
              from: position,
              ...(bound === undefined ? {} : { to: Math.max(bound, position) }),
              limit: request.afterLimit,
            }),
      ])
      const view = viewOf(roomId)
      const [visibleBefore, visibleAfter] = await Promise.all([
        view.filter(before.events),
        view.filter(after.events),
      ])
      return {
        before: visibleBefore,
        after: visibleAfter,
        start: (before.events.at(-1)?.streamPosition ?? position) - 1,
        end: after.events.at(-1)?.streamPosition ?? position,
      }
    }),
  )
  // Every context event of every result in one serialization.
  const flat = around.flatMap((a) => [...a.before, ...a.after])
  const serialized = await ctx.serializer.serialize(flat, { viewer: viewerOf(requester) })
  const profiles = request.includeProfile
    ? await Promise.all(
        results.map((event, i) => {
          const a = around[i]
          const all = a === undefined ? [event] : [...a.before, event, ...a.after]
          return senderProfiles(ctx, all, a?.after.at(-1) ?? event)
        }),
      )
    : undefined
  let at = 0
  return around.map((a, i) => {
    const before = serialized.slice(at, at + a.before.length)
    at += a.before.length
    const after = serialized.slice(at, at + a.after.length)
    at += a.after.length
    const profile = profiles?.[i]
    return {
      start: formatTimelineToken(a.start),
      end: formatTimelineToken(a.end),
      events_before: before,
      events_after: after,
      ...(profile === undefined ? {} : { profile_info: profile }),
    }
  })
}

/** The senders' display names and avatars in the room's state at `at` (after it). */
async function senderProfiles(
  ctx: RoomContext,
  events: readonly StoredEvent[],
  at: StoredEvent,
): Promise<JsonObject> {
  const { storage } = ctx.deps
  if (at.stateGroupAfter === undefined) return {}
  const state = await storage.state.loadState(at.stateGroupAfter)
  const senders = [...new Set(events.map((e) => e.pdu.sender))]
  const memberIds = senders.flatMap((sender) => state.get('m.room.member', sender) ?? [])
  const members = await ctx.pdus.load(memberIds)
  const out: Record<string, JsonValue> = {}
  for (const sender of senders) {
    const id = state.get('m.room.member', sender)
    const member = id === undefined ? undefined : members.get(id)
    if (member === undefined) continue
    const profile: Record<string, JsonValue> = {}
    const { displayname, avatar_url: avatarUrl } = member.content
    if (typeof displayname === 'string') profile['displayname'] = displayname
    if (typeof avatarUrl === 'string') profile['avatar_url'] = avatarUrl
    out[sender] = profile
  }
  return out
}

/** The state of each room with results, as the user may read it. */
async function roomStates(
  ctx: RoomContext,
  requester: Requester,
  results: readonly StoredEvent[],
): Promise<JsonObject> {
  const roomIds = [...new Set(results.map((e) => e.pdu.roomId))]
  const out: Record<string, JsonValue> = {}
  await Promise.all(
    roomIds.map(async (roomId) => {
      const access = await readAccess(ctx, roomId, requester.userId)
      if (!access.ok) return
      const state = await readableState(ctx, roomId, access.value)
      const ids: EventId[] = []
      for (const [, , id] of state) ids.push(id)
      const loaded = await ctx.deps.storage.events.getEvents(ids)
      const events: ClientEvent[] = await ctx.serializer.serialize([...loaded.values()], {
        viewer: viewerOf(requester),
        prevContent: false,
      })
      out[roomId] = events
    }),
  )
  return out
}

/** Results grouped by room or sender: the event IDs in result order, groups in first-seen order. */
function groups(
  events: readonly StoredEvent[],
  keys: readonly ('room_id' | 'sender')[],
): JsonObject {
  const out: Record<string, JsonValue> = {}
  for (const key of keys) {
    const grouped = new Map<string, string[]>()
    for (const event of events) {
      const value = key === 'room_id' ? event.pdu.roomId : event.pdu.sender
      const list = grouped.get(value) ?? []
      list.push(event.pdu.eventId)
      grouped.set(value, list)
    }
    const groupJson: Record<string, JsonValue> = {}
    let order = 1
    for (const [value, ids] of grouped) groupJson[value] = { order: order++, results: ids }
    out[key] = groupJson
  }
  return out
}

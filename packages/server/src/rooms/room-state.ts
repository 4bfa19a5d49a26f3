/**
 * Reading a room's state and members (client-server-api §Getting events for a room, §Room
 * membership): `/state`, `/state/{type}/{key}`, `/members`, `/joined_members`, `/joined_rooms`.
 */
import {
  err,
  isJsonObject,
  ok,
  type EventId,
  type JsonObject,
  type JsonValue,
  type ReadonlyStateMap,
  type Result,
  type RoomId,
} from '@rhizome/core'
import type { ClientEvent } from '../events/client-event.js'
import type { Requester } from '../http/authenticate.js'
import { forbidden, notFound, type ServerError } from '../http/errors.js'
import { membershipOf } from './history-visibility.js'
import { readableState, readableUpTo, readAccess } from './read-access.js'
import { viewerOf, type RoomContext } from './room-context.js'

export async function getState(
  ctx: RoomContext,
  requester: Requester,
  roomId: RoomId,
): Promise<Result<ClientEvent[], ServerError>> {
  const access = await readAccess(ctx, roomId, requester.userId)
  if (!access.ok) return access
  const state = await readableState(ctx, roomId, access.value)
  const events = await ctx.deps.storage.events.getEvents(idsOf(state))
  return ok(
    await ctx.serializer.serialize([...events.values()], {
      viewer: viewerOf(requester),
      prevContent: false,
    }),
  )
}

/** `format: 'content'` gives the content alone; `'event'` the whole client event. */
export async function getStateEvent(
  ctx: RoomContext,
  requester: Requester,
  roomId: RoomId,
  eventType: string,
  stateKey: string,
  format: 'content' | 'event',
): Promise<Result<JsonObject, ServerError>> {
  const access = await readAccess(ctx, roomId, requester.userId)
  if (!access.ok) return access
  const state = await readableState(ctx, roomId, access.value)
  const id = state.get(eventType, stateKey)
  const event = id === undefined ? undefined : await ctx.deps.storage.events.getEvent(id)
  if (event === undefined) {
    return err(notFound(`The room has no state with type ${eventType} and key ${stateKey}`))
  }
  const serialized = await ctx.serializer.serializeOne(event, { viewer: viewerOf(requester) })
  if (format === 'event') return ok(serialized)
  const content = serialized['content']
  return ok(isJsonObject(content) ? content : {})
}

export interface MembersQuery {
  /** A pagination token's position: the members as they were then. */
  readonly at?: number
  readonly membership?: string
  readonly notMembership?: string
}

export async function getMembers(
  ctx: RoomContext,
  requester: Requester,
  roomId: RoomId,
  query: MembersQuery,
): Promise<Result<ClientEvent[], ServerError>> {
  const access = await readAccess(ctx, roomId, requester.userId)
  if (!access.ok) return access
  // One who left sees the members as they were when they left, at the latest.
  const bound = readableUpTo(access.value)
  const at = bound === undefined ? query.at : Math.min(query.at ?? bound, bound)
  const state =
    at === undefined
      ? await readableState(ctx, roomId, access.value)
      : await stateAtPosition(ctx, roomId, at)
  const ids: EventId[] = []
  if (state !== undefined) {
    for (const [type, , id] of state) if (type === 'm.room.member') ids.push(id)
  }
  const loaded = await ctx.deps.storage.events.getEvents(ids)
  const members = [...loaded.values()].filter((event) =>
    membershipMatches(membershipOf(event.pdu), query),
  )
  return ok(
    await ctx.serializer.serialize(members, { viewer: viewerOf(requester), prevContent: false }),
  )
}

/**
 * With both filters the spec asks for either condition: the membership is `membership`, or it is
 * not `not_membership`.
 */
export function membershipMatches(membership: string | undefined, query: MembersQuery): boolean {
  if (membership === undefined) return false
  const wanted = query.membership === undefined ? undefined : membership === query.membership
  const notExcluded =
    query.notMembership === undefined ? undefined : membership !== query.notMembership
  if (wanted === undefined) return notExcluded ?? true
  if (notExcluded === undefined) return wanted
  return wanted || notExcluded
}

export async function getJoinedMembers(
  ctx: RoomContext,
  requester: Requester,
  roomId: RoomId,
): Promise<Result<Record<string, JsonObject>, ServerError>> {
  const { storage } = ctx.deps
  const membership = await storage.rooms.getMembership(roomId, requester.userId)
  if (membership?.membership !== 'join') return err(forbidden("You aren't a member of the room"))
  const events = await storage.rooms.getCurrentStateEvents(roomId, ['m.room.member'])
  const joined: Record<string, JsonObject> = {}
  for (const event of events) {
    const { pdu } = event
    if (pdu.stateKey === undefined || membershipOf(pdu) !== 'join') continue
    // A redacted join keeps only its membership.
    const content = event.redactedBy === undefined ? pdu.content : {}
    const member: Record<string, JsonValue> = {}
    if (typeof content['displayname'] === 'string') member['display_name'] = content['displayname']
    if (typeof content['avatar_url'] === 'string') member['avatar_url'] = content['avatar_url']
    joined[pdu.stateKey] = member
  }
  return ok(joined)
}

export async function getJoinedRooms(ctx: RoomContext, requester: Requester): Promise<RoomId[]> {
  const rooms = await ctx.deps.storage.rooms.roomsForUser(requester.userId, ['join'])
  return rooms.map((record) => record.roomId)
}

/** The room's state after its last event at or before `position`; undefined before its first. */
export async function stateAtPosition(
  ctx: RoomContext,
  roomId: RoomId,
  position: number,
): Promise<ReadonlyStateMap<EventId> | undefined> {
  const { storage } = ctx.deps
  const page = await storage.events.roomTimeline(roomId, {
    direction: 'b',
    from: position,
    limit: 1,
  })
  const group = page.events[0]?.stateGroupAfter
  return group === undefined ? undefined : storage.state.loadState(group)
}

function idsOf(state: ReadonlyStateMap<EventId>): EventId[] {
  const ids: EventId[] = []
  for (const [, , id] of state) ids.push(id)
  return ids
}

/**
 * `GET /rooms/{roomId}/hierarchy` (client-server-api §Discovering rooms within spaces): a
 * depth-first walk of a space's `m.space.child` events, each room described as a
 * SpaceHierarchyRoomsChunk, in pages.
 *
 * - Children are taken in the spec's order (§Ordering of children within a space) and a room is
 *   returned once, however often it is reached: loops end there.
 * - A room is returned when the requester may see it, by the rules the spec lists for the
 *   response (and Synapse applies): joined or invited; a `public`, `knock` or
 *   `knock_restricted` join rule (the last two where the room version has them); a `restricted`
 *   one whose allowed rooms the requester is joined to; `world_readable` history. A banned user
 *   sees nothing of the room, as the spec's 403 for the root says. The children of a room the
 *   requester may not see are not walked.
 * - Only rooms this server holds are described. A child elsewhere would be asked of the servers
 *   in its `via` over federation (`GET /_matrix/federation/v1/hierarchy`), which is not built
 *   yet: such children are skipped, though they stay in their space's `children_state`.
 */
import {
  err,
  ok,
  parseRoomAlias,
  parseRoomId,
  type JsonObject,
  type JsonValue,
  type Pdu,
  type Result,
  type RoomId,
  type RoomVersionRules,
  type UserId,
} from '@rhizome/core'
import type { Requester } from '../http/authenticate.js'
import { forbidden, serverError, type ServerError } from '../http/errors.js'
import { historyVisibilityOf } from './history-visibility.js'
import { allowedRoomIds, checkAllow, isRestricted } from './restricted-join.js'
import type { RoomContext } from './room-context.js'
import { decodeHierarchyToken, encodeHierarchyToken } from './space-hierarchy-token.js'

export interface HierarchyQuery {
  readonly suggestedOnly: boolean
  readonly maxDepth?: number
  readonly limit?: number
  /** A `next_batch` of an earlier page. */
  readonly from?: string
}

/** A child event as `children_state` lists it: stripped, with its timestamp. */
export interface StrippedChildStateEvent {
  readonly type: string
  readonly state_key: string
  readonly sender: UserId
  readonly content: JsonObject
  readonly origin_server_ts: number
}

export interface SpaceHierarchyRoom {
  readonly room_id: RoomId
  readonly num_joined_members: number
  readonly world_readable: boolean
  readonly guest_can_join: boolean
  readonly join_rule?: string
  readonly name?: string
  readonly topic?: string
  readonly canonical_alias?: string
  readonly avatar_url?: string
  readonly room_type?: string
  readonly allowed_room_ids?: readonly RoomId[]
  readonly encryption?: string
  readonly room_version: string
  readonly children_state: readonly StrippedChildStateEvent[]
}

export interface HierarchyPage {
  readonly rooms: readonly SpaceHierarchyRoom[]
  readonly next_batch?: string
}

export const DEFAULT_HIERARCHY_LIMIT = 50
/** Larger limits are served this many rooms a page. */
export const MAX_HIERARCHY_LIMIT = 100
/** Deeper requests (and those that give none) stop here. */
export const MAX_HIERARCHY_DEPTH = 50
/** A walk ends after looking at this many rooms, over all its pages: what one request may cost. */
export const MAX_HIERARCHY_ROOMS = 2000

/** The state a room's description and its children are read from. */
const SUMMARY_TYPES: readonly string[] = [
  'm.room.create',
  'm.room.name',
  'm.room.topic',
  'm.room.avatar',
  'm.room.canonical_alias',
  'm.room.join_rules',
  'm.room.history_visibility',
  'm.room.guest_access',
  'm.room.encryption',
  'm.space.child',
]

/** The only algorithm SpaceHierarchyRoomsChunk's `encryption` may name. */
const MEGOLM = 'm.megolm.v1.aes-sha2'
/** `order` is at most 50 characters of printable ASCII (§m.space.child). */
const VALID_ORDER = /^[\x20-\x7E]{0,50}$/

interface LoadedRoom {
  readonly roomId: RoomId
  readonly rules: RoomVersionRules
  /** The state events with an empty state key, by type. */
  readonly state: ReadonlyMap<string, Pdu>
  /** The room's valid `m.space.child` events in the spec's order; none unless it is a space. */
  readonly children: readonly (Pdu & { readonly stateKey: string })[]
}

export async function getSpaceHierarchy(
  ctx: RoomContext,
  requester: Requester,
  rootId: RoomId,
  query: HierarchyQuery,
): Promise<Result<HierarchyPage, ServerError>> {
  let skip = 0
  if (query.from !== undefined) {
    const token = decodeHierarchyToken(query.from)
    if (!token.ok) return token
    if (token.value.root !== rootId) {
      return err(serverError('M_INVALID_PARAM', 'from is a token for another room'))
    }
    if (
      token.value.suggestedOnly !== query.suggestedOnly ||
      token.value.maxDepth !== query.maxDepth
    ) {
      return err(
        serverError(
          'M_INVALID_PARAM',
          'suggested_only and max_depth cannot change on paginated requests',
        ),
      )
    }
    skip = token.value.skip
  }
  const limit = Math.min(query.limit ?? DEFAULT_HIERARCHY_LIMIT, MAX_HIERARCHY_LIMIT)
  const maxDepth = Math.min(query.maxDepth ?? MAX_HIERARCHY_DEPTH, MAX_HIERARCHY_DEPTH)
  const user = requester.userId

  const root = await loadRoom(ctx, rootId)
  if (root === undefined || !(await maySee(ctx, root, user))) {
    return err(forbidden(`You may not view room ${rootId}`))
  }

  const stack: { readonly roomId: RoomId; readonly depth: number }[] = [
    { roomId: rootId, depth: 0 },
  ]
  const seen = new Set<RoomId>()
  const rooms: SpaceHierarchyRoom[] = []
  let visible = 0
  let more = false
  while (stack.length > 0 && seen.size < MAX_HIERARCHY_ROOMS) {
    const next = stack.pop()
    if (next === undefined || seen.has(next.roomId)) continue
    seen.add(next.roomId)
    const room = next.roomId === rootId ? root : await loadRoom(ctx, next.roomId)
    if (room === undefined || !(await maySee(ctx, room, user))) continue
    if (visible >= skip && rooms.length === limit) {
      // One room past the page: there is a next page.
      more = true
      break
    }
    if (visible >= skip) rooms.push(await describe(ctx, room, query.suggestedOnly))
    visible++
    if (next.depth < maxDepth) {
      const children = childrenToWalk(room, query.suggestedOnly)
      // Pushed last-first, so that the first child is walked next.
      for (let i = children.length - 1; i >= 0; i--) {
        const roomId = children[i]
        if (roomId !== undefined) stack.push({ roomId, depth: next.depth + 1 })
      }
    }
  }
  if (!more) return ok({ rooms })
  const nextBatch = encodeHierarchyToken({
    root: rootId,
    suggestedOnly: query.suggestedOnly,
    maxDepth: query.maxDepth,
    skip: skip + rooms.length,
  })
  return ok({ rooms, next_batch: nextBatch })
}

async function loadRoom(ctx: RoomContext, roomId: RoomId): Promise<LoadedRoom | undefined> {
  const rules = await ctx.pipeline.roomRules(roomId)
  if (rules === undefined) return undefined
  const events = await ctx.deps.storage.rooms.getCurrentStateEvents(roomId, SUMMARY_TYPES)
  const state = new Map<string, Pdu>()
  const children: (Pdu & { readonly stateKey: string })[] = []
  for (const { pdu } of events) {
    if (pdu.stateKey === undefined) continue
    if (pdu.type === 'm.space.child') {
      if (hasValidVia(pdu.content)) children.push({ ...pdu, stateKey: pdu.stateKey })
    } else if (pdu.stateKey === '') {
      state.set(pdu.type, pdu)
    }
  }
  const isSpace = state.get('m.room.create')?.content['type'] === 'm.space'
  return { roomId, rules, state, children: isSpace ? children.sort(compareChildren) : [] }
}

/** The spec's list of who may see a room in the hierarchy (see the header). */
async function maySee(ctx: RoomContext, room: LoadedRoom, user: UserId): Promise<boolean> {
  const membership = (await ctx.deps.storage.rooms.getMembership(room.roomId, user))?.membership
  if (membership === 'ban') return false
  if (membership === 'join' || membership === 'invite') return true
  const joinRules = room.state.get('m.room.join_rules')
  const rule = joinRules?.content['join_rule']
  if (rule === 'public') return true
  if (rule === 'knock' && room.rules.auth.knocking) return true
  if (rule === 'knock_restricted' && room.rules.auth.knockRestrictedJoinRule) return true
  if (historyVisibilityOf(room.state.get('m.room.history_visibility')) === 'world_readable') {
    return true
  }
  if (joinRules !== undefined && isRestricted(joinRules, room.rules)) {
    return (await checkAllow(ctx, allowedRoomIds(joinRules), user)) === 'satisfied'
  }
  return false
}

async function describe(
  ctx: RoomContext,
  room: LoadedRoom,
  suggestedOnly: boolean,
): Promise<SpaceHierarchyRoom> {
  const contentOf = (type: string): JsonObject => room.state.get(type)?.content ?? {}
  const text = (type: string, key: string): string | undefined => {
    const value: JsonValue | undefined = contentOf(type)[key]
    return typeof value === 'string' ? value : undefined
  }
  const joined = await ctx.deps.storage.rooms.joinedMembers(room.roomId)
  const alias = text('m.room.canonical_alias', 'alias')
  const joinRules = room.state.get('m.room.join_rules')
  const allowed =
    joinRules !== undefined && isRestricted(joinRules, room.rules) ? allowedRoomIds(joinRules) : []
  const roomType = text('m.room.create', 'type')
  const encryption = text('m.room.encryption', 'algorithm')
  const optional: Record<string, string | readonly RoomId[] | undefined> = {
    join_rule: text('m.room.join_rules', 'join_rule'),
    name: text('m.room.name', 'name'),
    topic: text('m.room.topic', 'topic'),
    canonical_alias: alias !== undefined && parseRoomAlias(alias).ok ? alias : undefined,
    avatar_url: text('m.room.avatar', 'url'),
    room_type: roomType,
    allowed_room_ids: allowed.length > 0 ? allowed : undefined,
    encryption: encryption === MEGOLM ? encryption : undefined,
  }
  return {
    room_id: room.roomId,
    num_joined_members: joined.length,
    world_readable:
      historyVisibilityOf(room.state.get('m.room.history_visibility')) === 'world_readable',
    guest_can_join: text('m.room.guest_access', 'guest_access') === 'can_join',
    ...Object.fromEntries(Object.entries(optional).filter(([, value]) => value !== undefined)),
    room_version: room.rules.id,
    children_state: room.children
      .filter((child) => !suggestedOnly || isSuggested(child))
      .map((child) => ({
        type: child.type,
        state_key: child.stateKey,
        sender: child.sender,
        content: child.content,
        origin_server_ts: child.originServerTs,
      })),
  }
}

/** The child rooms to walk into: those with a room ID for a state key. */
function childrenToWalk(room: LoadedRoom, suggestedOnly: boolean): RoomId[] {
  const out: RoomId[] = []
  for (const child of room.children) {
    if (suggestedOnly && !isSuggested(child)) continue
    const roomId = parseRoomId(child.stateKey)
    if (roomId.ok) out.push(roomId.value)
  }
  return out
}

/** A child whose `via` is missing or invalid is not part of the space (§m.space.child). */
function hasValidVia(content: JsonObject): boolean {
  const via = content['via']
  return Array.isArray(via) && via.length > 0 && via.every((server) => typeof server === 'string')
}

function isSuggested(child: Pdu): boolean {
  return child.content['suggested'] === true
}

/**
 * §Ordering of children within a space: a valid `order` first, by code point; then by the
 * child event's timestamp; then by room ID.
 */
export function compareChildren(
  a: Pdu & { readonly stateKey: string },
  b: Pdu & { readonly stateKey: string },
): number {
  const orderA = validOrder(a.content)
  const orderB = validOrder(b.content)
  if (orderA !== undefined && orderB === undefined) return -1
  if (orderA === undefined && orderB !== undefined) return 1
  if (orderA !== undefined && orderB !== undefined && orderA !== orderB) {
    // Printable ASCII: UTF-16 order is code-point order.
    return orderA < orderB ? -1 : 1
  }
  if (a.originServerTs !== b.originServerTs) return a.originServerTs - b.originServerTs
  return compareCodePoints(a.stateKey, b.stateKey)
}

function validOrder(content: JsonObject): string | undefined {
  const order = content['order']
  return typeof order === 'string' && VALID_ORDER.test(order) ? order : undefined
}

function compareCodePoints(a: string, b: string): number {
  let i = 0
  let j = 0
  while (i < a.length && j < b.length) {
    const x = a.codePointAt(i) ?? 0
    const y = b.codePointAt(j) ?? 0
    if (x !== y) return x - y
    i += x > 0xffff ? 2 : 1
    j += y > 0xffff ? 2 : 1
  }
  return a.length - i - (b.length - j)
}

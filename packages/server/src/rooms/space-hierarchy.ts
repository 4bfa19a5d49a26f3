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
 * - A room this server is in is described from its own state. Another room (the root too) is
 *   asked of the servers in the `via` of the child event that leads to it (for the root, which
 *   has none, the server of its room ID and that of the requester's invite) with
 *   `GET /_matrix/federation/v1/hierarchy` (federation/queries/remote-hierarchy.ts, which keeps
 *   answers five minutes). The answer's `room` is that room's chunk, shown by the same rules read
 *   from the chunk (space-hierarchy-remote.ts); its `children`, which that server already chose
 *   for this one, describe the next level without asking again, except a space that is to be
 *   walked further, whose own children only an answer about it lists; its
 *   `inaccessible_children` are not asked about. A room no server answers for is skipped, though
 *   it stays in its space's `children_state`; one this server holds but has left is then
 *   described from the state it kept.
 * - Pages are found again by walking from the root (space-hierarchy-token.ts), which the kept
 *   answers make give the same rooms. One request asks about ten rooms at most: a page that
 *   would need more ends early, with a `next_batch` that carries on from there.
 * - With federation switched off, and for federation's own answer (`localOnly`), nothing is
 *   asked and only rooms this server holds are described.
 */
import {
  err,
  ok,
  parseRoomAlias,
  parseRoomId,
  parseServerName,
  roomIdServerName,
  userIdServerName,
  type JsonObject,
  type JsonValue,
  type Pdu,
  type Result,
  type RoomId,
  type RoomVersionRules,
  type ServerName,
  type UserId,
} from '@rhizome/core'
import type { Requester } from '../http/authenticate.js'
import { forbidden, serverError, type ServerError } from '../http/errors.js'
import { historyVisibilityOf } from './history-visibility.js'
import { allowedRoomIds, checkAllow, isRestricted } from './restricted-join.js'
import type { RoomContext } from './room-context.js'
import {
  mayShowRemoteRoom,
  type RemoteChildRoom,
  type RemoteHierarchySource,
} from './space-hierarchy-remote.js'
import { decodeHierarchyToken, encodeHierarchyToken } from './space-hierarchy-token.js'

export interface HierarchyQuery {
  readonly suggestedOnly: boolean
  readonly maxDepth?: number
  readonly limit?: number
  /** A `next_batch` of an earlier page. */
  readonly from?: string
  /** Describes only the rooms this server holds, asking no other server. */
  readonly localOnly?: boolean
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
  /** Absent only from other servers' descriptions, which older servers give without it. */
  readonly room_version?: string
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
/** Rooms one request asks other servers about, at most (answers kept are not counted). */
export const MAX_HIERARCHY_ASKS = 10

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

/** One room the walk is to look at, and how it was reached. */
interface Step {
  readonly roomId: RoomId
  readonly depth: number
  /** The servers the child event names: those to ask when this server is not in the room. */
  readonly via: readonly ServerName[]
  /** The room as its parent's server described it, when the parent is another server's. */
  readonly summary?: RemoteChildRoom
  /** Whether its parent's server said no server may see it. */
  readonly inaccessible?: boolean
}

/** A room the walk reached: held here, or described by another server. */
type Found =
  | { readonly kind: 'local'; readonly room: LoadedRoom }
  | {
      readonly kind: 'remote'
      /** Its `children_state` already limited to spaces, as local rooms' are. */
      readonly room: SpaceHierarchyRoom
      readonly children: ReadonlyMap<RoomId, RemoteChildRoom>
      readonly inaccessible: ReadonlySet<RoomId>
    }

/** The walk must ask another server, and this request may ask no more. */
const NO_ASKS_LEFT = 'no asks left'

interface Walk {
  readonly ctx: RoomContext
  readonly user: UserId
  readonly suggestedOnly: boolean
  readonly maxDepth: number
  readonly remote: RemoteHierarchySource | undefined
  asksLeft: number
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
  const walk: Walk = {
    ctx,
    user: requester.userId,
    suggestedOnly: query.suggestedOnly,
    maxDepth,
    remote: query.localOnly === true ? undefined : ctx.deps.federation?.hierarchy,
    asksLeft: MAX_HIERARCHY_ASKS,
  }

  const rootStep: Step = { roomId: rootId, depth: 0, via: await rootServers(walk, rootId) }
  const root = await resolve(walk, rootStep)
  if (root === undefined || root === NO_ASKS_LEFT || !(await maySee(walk, root))) {
    return err(forbidden(`You may not view room ${rootId}`))
  }

  const stack: Step[] = [rootStep]
  const seen = new Set<RoomId>()
  const rooms: SpaceHierarchyRoom[] = []
  let visible = 0
  let more = false
  while (stack.length > 0 && seen.size < MAX_HIERARCHY_ROOMS) {
    const next = stack.pop()
    if (next === undefined || seen.has(next.roomId)) continue
    const found = next.roomId === rootId ? root : await resolve(walk, next)
    if (found === NO_ASKS_LEFT) {
      // The next request starts from this room, with the answers asked so far kept.
      more = true
      break
    }
    seen.add(next.roomId)
    if (found === undefined || !(await maySee(walk, found))) continue
    if (visible >= skip && rooms.length === limit) {
      // One room past the page: there is a next page.
      more = true
      break
    }
    if (visible >= skip) rooms.push(await describeFound(walk, found))
    visible++
    if (next.depth < maxDepth) {
      const children = childrenToWalk(walk, found, next.depth + 1)
      // Pushed last-first, so that the first child is walked next.
      for (let i = children.length - 1; i >= 0; i--) {
        const child = children[i]
        if (child !== undefined) stack.push(child)
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

/**
 * The room of a step: this server's own description when it is in the room, else another
 * server's (see the header), else what this server kept of a room it left.
 */
async function resolve(walk: Walk, step: Step): Promise<Found | undefined | typeof NO_ASKS_LEFT> {
  const local = await loadRoom(walk.ctx, step.roomId)
  const kept: Found | undefined = local === undefined ? undefined : { kind: 'local', room: local }
  const { remote } = walk
  if (remote === undefined || step.inaccessible === true) return kept
  if (local !== undefined && (await serverIsIn(walk.ctx, step.roomId))) return kept
  const { summary } = step
  if (summary !== undefined && (summary.room_type !== 'm.space' || step.depth >= walk.maxDepth)) {
    return remoteFound({ ...summary, children_state: summary.children_state ?? [] })
  }
  if (!remote.isKnown(step.roomId, step.via, walk.suggestedOnly)) {
    if (walk.asksLeft === 0) return NO_ASKS_LEFT
    walk.asksLeft--
  }
  const answer = await remote.get(step.roomId, step.via, walk.suggestedOnly)
  if (answer !== undefined) {
    return remoteFound(answer.room, answer.children, answer.inaccessibleChildren)
  }
  if (summary !== undefined) {
    return remoteFound({ ...summary, children_state: summary.children_state ?? [] })
  }
  return kept
}

function remoteFound(
  room: SpaceHierarchyRoom,
  children: ReadonlyMap<RoomId, RemoteChildRoom> = new Map(),
  inaccessible: ReadonlySet<RoomId> = new Set(),
): Found {
  const isSpace = room.room_type === 'm.space'
  return {
    kind: 'remote',
    room: { ...room, children_state: isSpace ? room.children_state : [] },
    children,
    inaccessible,
  }
}

/** Whether a user of this server is joined to the room: its state is then current. */
async function serverIsIn(ctx: RoomContext, roomId: RoomId): Promise<boolean> {
  const members = await ctx.deps.storage.rooms.joinedMembers(roomId)
  return members.some((member) => userIdServerName(member) === ctx.deps.serverName)
}

/**
 * Who to ask about a root this server is not in, no child event naming servers for it: the
 * server that sent the requester's membership (an invite's), then the server of the room ID.
 */
async function rootServers(walk: Walk, rootId: RoomId): Promise<ServerName[]> {
  const { ctx } = walk
  if (walk.remote === undefined) return []
  if ((await ctx.pipeline.roomRules(rootId)) !== undefined && (await serverIsIn(ctx, rootId))) {
    return []
  }
  const servers: ServerName[] = []
  const membership = await ctx.deps.storage.rooms.getMembership(rootId, walk.user)
  const event = membership === undefined ? undefined : await ctx.pdus.loadOne(membership.eventId)
  if (event !== undefined) servers.push(userIdServerName(event.sender))
  const own = roomIdServerName(rootId)
  if (own !== undefined) servers.push(own)
  return servers
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
function maySee(walk: Walk, found: Found): Promise<boolean> {
  return found.kind === 'local'
    ? maySeeLocal(walk.ctx, found.room, walk.user)
    : mayShowRemoteRoom(walk.ctx.deps.storage.rooms, found.room, walk.user)
}

async function maySeeLocal(ctx: RoomContext, room: LoadedRoom, user: UserId): Promise<boolean> {
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

function describeFound(walk: Walk, found: Found): Promise<SpaceHierarchyRoom> {
  if (found.kind === 'local') return describe(walk.ctx, found.room, walk.suggestedOnly)
  return Promise.resolve({
    ...found.room,
    children_state: remoteChildEvents(found.room, walk.suggestedOnly),
  })
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
      .filter((child) => !suggestedOnly || isSuggested(child.content))
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
function childrenToWalk(walk: Walk, found: Found, depth: number): Step[] {
  const out: Step[] = []
  if (found.kind === 'local') {
    for (const child of found.room.children) {
      if (walk.suggestedOnly && !isSuggested(child.content)) continue
      const roomId = parseRoomId(child.stateKey)
      if (roomId.ok) out.push({ roomId: roomId.value, depth, via: viaOf(child.content) })
    }
    return out
  }
  for (const event of remoteChildEvents(found.room, walk.suggestedOnly)) {
    const roomId = parseRoomId(event.state_key)
    if (!roomId.ok) continue
    const summary = found.children.get(roomId.value)
    out.push({
      roomId: roomId.value,
      depth,
      via: viaOf(event.content),
      ...(summary === undefined ? {} : { summary }),
      ...(found.inaccessible.has(roomId.value) ? { inaccessible: true } : {}),
    })
  }
  return out
}

/** Another server's child events of a space, those asked for, in the spec's order. */
function remoteChildEvents(
  room: SpaceHierarchyRoom,
  suggestedOnly: boolean,
): StrippedChildStateEvent[] {
  return room.children_state
    .filter((event) => !suggestedOnly || isSuggested(event.content))
    .map((event) => ({
      event,
      order: {
        content: event.content,
        originServerTs: event.origin_server_ts,
        stateKey: event.state_key,
      },
    }))
    .sort((a, b) => compareChildren(a.order, b.order))
    .map(({ event }) => event)
}

/** The server names in a child event's `via`, in its order; what is not one is passed over. */
function viaOf(content: JsonObject): ServerName[] {
  const via = content['via']
  const out: ServerName[] = []
  if (!Array.isArray(via)) return out
  for (const entry of via as readonly JsonValue[]) {
    const server = typeof entry === 'string' ? parseServerName(entry) : undefined
    if (server?.ok === true) out.push(server.value)
  }
  return out
}

/** A child whose `via` is missing or invalid is not part of the space (§m.space.child). */
function hasValidVia(content: JsonObject): boolean {
  const via = content['via']
  return Array.isArray(via) && via.length > 0 && via.every((server) => typeof server === 'string')
}

function isSuggested(content: JsonObject): boolean {
  return content['suggested'] === true
}

/** What the order of children is decided by: a child event, here or as a stripped event. */
export interface ChildOrderKey {
  readonly content: JsonObject
  readonly originServerTs: number
  readonly stateKey: string
}

/**
 * §Ordering of children within a space: a valid `order` first, by code point; then by the
 * child event's timestamp; then by room ID.
 */
export function compareChildren(a: ChildOrderKey, b: ChildOrderKey): number {
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

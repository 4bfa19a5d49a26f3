/**
 * Checking another server's answer to `GET /_matrix/federation/v1/hierarchy/{roomId}`
 * (server-server-api §Spaces) before a client sees a word of it. The answer is refused whole
 * when its `room` is missing, malformed or another room than the one asked for. A child without
 * the fields the spec requires (`room_id`, `num_joined_members`, `world_readable`,
 * `guest_can_join`) is dropped, as is a `m.space.child` event without a valid `via`; optional
 * fields of the wrong type are left out, and only the fields a SpaceHierarchyRoomsChunk has are
 * passed on. Missing `children` or `inaccessible_children` are taken as empty lists.
 */
import {
  isJsonObject,
  parseRoomAlias,
  parseRoomId,
  parseUserId,
  type JsonObject,
  type JsonValue,
  type RoomId,
  type UserId,
} from '@rhizome/core'
import type { RemoteChildRoom, RemoteSpaceHierarchy } from '../../rooms/space-hierarchy-remote.js'
import type { StrippedChildStateEvent } from '../../rooms/space-hierarchy.js'

/** Rooms and child events kept from one answer, at most: what one answer may cost. */
const MAX_CHILDREN = 1000

/** The only algorithm SpaceHierarchyRoomsChunk's `encryption` may name. */
const MEGOLM = 'm.megolm.v1.aes-sha2'

const OPTIONAL_STRINGS = ['join_rule', 'name', 'topic', 'avatar_url', 'room_type', 'room_version']

/** The checked answer, or undefined when its `room` is not a description of `roomId`. */
export function readHierarchyAnswer(
  body: JsonValue,
  roomId: RoomId,
): RemoteSpaceHierarchy | undefined {
  if (!isJsonObject(body)) return undefined
  const room = readRoom(body['room'])
  if (room === undefined || room.room_id !== roomId) return undefined
  const children = new Map<RoomId, RemoteChildRoom>()
  const listed = body['children']
  if (Array.isArray(listed)) {
    for (const entry of (listed as readonly JsonValue[]).slice(0, MAX_CHILDREN)) {
      const child = readRoom(entry)
      if (child !== undefined && child.room_id !== roomId && !children.has(child.room_id)) {
        children.set(child.room_id, child)
      }
    }
  }
  const inaccessible = new Set<RoomId>()
  const unseen = body['inaccessible_children']
  if (Array.isArray(unseen)) {
    for (const entry of (unseen as readonly JsonValue[]).slice(0, MAX_CHILDREN)) {
      const id = typeof entry === 'string' ? parseRoomId(entry) : undefined
      if (id?.ok === true) inaccessible.add(id.value)
    }
  }
  return {
    room: { ...room, children_state: room.children_state ?? [] },
    children,
    inaccessibleChildren: inaccessible,
  }
}

/** A room description, or undefined when a required field is missing or malformed. */
function readRoom(value: JsonValue | undefined): RemoteChildRoom | undefined {
  if (value === undefined || !isJsonObject(value)) return undefined
  const roomId = typeof value['room_id'] === 'string' ? parseRoomId(value['room_id']) : undefined
  const members = value['num_joined_members']
  const worldReadable = value['world_readable']
  const guestCanJoin = value['guest_can_join']
  if (
    roomId?.ok !== true ||
    typeof members !== 'number' ||
    !Number.isSafeInteger(members) ||
    members < 0 ||
    typeof worldReadable !== 'boolean' ||
    typeof guestCanJoin !== 'boolean'
  ) {
    return undefined
  }
  const optional: Record<string, string | readonly RoomId[]> = {}
  for (const name of OPTIONAL_STRINGS) {
    const text = value[name]
    if (typeof text === 'string') optional[name] = text
  }
  const alias = value['canonical_alias']
  if (typeof alias === 'string' && parseRoomAlias(alias).ok) optional['canonical_alias'] = alias
  if (value['encryption'] === MEGOLM) optional['encryption'] = MEGOLM
  const allowed = readRoomIds(value['allowed_room_ids'])
  if (allowed.length > 0) optional['allowed_room_ids'] = allowed
  const childEvents = value['children_state']
  return {
    room_id: roomId.value,
    num_joined_members: members,
    world_readable: worldReadable,
    guest_can_join: guestCanJoin,
    ...optional,
    ...(Array.isArray(childEvents)
      ? { children_state: readChildEvents(childEvents as readonly JsonValue[]) }
      : {}),
  }
}

function readRoomIds(value: JsonValue | undefined): RoomId[] {
  if (!Array.isArray(value)) return []
  const out: RoomId[] = []
  for (const entry of (value as readonly JsonValue[]).slice(0, MAX_CHILDREN)) {
    const id = typeof entry === 'string' ? parseRoomId(entry) : undefined
    if (id?.ok === true) out.push(id.value)
  }
  return out
}

/** The `m.space.child` events that are well formed and name a room with a valid `via`. */
function readChildEvents(events: readonly JsonValue[]): StrippedChildStateEvent[] {
  const out: StrippedChildStateEvent[] = []
  for (const event of events.slice(0, MAX_CHILDREN)) {
    if (!isJsonObject(event) || event['type'] !== 'm.space.child') continue
    const stateKey = event['state_key']
    const sender = event['sender']
    const ts = event['origin_server_ts']
    const content = event['content']
    if (
      typeof stateKey !== 'string' ||
      !parseRoomId(stateKey).ok ||
      typeof sender !== 'string' ||
      !parseUserId(sender).ok ||
      typeof ts !== 'number' ||
      !Number.isSafeInteger(ts) ||
      !isJsonObject(content) ||
      !hasValidVia(content)
    ) {
      continue
    }
    out.push({
      type: 'm.space.child',
      state_key: stateKey,
      sender: sender as UserId,
      content,
      origin_server_ts: ts,
    })
  }
  return out
}

/** A child whose `via` is missing or invalid is not part of the space (§m.space.child). */
function hasValidVia(content: JsonObject): boolean {
  const via = content['via']
  return Array.isArray(via) && via.length > 0 && via.every((server) => typeof server === 'string')
}

/**
 * The parts of a space that live on other servers, as `GET /hierarchy` over federation
 * (server-server-api §Spaces) describes them, and what the client walk (space-hierarchy.ts)
 * does with them: who may see such a room, and which of its children to walk next.
 *
 * The other server has already left out what the asking server could neither peek at nor join;
 * the rules for the requesting user are applied here, from the description alone, since this
 * server holds none of the room's state: a room is shown to a user who is joined or invited
 * (as far as this server knows), when its join rule is `public` (also when it names none, as the
 * spec says to assume), `knock` or `knock_restricted`, when it is `world_readable`, or when it is
 * `restricted` and the user is joined to one of its allowed rooms.
 */
import type { RoomId, ServerName, UserId } from '@rhizome/core'
import type { Storage } from '../storage/interface.js'
import type { SpaceHierarchyRoom, StrippedChildStateEvent } from './space-hierarchy.js'

/** A child as the `children` of an answer describe it: its own children may be missing. */
export type RemoteChildRoom = Omit<SpaceHierarchyRoom, 'children_state'> & {
  readonly children_state?: readonly StrippedChildStateEvent[]
}

/** One checked answer of `GET /_matrix/federation/v1/hierarchy/{roomId}`. */
export interface RemoteSpaceHierarchy {
  /** The room asked for, with its `m.space.child` events. */
  readonly room: SpaceHierarchyRoom
  /** Its children that the answering server lets the asking server see, by room ID. */
  readonly children: ReadonlyMap<RoomId, RemoteChildRoom>
  /** Its children no server should be asked about again. */
  readonly inaccessibleChildren: ReadonlySet<RoomId>
}

/** Where the walk gets the rooms this server does not hold (federation/queries/remote-hierarchy.ts). */
export interface RemoteHierarchySource {
  /** Whether the answer (or that none came) is at hand, so that `get` asks nobody. */
  isKnown(roomId: RoomId, via: readonly ServerName[], suggestedOnly: boolean): boolean
  /** The room's answer from the first of `via` to give one; undefined when none did. */
  get(
    roomId: RoomId,
    via: readonly ServerName[],
    suggestedOnly: boolean,
  ): Promise<RemoteSpaceHierarchy | undefined>
}

/** Allowed rooms of a `restricted` room looked at, at most: what one description may cost. */
const MAX_ALLOWED_ROOMS_CHECKED = 50

/** Whether `user` may see a room of another server, by the rules of the header. */
export async function mayShowRemoteRoom(
  rooms: Pick<Storage['rooms'], 'getMembership'>,
  room: Omit<SpaceHierarchyRoom, 'children_state'>,
  user: UserId,
): Promise<boolean> {
  const membership = (await rooms.getMembership(room.room_id, user))?.membership
  if (membership === 'ban') return false
  if (membership === 'join' || membership === 'invite') return true
  const rule = room.join_rule ?? 'public'
  if (rule === 'public' || rule === 'knock' || rule === 'knock_restricted') return true
  if (room.world_readable) return true
  if (rule !== 'restricted') return false
  for (const allowed of (room.allowed_room_ids ?? []).slice(0, MAX_ALLOWED_ROOMS_CHECKED)) {
    if ((await rooms.getMembership(allowed, user))?.membership === 'join') return true
  }
  return false
}

/**
 * Checks shared by the handlers of EDUs about rooms and users: a server speaks only for its own
 * users, and only about rooms this server is in.
 */
import {
  parseRoomId,
  parseUserId,
  userIdServerName,
  type RoomId,
  type ServerName,
  type UserId,
} from '@rhizome/core'
import type { RoomStore } from '../../storage/interface.js'

/** The user ID when `raw` is a valid one of `origin`'s users. */
export function userOfOrigin(raw: unknown, origin: ServerName): UserId | undefined {
  if (typeof raw !== 'string') return undefined
  const parsed = parseUserId(raw)
  return parsed.ok && userIdServerName(parsed.value) === origin ? parsed.value : undefined
}

/** The room ID when `raw` is a valid one. */
export function roomIdOf(raw: unknown): RoomId | undefined {
  if (typeof raw !== 'string') return undefined
  const parsed = parseRoomId(raw)
  return parsed.ok ? parsed.value : undefined
}

/**
 * The room's joined members, when this server is in the room (one of its users is joined);
 * undefined otherwise, and for a room it never knew.
 */
export async function membersHere(
  rooms: Pick<RoomStore, 'joinedMembers'>,
  serverName: ServerName,
  roomId: RoomId,
): Promise<ReadonlySet<UserId> | undefined> {
  const members = await rooms.joinedMembers(roomId)
  return members.some((userId) => userIdServerName(userId) === serverName)
    ? new Set(members)
    : undefined
}

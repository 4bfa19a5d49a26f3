import type { EventId, RoomId, UserId } from '@rhizome/core'

/**
 * Rooms users have forgotten (client-server-api §Leaving rooms, `/forget`). A room is forgotten
 * at one membership event of the user (their leave or ban); as soon as their membership changes
 * again (they are re-invited, rejoin or knock), the room is no longer forgotten, with nothing to
 * clear: the record names a membership event that is no longer current.
 */
export interface ForgottenRoomStore {
  /** Records that `userId` forgot `roomId` while `membershipEventId` was their membership. */
  forgetRoom(userId: UserId, roomId: RoomId, membershipEventId: EventId): Promise<void>
  /** Whether the user forgot the room and their membership has not changed since. */
  isForgotten(userId: UserId, roomId: RoomId): Promise<boolean>
  /** Every room the user forgot and has not returned to. */
  forgottenRooms(userId: UserId): Promise<ReadonlySet<RoomId>>
}

import {
  EventTimeline,
  EventType,
  KnownMembership,
  NotificationCountType,
  type MatrixClient,
  type Room,
} from 'matrix-js-sdk'
import { directRoomIds, parseDirectRooms } from './directRooms'
import type { RoomSummary } from './sortRooms'

function isDirectInvite(room: Room, userId: string): boolean {
  const member = room.getMember(userId)
  return member?.events.member?.getContent()['is_direct'] === true
}

/**
 * An invite carries little state, so a room without a name of its own is named after the
 * person who sent the invite rather than "Empty room".
 */
function inviteName(room: Room, userId: string): string {
  const named: unknown = room
    .getLiveTimeline()
    .getState(EventTimeline.FORWARDS)
    ?.getStateEvents(EventType.RoomName, '')
    ?.getContent()['name']
  if ((typeof named === 'string' && named !== '') || room.getCanonicalAlias() !== null) {
    return room.name
  }
  const inviter = room.getMember(userId)?.events.member?.getSender()
  if (inviter === undefined) return room.name
  return room.getMember(inviter)?.name ?? inviter
}

/** Summarises the rooms the user has joined or been invited to, for the room list. */
export function roomSummaries(client: MatrixClient): RoomSummary[] {
  const userId = client.getSafeUserId()
  const direct = directRoomIds(
    parseDirectRooms(client.getAccountData(EventType.Direct)?.getContent()),
  )
  return client.getRooms().flatMap((room): RoomSummary[] => {
    const membership: string = room.getMyMembership()
    const invite = membership === (KnownMembership.Invite as string)
    if (!invite && membership !== (KnownMembership.Join as string)) return []
    return [
      {
        roomId: room.roomId,
        name: invite ? inviteName(room, userId) : room.name,
        membership: invite ? 'invite' : 'join',
        isDirect: direct.has(room.roomId) || (invite && isDirectInvite(room, userId)),
        lastActivity: room.getLastActiveTimestamp(),
        unread: room.getUnreadNotificationCount(NotificationCountType.Total),
        highlights: room.getUnreadNotificationCount(NotificationCountType.Highlight),
        encrypted: room.hasEncryptionStateEvent(),
      },
    ]
  })
}

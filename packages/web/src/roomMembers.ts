import {
  EventTimeline,
  EventType,
  KnownMembership,
  type MatrixClient,
  type Room,
} from 'matrix-js-sdk'
import { isUserId } from './directRooms'
import { creatorsOutrank, type PowerLevels, type RoomPower } from './roomPower'

const MEGOLM = 'm.megolm.v1.aes-sha2'

/** The state event of a type (with an empty state key) as the room stands now. */
export function currentStateEvent(room: Room, type: string) {
  return room.getLiveTimeline().getState(EventTimeline.FORWARDS)?.getStateEvents(type, '') ?? null
}

/** Reads the power levels and creators from a room's current state. */
export function roomPower(room: Room): RoomPower {
  const levels = currentStateEvent(room, EventType.RoomPowerLevels)?.getContent<PowerLevels>()
  const create = currentStateEvent(room, EventType.RoomCreate)
  const creator = create?.getSender()
  const extra: unknown = create?.getContent()['additional_creators']
  const additional = Array.isArray(extra)
    ? extra.filter((id): id is string => typeof id === 'string')
    : []
  return {
    levels,
    creators: creator === undefined ? additional : [creator, ...additional],
    creatorsOutrank: creatorsOutrank(room.getVersion()),
  }
}

export interface MemberRow {
  readonly userId: string
  readonly name: string
  readonly membership: 'join' | 'invite' | 'ban'
}

const SHOWN: readonly string[] = [KnownMembership.Join, KnownMembership.Invite, KnownMembership.Ban]

/** Joined members first, then invited, then banned, each by name. */
export function memberRows(room: Room): MemberRow[] {
  const rank = (membership: string): number => SHOWN.indexOf(membership)
  return room
    .getMembers()
    .filter((member) => SHOWN.includes(member.membership ?? ''))
    .map((member) => ({
      userId: member.userId,
      name: member.name,
      membership: member.membership as MemberRow['membership'],
    }))
    .sort(
      (a, b) =>
        rank(a.membership) - rank(b.membership) ||
        a.name.localeCompare(b.name) ||
        a.userId.localeCompare(b.userId),
    )
}

export async function inviteMember(client: MatrixClient, roomId: string, userId: string) {
  const target = userId.trim()
  if (!isUserId(target)) throw new Error('A user ID looks like @name:server.')
  await client.invite(roomId, target)
}

export async function moderate(
  client: MatrixClient,
  roomId: string,
  userId: string,
  action: 'kick' | 'ban' | 'unban',
  reason: string,
): Promise<void> {
  const why = reason.trim() === '' ? undefined : reason.trim()
  if (action === 'kick') await client.kick(roomId, userId, why)
  else if (action === 'ban') await client.ban(roomId, userId, why)
  else await client.unban(roomId, userId)
}

/** Turns on end-to-end encryption for a room; it can never be turned off. */
export async function enableEncryption(client: MatrixClient, roomId: string): Promise<void> {
  await client.sendStateEvent(roomId, EventType.RoomEncryption, { algorithm: MEGOLM }, '')
}

/**
 * Joining a `restricted` (or `knock_restricted`) room without an invite (client-server-api
 * §Restricted rooms): the joiner must be in one of the rooms the join rules' `allow` list names,
 * and a user of a server in the room with the power to invite must vouch for the join through
 * `join_authorised_via_users_server`, which the auth rules check (rooms/v8 rule 4.3.2). Here both
 * the joiner's other rooms and the authorising user must be local: a room this server does not
 * hold cannot be checked without federation.
 */
import {
  isJsonObject,
  namedPowerLevel,
  parseRoomId,
  parseUserId,
  powerLevelsFromState,
  StateMap,
  userIdServerName,
  userPowerLevel,
  type EventId,
  type JsonValue,
  type Pdu,
  type UserId,
} from '@rhizome/core'
import type { RoomSnapshot } from './event-pipeline.js'
import { membershipOf } from './history-visibility.js'
import type { RoomContext } from './room-context.js'

/**
 * The local user who may authorise `user`'s join, or undefined when the room is not restricted,
 * the user satisfies no allow condition here, or no local member can vouch.
 */
export async function restrictedJoinAuthoriser(
  ctx: RoomContext,
  room: RoomSnapshot,
  user: UserId,
): Promise<UserId | undefined> {
  if (!room.rules.auth.restrictedJoinRule) return undefined
  const joinRules = await room.stateEvent('m.room.join_rules', '')
  const rule = joinRules?.content['join_rule']
  const restricted =
    rule === 'restricted' ||
    (rule === 'knock_restricted' && room.rules.auth.knockRestrictedJoinRule)
  if (joinRules === undefined || !restricted) return undefined
  if (!(await satisfiesAllow(ctx, joinRules, user))) return undefined
  return findAuthoriser(ctx, room)
}

async function satisfiesAllow(ctx: RoomContext, joinRules: Pdu, user: UserId): Promise<boolean> {
  const allow: JsonValue | undefined = joinRules.content['allow']
  if (!Array.isArray(allow)) return false
  for (const condition of allow as readonly JsonValue[]) {
    if (!isJsonObject(condition) || condition['type'] !== 'm.room_membership') continue
    const roomId =
      typeof condition['room_id'] === 'string' ? parseRoomId(condition['room_id']) : undefined
    if (roomId === undefined || !roomId.ok) continue
    const membership = await ctx.deps.storage.rooms.getMembership(roomId.value, user)
    if (membership?.membership === 'join') return true
  }
  return false
}

/** A local joined member with the power to invite, the most powerful first. */
async function findAuthoriser(ctx: RoomContext, room: RoomSnapshot): Promise<UserId | undefined> {
  const { serverName } = ctx.deps
  const candidates: EventId[] = []
  for (const [type, stateKey, eventId] of room.state) {
    if (type === 'm.room.member' && stateKey.endsWith(`:${serverName}`)) candidates.push(eventId)
  }
  const [create, powerLevels] = await Promise.all([
    room.stateEvent('m.room.create', ''),
    room.stateEvent('m.room.power_levels', ''),
  ])
  if (create === undefined) return undefined
  const authState = new StateMap<Pdu>([['m.room.create', '', create]])
  if (powerLevels !== undefined) authState.set('m.room.power_levels', '', powerLevels)
  const inviteLevel = namedPowerLevel(powerLevelsFromState(authState, room.rules), 'invite')
  const members = await ctx.pdus.load(candidates)
  let best: { user: UserId; level: number } | undefined
  for (const member of members.values()) {
    if (member.stateKey === undefined || membershipOf(member) !== 'join') continue
    const parsed = parseUserId(member.stateKey)
    if (!parsed.ok || userIdServerName(parsed.value) !== serverName) continue
    const user = parsed.value
    const level = userPowerLevel(user, authState, room.rules)
    if (level >= inviteLevel && (best === undefined || level > best.level)) best = { user, level }
  }
  return best?.user
}

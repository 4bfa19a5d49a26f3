/**
 * Joining a `restricted` (or `knock_restricted`) room without an invite (client-server-api
 * §Restricted rooms): the joiner must be in one of the rooms the join rules' `allow` list names,
 * and a user of a server in the room with the power to invite must vouch for the join through
 * `join_authorised_via_users_server`, which the auth rules check (rooms/v8 rule 4.3.2). The
 * allowed rooms are checked in the state this server holds of them, and the authorising user is a
 * local one. The joiner may be a user of another server: this server vouches for them when it
 * answers their server's make_join (federation/membership/resident-join.ts).
 *
 * The refusals are those server-server-api §Restricted rooms gives a resident server, which is
 * what this server is for its own rooms: 403 M_FORBIDDEN when every condition it can check
 * fails, 400 M_UNABLE_TO_AUTHORISE_JOIN when it can check none (it holds none of the allowed
 * rooms), 400 M_UNABLE_TO_GRANT_JOIN when the user qualifies but no local member may vouch.
 */
import {
  err,
  isJsonObject,
  namedPowerLevel,
  ok,
  parseRoomId,
  parseUserId,
  powerLevelsFromState,
  StateMap,
  userIdServerName,
  userPowerLevel,
  type EventId,
  type JsonValue,
  type Pdu,
  type Result,
  type RoomId,
  type RoomVersionRules,
  type ServerName,
  type UserId,
} from '@rhizome/core'
import { forbidden, serverError, type ServerError } from '../http/errors.js'
import type { Storage } from '../storage/interface.js'
import type { RoomSnapshot } from './event-pipeline.js'
import { membershipOf } from './history-visibility.js'
import type { PduLoader } from './pdu-loader.js'

/**
 * What the checks read: the memberships this server knows, its name, and events. The room
 * service's context has it, and so does the resident side of federation joins.
 */
export interface RestrictedJoinContext {
  readonly deps: { readonly storage: Pick<Storage, 'rooms'>; readonly serverName: ServerName }
  readonly pdus: Pick<PduLoader, 'load'>
}

/**
 * The local user who vouches for `user`'s join, ok(undefined) when the room's join rule is not a
 * restricted one in its version (the auth rules decide then), or the refusal.
 */
export async function authoriseRestrictedJoin(
  ctx: RestrictedJoinContext,
  room: RoomSnapshot,
  user: UserId,
): Promise<Result<UserId | undefined, ServerError>> {
  const joinRules = await room.stateEvent('m.room.join_rules', '')
  if (joinRules === undefined || !isRestricted(joinRules, room.rules)) return ok(undefined)
  const allowed = allowedRoomIds(joinRules)
  const outcome = await checkAllow(ctx, allowed, user)
  if (outcome === 'unverifiable') {
    return err(
      serverError(
        'M_UNABLE_TO_AUTHORISE_JOIN',
        'This server holds none of the rooms whose members may join this room, so it cannot ' +
          'check whether you are one of them',
      ),
    )
  }
  if (outcome === 'failed') {
    return err(forbidden('You are not a member of any of the rooms whose members may join'))
  }
  const authoriser = await findAuthoriser(ctx, room)
  if (authoriser === undefined) {
    return err(
      serverError(
        'M_UNABLE_TO_GRANT_JOIN',
        'No user of this server in the room has the power to let you in',
      ),
    )
  }
  return ok(authoriser)
}

/** Whether the join rules are `restricted` or `knock_restricted` in a version that has them. */
export function isRestricted(joinRules: Pdu, rules: RoomVersionRules): boolean {
  const rule = joinRules.content['join_rule']
  return (
    (rule === 'restricted' && rules.auth.restrictedJoinRule) ||
    (rule === 'knock_restricted' && rules.auth.knockRestrictedJoinRule)
  )
}

/** The room IDs of the `m.room_membership` conditions of the join rules' `allow` list. */
export function allowedRoomIds(joinRules: Pdu): RoomId[] {
  const allow: JsonValue | undefined = joinRules.content['allow']
  if (!Array.isArray(allow)) return []
  const out: RoomId[] = []
  for (const condition of allow as readonly JsonValue[]) {
    if (!isJsonObject(condition) || condition['type'] !== 'm.room_membership') continue
    const roomId =
      typeof condition['room_id'] === 'string' ? parseRoomId(condition['room_id']) : undefined
    if (roomId?.ok === true && !out.includes(roomId.value)) out.push(roomId.value)
  }
  return out
}

/** Whether `user` is joined to one of the rooms; only rooms this server holds can say. */
export async function checkAllow(
  ctx: RestrictedJoinContext,
  allowed: readonly RoomId[],
  user: UserId,
): Promise<'satisfied' | 'failed' | 'unverifiable'> {
  const { rooms } = ctx.deps.storage
  let known = 0
  for (const roomId of allowed) {
    const membership = await rooms.getMembership(roomId, user)
    if (membership?.membership === 'join') return 'satisfied'
    if (membership !== undefined || (await rooms.getRoom(roomId)) !== undefined) known++
  }
  // No conditions at all is failing them all (server-server-api §Restricted rooms).
  return known === 0 && allowed.length > 0 ? 'unverifiable' : 'failed'
}

/** A local joined member with the power to invite, the most powerful first. */
async function findAuthoriser(
  ctx: RestrictedJoinContext,
  room: RoomSnapshot,
): Promise<UserId | undefined> {
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

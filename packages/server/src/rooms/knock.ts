/**
 * Knocking (client-server-api §Knocking on rooms): a user outside a room whose join rule is
 * `knock` (room versions 7+) or `knock_restricted` (10+) asks to be let in with a `knock`
 * membership. The room's moderators see it in the timeline and answer with an invite (accept) or
 * a kick or ban (reject); the knocker sees the room under `rooms.knock` in /sync until then.
 *
 * A room this server does not hold is knocked on through a server in it (`via`, the alias's
 * servers, the server in the room ID) with `make_knock` / `send_knock` over federation; the knock
 * is then kept as the user's membership here, with the state the resident sent.
 */
import {
  err,
  ok,
  roomIdServerName,
  type JsonObject,
  type Result,
  type RoomId,
  type ServerName,
  type UserId,
} from '@rhizome/core'
import type { Requester } from '../http/authenticate.js'
import { forbidden, notFound, serverError, type ServerError } from '../http/errors.js'
import type { Precheck } from './event-pipeline.js'
import { membershipOf } from './history-visibility.js'
import { locateRoom, withProfile, type MembershipChange } from './membership.js'
import type { RoomTarget } from './room-aliases.js'
import type { RoomContext } from './room-context.js'

export async function knockOnRoom(
  ctx: RoomContext,
  requester: Requester,
  target: RoomTarget,
  change: MembershipChange,
): Promise<Result<RoomId, ServerError>> {
  if (requester.isGuest) {
    return err(serverError('M_GUEST_ACCESS_FORBIDDEN', 'Guests may not knock on rooms'))
  }
  const located = await locateRoom(ctx, target, change.servers ?? [])
  if (!located.ok) return located
  const { roomId } = located.value
  const rules = await ctx.pipeline.roomRules(roomId)
  const user = requester.userId
  const content = await withProfile(ctx, user, { membership: 'knock' })
  if (change.reason !== undefined) content['reason'] = change.reason
  if (rules === undefined) return knockElsewhere(ctx, roomId, user, located.value.servers, content)

  // The auth rules would refuse all of these too; checked first to say why in the spec's words.
  const precheck: Precheck = async (room) => {
    const membership = membershipOf(await room.stateEvent('m.room.member', user))
    if (membership === 'ban') return err(forbidden('You are banned from this room'))
    if (membership === 'join') return err(forbidden('You are already in this room'))
    if (membership === 'invite') {
      return err(forbidden('You are invited to this room already: join it instead'))
    }
    const rule = (await room.stateEvent('m.room.join_rules', ''))?.content['join_rule']
    const knockable =
      (rule === 'knock' && room.rules.auth.knocking) ||
      (rule === 'knock_restricted' && room.rules.auth.knockRestrictedJoinRule)
    if (!knockable) return err(forbidden('This room does not accept knocks'))
    return ok({ kind: 'send' })
  }
  const sent = await ctx.pipeline.send(
    roomId,
    { type: 'm.room.member', stateKey: user, sender: user, content },
    { precheck },
  )
  return sent.ok ? ok(roomId) : sent
}

async function knockElsewhere(
  ctx: RoomContext,
  roomId: RoomId,
  user: UserId,
  via: readonly ServerName[],
  content: JsonObject,
): Promise<Result<RoomId, ServerError>> {
  const { federation } = ctx.deps
  const current = await ctx.deps.storage.rooms.getMembership(roomId, user)
  if (current?.membership === 'invite') {
    return err(forbidden('You are invited to this room already: join it instead'))
  }
  const creator = roomIdServerName(roomId)
  const servers = [...via, ...(creator === undefined ? [] : [creator])]
  if (federation === undefined || servers.length === 0) {
    return err(
      notFound(`Room ${roomId} is not known to this server, and no server to knock through`),
    )
  }
  const knocked = await federation.knockRemote(roomId, user, [...new Set(servers)], content)
  return knocked.ok ? ok(roomId) : knocked
}

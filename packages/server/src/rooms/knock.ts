/**
 * Knocking (client-server-api §Knocking on rooms): a user outside a room whose join rule is
 * `knock` (room versions 7+) or `knock_restricted` (10+) asks to be let in with a `knock`
 * membership. The room's moderators see it in the timeline and answer with an invite (accept) or
 * a kick or ban (reject); the knocker sees the room under `rooms.knock` in /sync until then.
 *
 * Only rooms this server holds can be knocked on: knocking on a room elsewhere goes through
 * `make_knock` / `send_knock` over federation, which is not built yet, so `via` is not used.
 */
import { err, ok, type Result, type RoomId } from '@rhizome/core'
import type { Requester } from '../http/authenticate.js'
import { forbidden, notFound, serverError, type ServerError } from '../http/errors.js'
import type { Precheck } from './event-pipeline.js'
import { membershipOf } from './history-visibility.js'
import { withProfile, type MembershipChange } from './membership.js'
import { resolveRoom, type RoomTarget } from './room-aliases.js'
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
  const resolved = await resolveRoom(ctx, target)
  if (!resolved.ok) return resolved
  const roomId = resolved.value
  const rules = await ctx.pipeline.roomRules(roomId)
  if (rules === undefined) {
    return err(
      notFound(
        `Room ${roomId} is not known to this server, and knocking on rooms on other servers is ` +
          'not supported yet',
      ),
    )
  }
  const user = requester.userId
  const content = await withProfile(ctx, user, { membership: 'knock' })
  if (change.reason !== undefined) content['reason'] = change.reason

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

/** `POST /createRoom` (client-server-api §Creation): checks, then the planned events. */
import {
  DEFAULT_ROOM_VERSION,
  err,
  ok,
  parseUserId,
  roomVersionRules,
  userIdServerName,
  type Result,
  type RoomAlias,
  type RoomId,
  type UserId,
} from '@rhizome/core'
import type { Requester } from '../http/authenticate.js'
import { serverError, type ServerError } from '../http/errors.js'
import { planRoom, type CreateRoomRequest } from './create-room-plan.js'
import type { EventTemplate } from './event-pipeline.js'
import { checkLocalTarget, inviteUser, withProfile } from './membership.js'
import { aliasFromLocalpart, checkAliasFree, takeAlias } from './room-aliases.js'
import type { RoomContext } from './room-context.js'

export async function createRoom(
  ctx: RoomContext,
  requester: Requester,
  request: CreateRoomRequest,
): Promise<Result<RoomId, ServerError>> {
  if (requester.isGuest) {
    return err(serverError('M_GUEST_ACCESS_FORBIDDEN', 'Guests may not create rooms'))
  }
  const version = request.roomVersion ?? DEFAULT_ROOM_VERSION
  const rules = roomVersionRules(version)
  if (rules === undefined) {
    return err(
      serverError(
        'M_UNSUPPORTED_ROOM_VERSION',
        `This server does not support room version ${version}`,
      ),
    )
  }
  // Users of other servers are invited once the room exists: their servers sign those invites.
  const remote = new Set<UserId>()
  for (const invitee of request.invite) {
    if (ctx.deps.federation !== undefined && userIdServerName(invitee) !== ctx.deps.serverName) {
      remote.add(invitee)
      continue
    }
    const local = await checkLocalTarget(ctx, invitee, 'Inviting')
    if (!local.ok) return local
  }
  let alias: RoomAlias | undefined
  if (request.roomAliasName !== undefined) {
    const wanted = aliasFromLocalpart(ctx, request.roomAliasName)
    if (!wanted.ok) return wanted
    const free = await checkAliasFree(ctx, wanted.value)
    if (!free.ok) return free
    alias = wanted.value
  }
  const plan = planRoom(request, requester.userId, rules, alias)
  const created = await ctx.pipeline.createRoom({
    rules,
    creator: requester.userId,
    createContent: plan.createContent,
    events: await withMemberProfiles(
      ctx,
      plan.events.filter((e) => !(e.type === 'm.room.member' && remote.has(e.stateKey as UserId))),
    ),
    isPublic: request.visibility === 'public',
    ...(alias === undefined
      ? {}
      : { reserve: (roomId: RoomId) => takeAlias(ctx, alias, roomId, requester.userId) }),
  })
  if (!created.ok) return created
  const { roomId } = created.value
  for (const invitee of remote) {
    // As other servers do, an invitee's server that refuses or is down does not undo the room.
    await inviteUser(ctx, requester, roomId, invitee, { isDirect: request.isDirect })
  }
  return ok(roomId)
}

/** The creator's join and the invites carry the profiles of the users they are about. */
async function withMemberProfiles(
  ctx: RoomContext,
  events: readonly EventTemplate[],
): Promise<EventTemplate[]> {
  return Promise.all(
    events.map(async (event) => {
      const membership = event.content['membership']
      if (event.type !== 'm.room.member' || event.stateKey === undefined) return event
      if (membership !== 'join' && membership !== 'invite') return event
      const userId = parseUserId(event.stateKey)
      if (!userId.ok) return event
      return { ...event, content: await withProfile(ctx, userId.value, event.content) }
    }),
  )
}

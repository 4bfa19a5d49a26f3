/**
 * Membership changes a client asks for (client-server-api §Room membership): join, invite,
 * leave, kick, ban, unban. Each is one `m.room.member` event through the event pipeline, whose
 * auth rules have the last word; the checks here only give the answers the spec describes for
 * cases the auth rules would allow (re-inviting an invited user is a no-op, kicking someone who is
 * not in the room is refused).
 */
import {
  err,
  isJsonObject,
  ok,
  roomAliasServerName,
  roomIdServerName,
  userIdServerName,
  type EventId,
  type JsonObject,
  type JsonValue,
  type Result,
  type RoomId,
  type ServerName,
  type UserId,
} from '@rhizome/core'
import type { Requester } from '../http/authenticate.js'
import { forbidden, notFound, serverError, type ServerError } from '../http/errors.js'
import { parseStrippedList, STRIPPED_STATE_TYPES } from '../sync/stripped-state.js'
import type { Countersign, Precheck, RoomSnapshot } from './event-pipeline.js'
import { membershipOf } from './history-visibility.js'
import { leaveLocally } from './out-of-band-leave.js'
import { authoriseRestrictedJoin } from './restricted-join.js'
import { resolveRoom, type RoomTarget } from './room-aliases.js'
import type { RoomContext } from './room-context.js'

export interface MembershipChange {
  readonly reason?: string
  /** Servers to join or knock through when the room is on other servers (`via`). */
  readonly servers?: readonly ServerName[]
}

/** The joined room. */
export interface Joined {
  readonly roomId: RoomId
}

export async function joinRoom(
  ctx: RoomContext,
  requester: Requester,
  target: RoomTarget,
  change: MembershipChange,
): Promise<Result<Joined, ServerError>> {
  const located = await locateRoom(ctx, target, change.servers ?? [])
  if (!located.ok) return located
  const { roomId, servers } = located.value
  const rules = await ctx.pipeline.roomRules(roomId)
  const user = requester.userId
  const content = await withProfile(ctx, user, { membership: 'join' })
  if (change.reason !== undefined) content['reason'] = change.reason
  if (rules === undefined) return joinElsewhere(ctx, roomId, user, servers, content)

  const precheck: Precheck = async (room) => {
    const current = await room.stateEvent('m.room.member', user)
    if (membershipOf(current) === 'join' && current !== undefined) {
      return ok({ kind: 'unchanged', eventId: current.eventId })
    }
    if (requester.isGuest) {
      const guestAccess = (await room.stateEvent('m.room.guest_access', ''))?.content[
        'guest_access'
      ]
      if (guestAccess !== 'can_join' && membershipOf(current) !== 'invite') {
        return err(serverError('M_GUEST_ACCESS_FORBIDDEN', 'Guests may not join this room'))
      }
    }
    const membership = membershipOf(current)
    // An invite lets the user in whatever the join rule; without one a restricted room wants a
    // voucher.
    if (membership !== 'invite') {
      const authoriser = await authoriseRestrictedJoin(ctx, room, user)
      if (!authoriser.ok) return authoriser
      if (authoriser.value !== undefined) {
        return ok({
          kind: 'send',
          content: { ...content, join_authorised_via_users_server: authoriser.value },
        })
      }
    }
    return ok({ kind: 'send' })
  }
  const sent = await ctx.pipeline.send(
    roomId,
    { type: 'm.room.member', stateKey: user, sender: user, content },
    { precheck },
  )
  return sent.ok ? ok({ roomId }) : sent
}

/** The room a client names, with the servers to reach it through when it is elsewhere. */
export async function locateRoom(
  ctx: RoomContext,
  target: RoomTarget,
  via: readonly ServerName[],
): Promise<Result<{ roomId: RoomId; servers: readonly ServerName[] }, ServerError>> {
  const { federation } = ctx.deps
  if (
    target.kind === 'alias' &&
    federation !== undefined &&
    roomAliasServerName(target.alias) !== ctx.deps.serverName
  ) {
    // Another server's alias: that server names the room and who is in it.
    const remote = await federation.resolveAlias(target.alias)
    if (!remote.ok) return remote
    return ok({ roomId: remote.value.roomId, servers: [...via, ...remote.value.servers] })
  }
  const resolved = await resolveRoom(ctx, target)
  return resolved.ok ? ok({ roomId: resolved.value, servers: via }) : resolved
}

export async function inviteUser(
  ctx: RoomContext,
  requester: Requester,
  roomId: RoomId,
  target: UserId,
  change: MembershipChange & { readonly isDirect?: boolean },
): Promise<Result<EventId, ServerError>> {
  const { federation } = ctx.deps
  // A user of another server: their server signs the invite first (server-server-api §Inviting).
  const remote = userIdServerName(target) !== ctx.deps.serverName && federation !== undefined
  if (!remote) {
    const local = await checkLocalTarget(ctx, target, 'Inviting')
    if (!local.ok) return local
  }
  // The invitee's profile, as other servers add it, so that clients can name who was invited.
  const content = await withProfile(ctx, target, { membership: 'invite' })
  if (change.reason !== undefined) content['reason'] = change.reason
  if (change.isDirect === true) content['is_direct'] = true
  const precheck: Precheck = async (room) => {
    const current = await room.stateEvent('m.room.member', target)
    // The spec's 200 covers "was already invited": nothing new to send.
    if (membershipOf(current) === 'invite' && current !== undefined) {
      return ok({ kind: 'unchanged', eventId: current.eventId })
    }
    return ok({ kind: 'send' })
  }
  const countersign: Countersign | undefined = remote
    ? async (pdu, room) => federation.inviteRemote(pdu, room.rules, await roomStateOf(room))
    : undefined
  const sent = await ctx.pipeline.send(
    roomId,
    { type: 'm.room.member', stateKey: target, sender: requester.userId, content },
    { precheck, ...(countersign === undefined ? {} : { countersign }) },
  )
  return sent.ok ? ok(sent.value.eventId) : sent
}

/** The room's identifying state events, in full, for an invitee's server. */
async function roomStateOf(room: RoomSnapshot): Promise<JsonObject[]> {
  const out: JsonObject[] = []
  for (const type of STRIPPED_STATE_TYPES) {
    const event = await room.stateEvent(type, '')
    if (event !== undefined) out.push(event.json)
  }
  return out
}

export async function leaveRoom(
  ctx: RoomContext,
  requester: Requester,
  roomId: RoomId,
  change: MembershipChange,
): Promise<Result<EventId, ServerError>> {
  const content = withReason({ membership: 'leave' }, change)
  if ((await ctx.pipeline.roomRules(roomId)) === undefined) {
    return leaveElsewhere(ctx, roomId, requester.userId, content)
  }
  return sendMembership(ctx, requester, roomId, requester.userId, content)
}

/**
 * Rejects an invite to, or withdraws a knock on, a room this server does not hold: the leave goes
 * through a server in the room (server-server-api §Leaving Rooms), the inviter's first, or is
 * made here alone when none of them answers (out-of-band-leave.ts).
 */
async function leaveElsewhere(
  ctx: RoomContext,
  roomId: RoomId,
  user: UserId,
  content: JsonObject,
): Promise<Result<EventId, ServerError>> {
  const { storage, federation } = ctx.deps
  const membership = await storage.rooms.getMembership(roomId, user)
  if (membership?.membership === 'leave') return ok(membership.eventId)
  if (
    membership === undefined ||
    (membership.membership !== 'invite' && membership.membership !== 'knock')
  ) {
    return err(notFound(`Room ${roomId} is not known to this server`))
  }
  if (federation === undefined) {
    return err(forbidden('The room is on other servers, and federation is switched off'))
  }
  const servers = await outOfBandServers(ctx, roomId, membership.eventId)
  const left = await federation.leaveRemote(roomId, user, servers, content)
  return left.ok ? left : leaveLocally(ctx, roomId, user, membership.eventId, content)
}

/**
 * Servers that are in a room this server knows only from an invite or a knock: the inviter's,
 * those of the senders of the state that came with it, and the one in the room ID.
 */
export async function outOfBandServers(
  ctx: RoomContext,
  roomId: RoomId,
  eventId: EventId,
): Promise<ServerName[]> {
  const servers: ServerName[] = []
  const event = await ctx.deps.storage.events.getEvent(eventId)
  if (event !== undefined) {
    servers.push(userIdServerName(event.pdu.sender))
    const unsigned = event.pdu.json['unsigned']
    if (isJsonObject(unsigned)) {
      const stripped = parseStrippedList(
        unsigned['invite_room_state'] ?? unsigned['knock_room_state'],
      )
      for (const entry of stripped ?? []) servers.push(userIdServerName(entry.sender))
    }
  }
  const creator = roomIdServerName(roomId)
  if (creator !== undefined) servers.push(creator)
  return [...new Set(servers)].filter((server) => server !== ctx.deps.serverName)
}

export function kickUser(
  ctx: RoomContext,
  requester: Requester,
  roomId: RoomId,
  target: UserId,
  change: MembershipChange,
): Promise<Result<EventId, ServerError>> {
  const content = withReason({ membership: 'leave' }, change)
  return sendMembership(ctx, requester, roomId, target, content, async (room) => {
    const membership = membershipOf(await room.stateEvent('m.room.member', target))
    if (membership !== 'join' && membership !== 'invite' && membership !== 'knock') {
      return err(forbidden(`${target} is not in the room`))
    }
    return ok({ kind: 'send' })
  })
}

export function banUser(
  ctx: RoomContext,
  requester: Requester,
  roomId: RoomId,
  target: UserId,
  change: MembershipChange,
): Promise<Result<EventId, ServerError>> {
  const content = withReason({ membership: 'ban' }, change)
  return sendMembership(ctx, requester, roomId, target, content)
}

export function unbanUser(
  ctx: RoomContext,
  requester: Requester,
  roomId: RoomId,
  target: UserId,
  change: MembershipChange,
): Promise<Result<EventId, ServerError>> {
  const content = withReason({ membership: 'leave' }, change)
  return sendMembership(ctx, requester, roomId, target, content, async (room) => {
    if (membershipOf(await room.stateEvent('m.room.member', target)) !== 'ban') {
      return err(forbidden(`${target} is not banned from the room`))
    }
    return ok({ kind: 'send' })
  })
}

/**
 * Member event content with the user's `displayname` and `avatar_url` (client-server-api §Events
 * on Change of Profile Information), for the joins and invites this server makes for its users.
 * What `content` sets itself wins.
 */
export async function withProfile(
  ctx: RoomContext,
  userId: UserId,
  content: Readonly<Record<string, JsonValue>>,
): Promise<Record<string, JsonValue>> {
  const profile = ctx.deps.profile === undefined ? {} : await ctx.deps.profile(userId)
  const out: Record<string, JsonValue> = {}
  if (profile.displayname !== undefined) out['displayname'] = profile.displayname
  if (profile.avatar_url !== undefined) out['avatar_url'] = profile.avatar_url
  return { ...out, ...content }
}

/**
 * An invitee that must be a local user: the invites of room creation are built with the room,
 * before another server could sign them, so users of other servers are invited afterwards
 * (POST /invite, which asks their server to sign).
 */
export async function checkLocalTarget(
  ctx: RoomContext,
  target: UserId,
  doing: string,
): Promise<Result<void, ServerError>> {
  if (userIdServerName(target) !== ctx.deps.serverName) {
    return err(
      forbidden(`${doing} users of other servers is done with /invite once the room exists`),
    )
  }
  const user = await ctx.deps.storage.accounts.getUser(target)
  if (user === undefined || user.isDeactivated) return err(notFound(`Unknown user ${target}`))
  return ok(undefined)
}

async function sendMembership(
  ctx: RoomContext,
  requester: Requester,
  roomId: RoomId,
  target: UserId,
  content: JsonObject,
  precheck?: (room: RoomSnapshot) => ReturnType<Precheck>,
): Promise<Result<EventId, ServerError>> {
  const sent = await ctx.pipeline.send(
    roomId,
    { type: 'm.room.member', stateKey: target, sender: requester.userId, content },
    precheck === undefined ? {} : { precheck },
  )
  return sent.ok ? ok(sent.value.eventId) : sent
}

function withReason(content: Record<string, JsonValue>, change: MembershipChange): JsonObject {
  if (change.reason !== undefined) content['reason'] = change.reason
  return content
}

/**
 * Joins a room this server is not in, through the servers the client named and the one in the
 * room ID (rooms before v12 carry their creator's server).
 */
async function joinElsewhere(
  ctx: RoomContext,
  roomId: RoomId,
  user: UserId,
  via: readonly ServerName[],
  content: JsonObject,
): Promise<Result<Joined, ServerError>> {
  const federation = ctx.deps.federation
  // Invited (or knocked, then invited): the inviter's server is in the room.
  const membership = await ctx.deps.storage.rooms.getMembership(roomId, user)
  const known =
    membership === undefined ? [] : await outOfBandServers(ctx, roomId, membership.eventId)
  const creator = roomIdServerName(roomId)
  const servers = [...via, ...known, ...(creator === undefined ? [] : [creator])]
  if (federation === undefined || servers.length === 0) {
    return err(
      notFound(`Room ${roomId} is not known to this server, and no server to join through`),
    )
  }
  const joined = await federation.joinRemote(roomId, user, [...new Set(servers)], content)
  if (!joined.ok) return joined
  return ok({ roomId })
}

/**
 * The resident server's half of joining a room over federation (server-server-api §Joining
 * Rooms): `make_join` hands out a join event template on top of the room's forward extremities,
 * and `send_join` (v2) takes the joining server's signed join through the checks on receipt, then
 * answers with the state before it and that state's auth chain, so the new server can check and
 * store the room for itself.
 *
 * In a restricted room (§Restricted rooms) a user who is neither joined nor invited gets in when
 * this server can see them joined to one of the rooms the join rules allow: the template names a
 * local user with the power to invite in `join_authorised_via_users_server`, and `send_join`
 * adds this server's signature to the join, which the auth rules rely on.
 *
 * Not built yet: partial-state joins (`omit_members`).
 */
import {
  err,
  isJsonObject,
  jsonSignature,
  ok,
  parseUntrustedPdu,
  parseUserId,
  redactEvent,
  userIdServerName,
  withSignature,
  type EventId,
  type JsonObject,
  type Result,
  type RoomId,
  type RoomVersionRules,
  type ServerName,
  type UserId,
} from '@rhizome/core'
import { badJson, forbidden, serverError, type ServerError } from '../../http/errors.js'
import type { RoomSnapshot } from '../../rooms/event-pipeline.js'
import { membershipOf } from '../../rooms/history-visibility.js'
import {
  allowedRoomIds,
  authoriseRestrictedJoin,
  checkAllow,
  isRestricted,
} from '../../rooms/restricted-join.js'
import {
  acceptSentEvent,
  makeTemplate,
  type ResidentDeps,
  type TemplateAnswer,
} from './resident-handshake.js'

export type ResidentJoinDeps = ResidentDeps

export type MakeJoinAnswer = TemplateAnswer

export function makeJoin(
  deps: ResidentJoinDeps,
  origin: ServerName,
  roomId: RoomId,
  userId: UserId,
  supportedVersions: readonly string[],
): Promise<Result<MakeJoinAnswer, ServerError>> {
  return makeTemplate(deps, {
    origin,
    roomId,
    userId,
    membership: 'join',
    versions: supportedVersions,
    decide: (room) => restrictedJoinContent(deps, room, userId),
  })
}

/** `join_authorised_via_users_server` when the join needs a voucher, or the refusal. */
async function restrictedJoinContent(
  deps: ResidentJoinDeps,
  room: RoomSnapshot,
  userId: UserId,
): Promise<Result<JsonObject, ServerError>> {
  const membership = membershipOf(await room.stateEvent('m.room.member', userId))
  // Members and invitees join whatever the join rule; the auth rules refuse the banned.
  if (membership === 'join' || membership === 'invite') return ok({})
  const authoriser = await authoriseRestrictedJoin(asContext(deps), room, userId)
  if (!authoriser.ok) return authoriser
  return ok(
    authoriser.value === undefined ? {} : { join_authorised_via_users_server: authoriser.value },
  )
}

export interface SendJoinAnswer {
  readonly origin: ServerName
  readonly event: JsonObject
  readonly state: readonly JsonObject[]
  readonly auth_chain: readonly JsonObject[]
  readonly members_omitted: boolean
  readonly servers_in_room: readonly string[]
}

export async function sendJoin(
  deps: ResidentJoinDeps,
  origin: ServerName,
  roomId: RoomId,
  eventId: EventId,
  body: JsonObject,
): Promise<Result<SendJoinAnswer, ServerError>> {
  const accepted = await acceptSentEvent(deps, {
    origin,
    roomId,
    eventId,
    body,
    membership: 'join',
    prepare: (json, rules) => vouchForJoin(deps, roomId, json, rules),
  })
  if (!accepted.ok) return accepted
  const { pdu } = accepted.value
  const stored = await deps.storage.events.getEvent(pdu.eventId)
  if (stored?.stateGroupBefore === undefined)
    return err(serverError('M_UNKNOWN', 'join not stored'))
  const before = await deps.storage.state.loadState(stored.stateGroupBefore)
  const stateIds = [...before].map(([, , id]) => id)
  // Loaded once: the state's JSON, and where its auth chain starts (a large room's state is
  // most of the answer).
  const stateEvents = await deps.storage.events.getEvents(stateIds)
  const state: JsonObject[] = []
  for (const id of stateIds) {
    const json = jsonOf(stateEvents.get(id)?.json)
    if (json !== undefined) state.push(json)
  }
  const starts = [...stateEvents.values(), stored].flatMap((event) => event.pdu.authEvents)
  const authChain = await authChainOf(deps, starts, new Set(stateIds))
  const members = await deps.storage.rooms.joinedMembers(roomId)
  return ok({
    origin: deps.serverName,
    event: pdu.json,
    state,
    auth_chain: authChain,
    members_omitted: false,
    servers_in_room: [...new Set(members.map(userIdServerName))].sort(),
  })
}

/**
 * A join that names a local user in `join_authorised_via_users_server` gets this server's
 * signature, once the user is seen to meet the join rules still (they may have left the allowed
 * room since make_join). Other joins are left as they are.
 */
async function vouchForJoin(
  deps: ResidentJoinDeps,
  roomId: RoomId,
  body: JsonObject,
  rules: RoomVersionRules,
): Promise<Result<JsonObject, ServerError>> {
  if (!rules.auth.restrictedJoinRule) return ok(body)
  const parsed = parseUntrustedPdu(body, rules, deps.crypto)
  if (!parsed.ok) return err(badJson(parsed.error.error))
  const pdu = parsed.value
  const via = pdu.content['join_authorised_via_users_server']
  const voucher = typeof via === 'string' ? parseUserId(via) : undefined
  if (voucher?.ok !== true || userIdServerName(voucher.value) !== deps.serverName) return ok(body)
  if (pdu.type !== 'm.room.member' || pdu.content['membership'] !== 'join') return ok(body)
  const state = await deps.storage.rooms.getCurrentState(roomId)
  const joinRulesId = state.get('m.room.join_rules', '')
  const joinRules = joinRulesId === undefined ? undefined : await deps.pdus.loadOne(joinRulesId)
  const memberId = state.get('m.room.member', pdu.sender)
  const member = memberId === undefined ? undefined : await deps.pdus.loadOne(memberId)
  const current = membershipOf(member)
  if (joinRules !== undefined && isRestricted(joinRules, rules) && current !== 'join') {
    const outcome = await checkAllow(asContext(deps), allowedRoomIds(joinRules), pdu.sender)
    if (outcome === 'unverifiable') {
      return err(
        serverError(
          'M_UNABLE_TO_AUTHORISE_JOIN',
          'This server holds none of the rooms whose members may join',
        ),
      )
    }
    if (outcome === 'failed' && current !== 'invite') {
      return err(forbidden('The user is not a member of the rooms whose members may join'))
    }
  }
  const signature = jsonSignature(redactEvent(body, rules), deps.signingKey, deps.crypto)
  return ok(withSignature(body, deps.serverName, deps.signingKey.keyId, signature))
}

function asContext(deps: ResidentJoinDeps): Parameters<typeof checkAllow>[0] {
  return { deps: { storage: deps.storage, serverName: deps.serverName }, pdus: deps.pdus }
}

/**
 * Every event reachable through auth_events from `starts` (the auth events of the events the
 * chain is for), the starts included, but for the events in `leaveOut` (the state, already
 * loaded: their own auth events must be among `starts`), which are neither loaded again nor
 * listed.
 */
async function authChainOf(
  deps: Pick<ResidentJoinDeps, 'storage'>,
  starts: readonly EventId[],
  leaveOut: ReadonlySet<EventId>,
): Promise<JsonObject[]> {
  const seen = new Set<EventId>(leaveOut)
  const out: JsonObject[] = []
  let frontier = new Set<EventId>(starts)
  while (frontier.size > 0) {
    const loaded = await deps.storage.events.getEvents([...frontier].filter((id) => !seen.has(id)))
    const next = new Set<EventId>()
    for (const [id, event] of loaded) {
      seen.add(id)
      const json = jsonOf(event.json)
      if (json !== undefined) out.push(json)
      for (const authId of event.pdu.authEvents) if (!seen.has(authId)) next.add(authId)
    }
    frontier = next
  }
  return out
}

function jsonOf(text: string | undefined): JsonObject | undefined {
  if (text === undefined) return undefined
  const parsed: unknown = JSON.parse(text)
  return isJsonObject(parsed) ? parsed : undefined
}

/**
 * The resident server's half of joining a room over federation (server-server-api §Joining
 * Rooms): `make_join` hands out a join event template on top of the room's forward extremities,
 * and `send_join` (v2) takes the joining server's signed join through the checks on receipt, then
 * answers with the state before it and that state's auth chain, so the new server can check and
 * store the room for itself.
 *
 * Not built yet: joins through a restricted join rule (the resident signing
 * `join_authorised_via_users_server`) and partial-state joins (`omit_members`).
 */
import {
  buildEvent,
  checkAuthRules,
  checkReceivedPdu,
  err,
  isJsonObject,
  ok,
  selectAuthEvents,
  StateMap,
  userIdServerName,
  type CryptoProvider,
  type EventId,
  type JsonObject,
  type Pdu,
  type Result,
  type RoomId,
  type RoomVersionRules,
  type ServerName,
  type SigningKey,
  type UserId,
} from '@rhizome/core'
import { badJson, forbidden, notFound, serverError, type ServerError } from '../../http/errors.js'
import type { PduLoader } from '../../rooms/pdu-loader.js'
import type { Storage } from '../../storage/interface.js'
import type { ServerKeyLookup as KeyFetcher } from '../keys/key-fetcher.js'
import { receiveRoomEvent } from '../receive/room-event-receiver.js'
import { keyLookup } from '../receive/transaction.js'

export interface ResidentJoinDeps {
  readonly storage: Pick<Storage, 'withRoomWriteLock' | 'events' | 'state' | 'rooms'>
  readonly pdus: PduLoader
  readonly crypto: CryptoProvider
  readonly keys: Pick<KeyFetcher, 'verifyKey'>
  readonly serverName: ServerName
  /** Used only to shape the template; the joining server signs the event. */
  readonly signingKey: SigningKey
  readonly now: () => number
  readonly roomRules: (roomId: RoomId) => Promise<RoomVersionRules | undefined>
  /** Sends an accepted join on to the room's other servers. */
  readonly forward?: (pdu: Pdu, except: ServerName) => void
}

export interface MakeJoinAnswer {
  readonly room_version: string
  readonly event: JsonObject
}

export async function makeJoin(
  deps: ResidentJoinDeps,
  origin: ServerName,
  roomId: RoomId,
  userId: UserId,
  supportedVersions: readonly string[],
): Promise<Result<MakeJoinAnswer, ServerError>> {
  if (userIdServerName(userId) !== origin) {
    return err(forbidden('The user is not on the requesting server'))
  }
  const rules = await deps.roomRules(roomId)
  if (rules === undefined) return err(notFound(`This server is not in ${roomId}`))
  if (!supportedVersions.includes(rules.id)) {
    return err(
      serverError('M_INCOMPATIBLE_ROOM_VERSION', `The room has version ${rules.id}`, {
        extra: { room_version: rules.id },
      }),
    )
  }
  const [extremities, state] = await Promise.all([
    deps.storage.withRoomWriteLock(roomId, (room) => room.getForwardExtremities()),
    deps.storage.rooms.getCurrentState(roomId),
  ])
  const subject = {
    type: 'm.room.member',
    stateKey: userId,
    sender: userId,
    content: { membership: 'join' },
  }
  const authIds = selectAuthEvents(subject, state, rules)
  const built = buildEvent(
    {
      roomVersion: rules,
      roomId,
      ...subject,
      prevEvents: extremities.slice(0, 20),
      authEvents: authIds,
      originServerTs: deps.now(),
      origin: deps.serverName,
    },
    deps.serverName,
    deps.signingKey,
    deps.crypto,
  )
  if (!built.ok) return err(serverError('M_UNKNOWN', built.error.error))
  // Would the join be allowed? A banned user, or an invite-only room, is refused here.
  const createId = state.get('m.room.create', '')
  const loaded = await deps.pdus.load(createId === undefined ? authIds : [...authIds, createId])
  const authState = new StateMap<Pdu>()
  for (const event of loaded.values()) {
    if (event.stateKey !== undefined) authState.set(event.type, event.stateKey, event)
  }
  const outcome = checkAuthRules(built.value, authState, rules, { crypto: deps.crypto })
  if (outcome.kind === 'rejected')
    return err(forbidden(`The join would be refused: ${outcome.reason}`))
  const { hashes: _hashes, signatures: _signatures, event_id: _id, ...template } = built.value.json
  return ok({ room_version: rules.id, event: template })
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
  const rules = await deps.roomRules(roomId)
  if (rules === undefined) return err(notFound(`This server is not in ${roomId}`))
  const checked = await checkReceivedPdu(body, rules, deps.crypto, keyLookup(deps.keys))
  if (!checked.ok) return err(serverError('M_BAD_JSON', checked.error.error, { status: 400 }))
  const { pdu } = checked.value
  const problem = joinProblem(pdu, origin, roomId, eventId)
  if (problem !== undefined) return err(problem)
  const received = await receiveRoomEvent(deps, pdu, rules)
  if (!received.ok) return err(serverError('M_UNKNOWN', received.error))
  const outcome = received.value
  if (outcome.kind === 'rejected' || outcome.kind === 'soft-failed') {
    return err(forbidden(`The join was refused: ${outcome.reason}`))
  }
  if (outcome.kind === 'missing') {
    return err(badJson('The join must be on top of events this server has'))
  }
  if (outcome.kind === 'accepted') deps.forward?.(pdu, origin)
  const stored = await deps.storage.events.getEvent(pdu.eventId)
  if (stored?.stateGroupBefore === undefined)
    return err(serverError('M_UNKNOWN', 'join not stored'))
  const before = await deps.storage.state.loadState(stored.stateGroupBefore)
  const stateIds = [...before].map(([, , id]) => id)
  const authChain = await authChainOf(deps, [...stateIds, pdu.eventId], new Set(stateIds))
  const stateEvents = await deps.storage.events.getEvents(stateIds)
  const members = await deps.storage.rooms.joinedMembers(roomId)
  return ok({
    origin: deps.serverName,
    event: pdu.json,
    state: stateIds.map((id) => jsonOf(stateEvents.get(id)?.json)).filter(isJsonObject),
    auth_chain: authChain,
    members_omitted: false,
    servers_in_room: [...new Set(members.map(userIdServerName))].sort(),
  })
}

/** Why the event is not a join of a user of `origin` into the room, with this ID. */
function joinProblem(
  pdu: Pdu,
  origin: ServerName,
  roomId: RoomId,
  eventId: EventId,
): ServerError | undefined {
  if (pdu.eventId !== eventId) return badJson('The event ID does not match the event')
  if (pdu.roomId !== roomId) return badJson('The event is for another room')
  if (pdu.type !== 'm.room.member' || pdu.content['membership'] !== 'join') {
    return badJson('The event is not a join')
  }
  if (pdu.stateKey !== pdu.sender) return badJson('A join is sent by the user who joins')
  if (userIdServerName(pdu.sender) !== origin) {
    return forbidden('The user is not on the requesting server')
  }
  return undefined
}

/** Every event reachable through auth_events from `ids`, without the events in `leaveOut`. */
async function authChainOf(
  deps: Pick<ResidentJoinDeps, 'storage'>,
  ids: readonly EventId[],
  leaveOut: ReadonlySet<EventId>,
): Promise<JsonObject[]> {
  const seen = new Set<EventId>()
  const out: JsonObject[] = []
  let frontier = new Set<EventId>()
  const firsts = await deps.storage.events.getEvents(ids)
  for (const event of firsts.values()) for (const id of event.pdu.authEvents) frontier.add(id)
  while (frontier.size > 0) {
    const loaded = await deps.storage.events.getEvents([...frontier].filter((id) => !seen.has(id)))
    const next = new Set<EventId>()
    for (const [id, event] of loaded) {
      seen.add(id)
      if (!leaveOut.has(id)) {
        const json = jsonOf(event.json)
        if (json !== undefined) out.push(json)
      }
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

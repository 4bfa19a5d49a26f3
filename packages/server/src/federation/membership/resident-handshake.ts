/**
 * The resident server's half of the membership handshakes (server-server-api §Joining Rooms,
 * §Knocking upon a room, §Leaving Rooms): `make_*` hands out an event template on top of the
 * room's forward extremities, once the auth rules say the membership would be allowed, and
 * `send_*` takes the other server's signed event through the checks on receipt and into the room,
 * then on to the room's other servers. Joins, knocks and leaves differ only in the membership,
 * in the refusals that depend on the room, and in what `send_*` answers.
 */
import {
  buildEvent,
  checkAuthRules,
  checkReceivedPdu,
  computeReferenceHash,
  encodeBase64,
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
import { roomSnapshot, type RoomSnapshot } from '../../rooms/event-pipeline.js'
import type { PduLoader } from '../../rooms/pdu-loader.js'
import type { Storage } from '../../storage/interface.js'
import type { ServerKeyLookup as KeyFetcher } from '../keys/key-fetcher.js'
import { receiveRoomEvent } from '../receive/room-event-receiver.js'
import { keyLookup } from '../receive/transaction.js'

export interface ResidentDeps {
  readonly storage: Pick<Storage, 'withRoomWriteLock' | 'events' | 'state' | 'rooms'>
  readonly pdus: PduLoader
  readonly crypto: CryptoProvider
  readonly keys: Pick<KeyFetcher, 'verifyKey'>
  readonly serverName: ServerName
  /** Shapes templates; signs the joins this server vouches for in restricted rooms. */
  readonly signingKey: SigningKey
  readonly now: () => number
  readonly roomRules: (roomId: RoomId) => Promise<RoomVersionRules | undefined>
  /** Sends an accepted event on to the room's other servers. */
  readonly forward?: (pdu: Pdu, except: ServerName) => void
}

export type HandshakeMembership = 'join' | 'knock' | 'leave'

export interface TemplateAnswer {
  readonly room_version: string
  readonly event: JsonObject
}

export interface TemplateRequest {
  readonly origin: ServerName
  readonly roomId: RoomId
  readonly userId: UserId
  readonly membership: HandshakeMembership
  /** The asking server's room versions (`ver`); undefined where the endpoint has none. */
  readonly versions: readonly string[] | undefined
  /**
   * Refusals that depend on the room, and content the resident adds to the template (the user
   * who vouches for a restricted join).
   */
  readonly decide?: (room: RoomSnapshot) => Promise<Result<JsonObject, ServerError>>
}

export function incompatibleVersion(rules: RoomVersionRules, why: string): ServerError {
  return serverError('M_INCOMPATIBLE_ROOM_VERSION', why, { extra: { room_version: rules.id } })
}

export async function makeTemplate(
  deps: ResidentDeps,
  request: TemplateRequest,
): Promise<Result<TemplateAnswer, ServerError>> {
  const { origin, roomId, userId, membership } = request
  if (userIdServerName(userId) !== origin) {
    return err(forbidden('The user is not on the requesting server'))
  }
  const rules = await deps.roomRules(roomId)
  if (rules === undefined) return err(notFound(`This server is not in ${roomId}`))
  if (request.versions !== undefined && !request.versions.includes(rules.id)) {
    return err(incompatibleVersion(rules, `The room has version ${rules.id}`))
  }
  const [extremities, state] = await Promise.all([
    deps.storage.withRoomWriteLock(roomId, (room) => room.getForwardExtremities()),
    deps.storage.rooms.getCurrentState(roomId),
  ])
  let extra: JsonObject = {}
  if (request.decide !== undefined) {
    const decided = await request.decide(roomSnapshot(deps.pdus, roomId, rules, state))
    if (!decided.ok) return decided
    extra = decided.value
  }
  const subject = {
    type: 'm.room.member',
    stateKey: userId,
    sender: userId,
    content: { ...extra, membership },
  }
  const authIds = selectAuthEvents(subject, state, rules)
  const prevs = extremities.slice(0, 20)
  const createId = state.get('m.room.create', '')
  // Room versions 1 and 2 reference events with their hashes: the events are loaded for those.
  const withHashes = rules.eventFormat.eventReferencesIncludeHashes
  const loaded = await deps.pdus.load([
    ...authIds,
    ...(createId === undefined ? [] : [createId]),
    ...(withHashes ? prevs.map((e) => e.eventId) : []),
  ])
  const hashOf = (id: EventId): { referenceHash?: string } => {
    const pdu = withHashes ? loaded.get(id) : undefined
    return pdu === undefined
      ? {}
      : { referenceHash: encodeBase64(computeReferenceHash(pdu.json, rules, deps.crypto)) }
  }
  const built = buildEvent(
    {
      roomVersion: rules,
      roomId,
      ...subject,
      prevEvents: prevs.map((e) => ({ ...e, ...hashOf(e.eventId) })),
      authEvents: authIds.map((eventId) => ({ eventId, ...hashOf(eventId) })),
      originServerTs: deps.now(),
      origin: deps.serverName,
    },
    deps.serverName,
    deps.signingKey,
    deps.crypto,
  )
  if (!built.ok) return err(serverError('M_UNKNOWN', built.error.error))
  // Would the event be allowed? A banned user, or an invite-only room, is refused here.
  const authState = new StateMap<Pdu>()
  for (const id of [...authIds, ...(createId === undefined ? [] : [createId])]) {
    const event = loaded.get(id)
    if (event?.stateKey !== undefined) authState.set(event.type, event.stateKey, event)
  }
  const outcome = checkAuthRules(built.value, authState, rules, { crypto: deps.crypto })
  if (outcome.kind === 'rejected') {
    return err(forbidden(`The ${membership} would be refused: ${outcome.reason}`))
  }
  const { hashes: _hashes, signatures: _signatures, event_id: _id, ...template } = built.value.json
  return ok({ room_version: rules.id, event: template })
}

export interface SentRequest {
  readonly origin: ServerName
  readonly roomId: RoomId
  readonly eventId: EventId
  readonly body: JsonObject
  readonly membership: HandshakeMembership
  /** Work on the event before it is checked (adding this server's signature to a join). */
  readonly prepare?: (
    body: JsonObject,
    rules: RoomVersionRules,
  ) => Promise<Result<JsonObject, ServerError>>
}

export interface AcceptedEvent {
  readonly pdu: Pdu
  readonly rules: RoomVersionRules
}

/**
 * Checks the other server's signed event, and takes it into the room; a retry of an event taken
 * already is answered again.
 */
export async function acceptSentEvent(
  deps: ResidentDeps,
  request: SentRequest,
): Promise<Result<AcceptedEvent, ServerError>> {
  const { origin, roomId, eventId, membership } = request
  const rules = await deps.roomRules(roomId)
  if (rules === undefined) return err(notFound(`This server is not in ${roomId}`))
  let body = request.body
  if (request.prepare !== undefined) {
    const prepared = await request.prepare(body, rules)
    if (!prepared.ok) return prepared
    body = prepared.value
  }
  const checked = await checkReceivedPdu(body, rules, deps.crypto, keyLookup(deps.keys))
  if (!checked.ok) return err(serverError('M_BAD_JSON', checked.error.error, { status: 400 }))
  const { pdu } = checked.value
  const problem = eventProblem(pdu, origin, roomId, eventId, membership)
  if (problem !== undefined) return err(problem)
  const received = await receiveRoomEvent(deps, pdu, rules)
  if (!received.ok) return err(serverError('M_UNKNOWN', received.error))
  const outcome = received.value
  if (outcome.kind === 'rejected' || outcome.kind === 'soft-failed') {
    return err(forbidden(`The ${membership} was refused: ${outcome.reason}`))
  }
  if (outcome.kind === 'missing') {
    return err(badJson(`The ${membership} must be on top of events this server has`))
  }
  if (outcome.kind === 'accepted') deps.forward?.(pdu, origin)
  return ok({ pdu, rules })
}

/** Why the event is not a `membership` of a user of `origin` into the room, with this ID. */
function eventProblem(
  pdu: Pdu,
  origin: ServerName,
  roomId: RoomId,
  eventId: EventId,
  membership: HandshakeMembership,
): ServerError | undefined {
  if (pdu.eventId !== eventId) return badJson('The event ID does not match the event')
  if (pdu.roomId !== roomId) return badJson('The event is for another room')
  if (pdu.type !== 'm.room.member' || pdu.content['membership'] !== membership) {
    return badJson(`The event is not a ${membership}`)
  }
  if (pdu.stateKey !== pdu.sender) return badJson(`A ${membership} is sent by its own user`)
  if (userIdServerName(pdu.sender) !== origin) {
    return forbidden('The user is not on the requesting server')
  }
  return undefined
}

/** The stored JSON of events, in order, leaving out those not found. */
export async function storedJson(
  deps: Pick<ResidentDeps, 'storage'>,
  ids: readonly EventId[],
): Promise<JsonObject[]> {
  const events = await deps.storage.events.getEvents(ids)
  const out: JsonObject[] = []
  for (const id of ids) {
    const text = events.get(id)?.json
    if (text === undefined) continue
    const parsed: unknown = JSON.parse(text)
    if (isJsonObject(parsed)) out.push(parsed)
  }
  return out
}

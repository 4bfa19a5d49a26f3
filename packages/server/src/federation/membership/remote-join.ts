/**
 * Joining a room that lives on other servers (server-server-api §Joining Rooms), the joining
 * server's half: `make_join` at a resident server, fill in and sign the template, `send_join`,
 * then check everything the answer holds before trusting any of it. Every state and auth chain
 * event must verify (signatures, hashes) and pass the auth rules against its own auth events,
 * the create event must be the room's, and the join must pass against the returned state; a bad
 * answer is refused whole, and the next resident is tried. Only then is the room stored: the
 * state and auth chain as outliers, and the join as the room's first timeline event on top of
 * the returned state.
 */
import {
  checkAuthEventsList,
  checkAuthRules,
  checkReceivedPdu,
  createEventIdOfRoom,
  err,
  isJsonObject,
  ok,
  ROOM_VERSIONS,
  roomVersionRules,
  StateMap,
  type CryptoProvider,
  type EventId,
  type JsonObject,
  type JsonValue,
  type Pdu,
  type Result,
  type RoomId,
  type RoomVersionRules,
  type ServerName,
  type SigningKey,
  type UserId,
} from '@rhizome/core'
import type { Logger } from '../../logging/logger.js'
import type { Storage } from '../../storage/interface.js'
import type { ServerKeyLookup as KeyFetcher } from '../keys/key-fetcher.js'
import { coveringKeyLookup } from '../keys/covering-key-lookup.js'
import { keyLookup } from '../receive/transaction.js'
import type { FederationFailure, FederationRequester } from '../transport/federation-client.js'
import { checkAnswerEvents } from './answer-events.js'
import { signTemplateEvent } from './template-event.js'

export interface RemoteJoinDeps {
  readonly storage: Pick<Storage, 'withRoomWriteLock' | 'rooms'>
  readonly requester: Pick<FederationRequester, 'request'>
  readonly keys: Pick<KeyFetcher, 'verifyKey'>
  readonly crypto: CryptoProvider
  readonly serverName: ServerName
  readonly signingKey: SigningKey
  readonly now: () => number
  /** Told how long each phase of a join took (make_join, send_join, checks, storing). */
  readonly logger?: Pick<Logger, 'info'>
}

export interface RemoteJoinRequest {
  readonly roomId: RoomId
  readonly userId: UserId
  /** Servers to ask, in order (`via`, or the alias's servers). */
  readonly servers: readonly ServerName[]
  /** Extra content of the join (display name, avatar, reason). */
  readonly content?: JsonObject
}

/** Why no server let the user in. */
export interface RemoteJoinFailure {
  /** Every server's answer, for logs and the client's error message. */
  readonly message: string
  /** A resident server refused the user (make_join answered 403), rather than none answering. */
  readonly refused: boolean
}

export async function joinRemoteRoom(
  deps: RemoteJoinDeps,
  request: RemoteJoinRequest,
): Promise<Result<EventId, RemoteJoinFailure>> {
  const failures: string[] = []
  let refused = false
  for (const server of request.servers) {
    if (server === deps.serverName) continue
    const joined = await joinThrough(deps, request, server)
    if (joined.ok) return joined
    failures.push(`${server}: ${joined.error.message}`)
    refused ||= joined.error.refused
  }
  const message = failures.length === 0 ? 'no server to join through' : failures.join('; ')
  return err({ message, refused })
}

function fail(message: string): Result<never, RemoteJoinFailure> {
  return err({ message, refused: false })
}

/** A make_join refusal: the resident answered that the user may not join (not just failed). */
function isRefusal(failure: FederationFailure): boolean {
  return failure.kind === 'http' && failure.status === 403
}

async function joinThrough(
  deps: RemoteJoinDeps,
  request: RemoteJoinRequest,
  server: ServerName,
): Promise<Result<EventId, RemoteJoinFailure>> {
  const { roomId, userId } = request
  const path = `${encodeURIComponent(roomId)}/${encodeURIComponent(userId)}`
  const started = performance.now()
  const made = await deps.requester.request(
    server,
    'GET',
    `/_matrix/federation/v1/make_join/${path}`,
    undefined,
    { query: { ver: [...ROOM_VERSIONS.keys()] } },
  )
  if (!made.ok) {
    return err({
      message: `make_join failed: ${made.error.message}`,
      refused: isRefusal(made.error),
    })
  }
  const template = made.value.body
  const version = isJsonObject(template) ? template['room_version'] : undefined
  const rules = roomVersionRules(typeof version === 'string' ? version : '1')
  const event = isJsonObject(template) ? template['event'] : undefined
  if (rules === undefined || !isJsonObject(event)) return fail('make_join gave no usable template')
  if (
    event['room_id'] !== roomId ||
    event['sender'] !== userId ||
    event['state_key'] !== userId ||
    event['type'] !== 'm.room.member' ||
    !isJsonObject(event['content']) ||
    event['content']['membership'] !== 'join'
  ) {
    return fail('make_join gave a template for another join')
  }
  const ours = signTemplateEvent(
    deps,
    event,
    { ...event['content'], ...request.content, membership: 'join' },
    rules,
  )
  if (!ours.ok) return fail(ours.error)
  const { json: signed, eventId } = ours.value
  const asked = performance.now()
  const sent = await deps.requester.request(
    server,
    'PUT',
    `/_matrix/federation/v2/send_join/${encodeURIComponent(roomId)}/${encodeURIComponent(eventId)}`,
    signed,
  )
  if (!sent.ok) return fail(`send_join failed: ${sent.error.message}`)
  const answered = performance.now()
  const checked = await checkAnswer(deps, server, rules, roomId, signed, sent.value.body)
  if (!checked.ok) return fail(`send_join answer refused: ${checked.error}`)
  const verified = performance.now()
  const { join, state, events } = checked.value
  await deps.storage.withRoomWriteLock(roomId, async (room) => {
    await room.persistOutliers([...events.values()].map((pdu) => ({ pdu })))
    const create = events.get(state.get('m.room.create', '') as EventId)
    await room.persistEvent({
      pdu: join,
      stateBefore: {
        base: undefined,
        delta: { set: [...state].map(([type, key, id]) => [type, key, id]), remove: [] },
      },
      newForwardExtremities: [join.eventId],
      currentState: 'advance',
      room: { version: rules.id, creator: create?.sender ?? join.sender, isPublic: false },
    })
  })
  const stored = performance.now()
  deps.logger?.info(
    {
      room_id: roomId,
      via: server,
      state_events: state.size,
      events: events.size,
      make_join_ms: Math.round(asked - started),
      send_join_ms: Math.round(answered - asked),
      verify_ms: Math.round(verified - answered),
      store_ms: Math.round(stored - verified),
    },
    'joined a room through another server',
  )
  return ok(join.eventId)
}

interface CheckedAnswer {
  readonly join: Pdu
  readonly state: StateMap<EventId>
  /** Every state and auth chain event, by ID. */
  readonly events: ReadonlyMap<EventId, Pdu>
}

async function checkAnswer(
  deps: RemoteJoinDeps,
  server: ServerName,
  rules: RoomVersionRules,
  roomId: RoomId,
  ourJoin: JsonObject,
  answer: JsonValue,
): Promise<Result<CheckedAnswer, string>> {
  if (!isJsonObject(answer)) return err('not an object')
  const stateJson = listOf(answer['state'])
  const chainJson = listOf(answer['auth_chain'])
  if (stateJson === undefined || chainJson === undefined) return err('no state or auth chain')
  // One key lookup per server key for the whole answer, not one per event; the resident holds
  // the keys of members' servers that are down now.
  const keys = coveringKeyLookup(keyLookup(deps.keys, [server]))
  const checkedEvents = await checkAnswerEvents(
    [...stateJson, ...chainJson],
    roomId,
    rules,
    deps.crypto,
    keys,
  )
  if (!checkedEvents.ok) return checkedEvents
  const { byId: events, idOf } = checkedEvents.value
  const state = new StateMap<EventId>()
  for (const json of stateJson) {
    const id = idOf.get(json)
    const pdu = id === undefined ? undefined : events.get(id)
    if (pdu?.stateKey === undefined) return err('a state event without a state key')
    if (state.get(pdu.type, pdu.stateKey) !== undefined) return err('two events for one state key')
    state.set(pdu.type, pdu.stateKey, pdu.eventId)
  }
  const createId = state.get('m.room.create', '')
  const create = createId === undefined ? undefined : events.get(createId)
  if (create === undefined) return err('no create event in the state')
  if (rules.eventFormat.roomIdIsCreateEventHash && createEventIdOfRoom(roomId) !== create.eventId) {
    return err('the create event is not the room’s')
  }
  // Every event must pass against its own auth events, which must all be in the answer.
  for (const pdu of events.values()) {
    const authEvents: Pdu[] = []
    for (const id of pdu.authEvents) {
      const authEvent = events.get(id)
      if (authEvent === undefined) return err(`auth event ${id} of ${pdu.eventId} is missing`)
      authEvents.push(authEvent)
    }
    const listed = checkAuthEventsList(pdu, authEvents, rules)
    if (listed.kind === 'rejected') return err(`${pdu.eventId}: ${listed.reason}`)
    const authState = new StateMap<Pdu>()
    if (pdu.type !== 'm.room.create') authState.set('m.room.create', '', create)
    for (const event of authEvents) {
      if (event.stateKey !== undefined) authState.set(event.type, event.stateKey, event)
    }
    const outcome = checkAuthRules(pdu, authState, rules, { crypto: deps.crypto })
    if (outcome.kind === 'rejected') return err(`${pdu.eventId}: ${outcome.reason}`)
  }
  // The join the resident accepted: ours, or ours with its signature added (restricted joins).
  const returned = answer['event']
  const joinJson = isJsonObject(returned) ? returned : ourJoin
  const join = await checkReceivedPdu(joinJson, rules, deps.crypto, keys)
  if (!join.ok) return err(`the join: ${join.error.error}`)
  const joinAuth = new StateMap<Pdu>()
  for (const [type, key, id] of state) {
    const event = events.get(id)
    if (event !== undefined) joinAuth.set(type, key, event)
  }
  const allowed = checkAuthRules(join.value.pdu, joinAuth, rules, { crypto: deps.crypto })
  if (allowed.kind === 'rejected') return err(`the join: ${allowed.reason}`)
  return ok({ join: join.value.pdu, state, events })
}

function listOf(value: JsonValue | undefined): readonly JsonValue[] | undefined {
  return Array.isArray(value) ? (value as readonly JsonValue[]) : undefined
}

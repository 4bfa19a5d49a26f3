/**
 * Knocking on, and leaving, a room this server does not hold (server-server-api §Knocking upon a
 * room, §Leaving Rooms (Rejecting Invites)), the asking server's half: `make_knock` or
 * `make_leave` at a resident server, check the template as the spec requires, fill it in and
 * sign it, then `send_knock` or `send_leave` (v2). The resident puts the event in the room; here
 * it becomes the user's out-of-band membership (storage persistOutOfBandMembership), so /sync
 * shows the knock with the state the resident sent, or the invite or knock as left.
 *
 * Servers are tried in order; a refusal that another server would give too (the room version,
 * the room's rules) ends the attempts.
 */
import {
  err,
  isJsonObject,
  loadTrustedPdu,
  ok,
  ROOM_VERSIONS,
  roomVersionRules,
  type CryptoProvider,
  type EventId,
  type JsonObject,
  type JsonValue,
  type Pdu,
  type Result,
  type RoomId,
  type ServerName,
  type SigningKey,
  type UserId,
} from '@rhizome/core'
import { forbidden, notFound, serverError, type ServerError } from '../../http/errors.js'
import type { Storage } from '../../storage/interface.js'
import { parseStrippedList } from '../../sync/stripped-state.js'
import type { FederationFailure, FederationRequester } from '../transport/federation-client.js'
import { signTemplateEvent } from './template-event.js'

export interface RemoteMembershipDeps {
  readonly storage: Pick<Storage, 'withRoomWriteLock'>
  readonly requester: Pick<FederationRequester, 'request'>
  readonly crypto: CryptoProvider
  readonly serverName: ServerName
  readonly signingKey: SigningKey
  readonly now: () => number
}

export interface RemoteMembershipRequest {
  readonly roomId: RoomId
  readonly userId: UserId
  /** Servers to ask, in order. */
  readonly servers: readonly ServerName[]
  /** Extra content (the reason, the profile). */
  readonly content?: JsonObject
}

type Handshake = 'knock' | 'leave'

/** The refusals every resident would give alike: asking the next one is pointless. */
const FINAL_ERRCODES = new Set(['M_FORBIDDEN', 'M_INCOMPATIBLE_ROOM_VERSION'])

export function knockOnRemoteRoom(
  deps: RemoteMembershipDeps,
  request: RemoteMembershipRequest,
): Promise<Result<EventId, ServerError>> {
  return throughServers(deps, request, 'knock')
}

export function leaveRemoteRoom(
  deps: RemoteMembershipDeps,
  request: RemoteMembershipRequest,
): Promise<Result<EventId, ServerError>> {
  return throughServers(deps, request, 'leave')
}

async function throughServers(
  deps: RemoteMembershipDeps,
  request: RemoteMembershipRequest,
  membership: Handshake,
): Promise<Result<EventId, ServerError>> {
  const failures: string[] = []
  for (const server of new Set(request.servers)) {
    if (server === deps.serverName) continue
    const done = await handshakeThrough(deps, request, membership, server)
    if (done.ok) return done
    if (FINAL_ERRCODES.has(done.error.errcode)) return done
    failures.push(`${server}: ${done.error.error}`)
  }
  return err(
    notFound(
      failures.length === 0
        ? `No server to ${membership} ${request.roomId} through`
        : `Could not ${membership} ${request.roomId}: ${failures.join('; ')}`,
    ),
  )
}

async function handshakeThrough(
  deps: RemoteMembershipDeps,
  request: RemoteMembershipRequest,
  membership: Handshake,
  server: ServerName,
): Promise<Result<EventId, ServerError>> {
  const { roomId, userId } = request
  const path = `${encodeURIComponent(roomId)}/${encodeURIComponent(userId)}`
  // Only versions with knocking are offered for a knock: older rooms answer that they differ.
  const versions = [...ROOM_VERSIONS.values()]
    .filter((rules) => membership !== 'knock' || rules.auth.knocking)
    .map((rules) => rules.id)
  const made = await deps.requester.request(
    server,
    'GET',
    `/_matrix/federation/v1/make_${membership}/${path}`,
    undefined,
    membership === 'knock' ? { query: { ver: versions } } : {},
  )
  if (!made.ok) return err(remoteFailure(`make_${membership}`, made.error))
  const template = made.value.body
  const version = isJsonObject(template) ? template['room_version'] : undefined
  // make_leave may leave the version out: the spec says it is then 1 or 2, which sign alike.
  const rules = roomVersionRules(typeof version === 'string' ? version : '1')
  const event = isJsonObject(template) ? template['event'] : undefined
  if (rules === undefined || !isJsonObject(event)) {
    return err(badGateway(`make_${membership} gave no usable template`))
  }
  if (membership === 'knock' && !rules.auth.knocking) {
    return err(
      serverError('M_INCOMPATIBLE_ROOM_VERSION', `Room version ${rules.id} has no knocking`, {
        extra: { room_version: rules.id },
      }),
    )
  }
  const content = event['content']
  if (
    event['room_id'] !== roomId ||
    event['sender'] !== userId ||
    event['state_key'] !== userId ||
    event['type'] !== 'm.room.member' ||
    !isJsonObject(content) ||
    content['membership'] !== membership
  ) {
    return err(badGateway(`make_${membership} gave a template for another event`))
  }
  const ours = signTemplateEvent(deps, event, { ...content, ...request.content, membership }, rules)
  if (!ours.ok) return err(badGateway(ours.error))
  const { json: signed, eventId } = ours.value
  const sendPath =
    membership === 'knock'
      ? '/_matrix/federation/v1/send_knock'
      : '/_matrix/federation/v2/send_leave'
  const sent = await deps.requester.request(
    server,
    'PUT',
    `${sendPath}/${encodeURIComponent(roomId)}/${encodeURIComponent(eventId)}`,
    signed,
  )
  if (!sent.ok) return err(remoteFailure(`send_${membership}`, sent.error))
  let stored = signed
  if (membership === 'knock') {
    const answer = sent.value.body
    const roomState = isJsonObject(answer) ? answer['knock_room_state'] : undefined
    stored = { ...signed, unsigned: { knock_room_state: strippedOf(roomState, roomId) } }
  }
  const pdu = loadTrustedPdu(stored, eventId, rules)
  await recordOutOfBand(deps, pdu, rules.id, creatorIn(pdu))
  return ok(pdu.eventId)
}

/** Stores the user's membership of a room this server does not hold. */
export async function recordOutOfBand(
  deps: Pick<RemoteMembershipDeps, 'storage'>,
  pdu: Pdu,
  version: string,
  creator: UserId,
): Promise<void> {
  await deps.storage.withRoomWriteLock(pdu.roomId, (room) =>
    room.persistOutOfBandMembership(pdu, { version, creator, isPublic: false }),
  )
}

/**
 * The state a resident sent along, stripped for clients (client-server-api §Stripped state):
 * entries of another room are dropped.
 */
export function strippedOf(value: JsonValue | undefined, roomId: RoomId): JsonObject[] {
  if (!Array.isArray(value)) return []
  const sameRoom = (value as readonly JsonValue[]).filter(
    (entry) =>
      isJsonObject(entry) && (entry['room_id'] === undefined || entry['room_id'] === roomId),
  )
  return (parseStrippedList(sameRoom) ?? []).map((e) => ({
    type: e.type,
    state_key: e.state_key,
    sender: e.sender,
    content: e.content,
  }))
}

/** The room's creator, as far as the stored state says; the event's sender otherwise. */
export function creatorIn(pdu: Pdu): UserId {
  const unsigned = pdu.json['unsigned']
  if (isJsonObject(unsigned)) {
    for (const key of ['invite_room_state', 'knock_room_state']) {
      const list = parseStrippedList(unsigned[key])
      const create = list?.find((e) => e.type === 'm.room.create' && e.state_key === '')
      if (create !== undefined) return create.sender
    }
  }
  return pdu.sender
}

/**
 * The remote server's refusal as the client should see it: its own M_FORBIDDEN or
 * M_INCOMPATIBLE_ROOM_VERSION passed through, everything else a gateway failure.
 */
export function remoteFailure(step: string, failure: FederationFailure): ServerError {
  if (failure.kind === 'http' && isJsonObject(failure.body)) {
    const { errcode, room_version: version } = failure.body
    if (errcode === 'M_FORBIDDEN') return forbidden(`${step}: ${failure.message}`)
    if (errcode === 'M_INCOMPATIBLE_ROOM_VERSION') {
      return serverError(
        'M_INCOMPATIBLE_ROOM_VERSION',
        `${step}: ${failure.message}`,
        typeof version === 'string' ? { extra: { room_version: version } } : {},
      )
    }
  }
  return badGateway(`${step} failed: ${failure.message}`)
}

function badGateway(message: string): ServerError {
  return serverError('M_UNKNOWN', message, { status: 502 })
}

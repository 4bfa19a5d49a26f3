/**
 * `PUT /_matrix/federation/v2/invite/{roomId}/{eventId}`, the invited server's half of an invite
 * (server-server-api §Inviting to a room): check the invite another server built for one of our
 * users, add this server's signature, and keep it, with the room's stripped state, so the user
 * sees the room under `rooms.invite` in /sync. The inviting server then sends the doubly signed
 * event into the room.
 *
 * In a room this server holds, the invite is only signed: it arrives again through the room's
 * transactions, and is stored there with the room's state.
 */
import {
  checkReceivedPdu,
  computeEventId,
  createEventIdOfRoom,
  err,
  isJsonObject,
  jsonSignature,
  loadTrustedPdu,
  ok,
  parseUserId,
  redactEvent,
  roomVersionRules,
  userIdServerName,
  withSignature,
  type CryptoProvider,
  type EventId,
  type JsonObject,
  type JsonValue,
  type Result,
  type RoomId,
  type RoomVersionRules,
  type ServerName,
  type SigningKey,
} from '@rhizome/core'
import { forbidden, serverError, type ServerError } from '../../http/errors.js'
import type { Storage } from '../../storage/interface.js'
import type { ServerKeyLookup as KeyFetcher } from '../keys/key-fetcher.js'
import { keyLookup } from '../receive/transaction.js'
import { creatorIn, recordOutOfBand, strippedOf } from './remote-membership.js'

export interface InviteReceiverDeps {
  readonly storage: Pick<Storage, 'withRoomWriteLock' | 'rooms' | 'accounts'>
  readonly crypto: CryptoProvider
  readonly keys: Pick<KeyFetcher, 'verifyKey'>
  readonly serverName: ServerName
  readonly signingKey: SigningKey
}

export interface InviteAnswer {
  readonly event: JsonObject
}

export async function receiveInvite(
  deps: InviteReceiverDeps,
  origin: ServerName,
  roomId: RoomId,
  eventId: EventId,
  body: JsonObject,
): Promise<Result<InviteAnswer, ServerError>> {
  const version = body['room_version']
  if (typeof version !== 'string') return err(invalid('room_version is required'))
  const rules = roomVersionRules(version)
  if (rules === undefined) {
    return err(
      serverError(
        'M_INCOMPATIBLE_ROOM_VERSION',
        `This server does not support room version ${version}`,
        {
          extra: { room_version: version },
        },
      ),
    )
  }
  const event = body['event']
  if (!isJsonObject(event)) return err(invalid('event is required'))
  const keys = keyLookup(deps.keys)
  const checked = await checkReceivedPdu(event, rules, deps.crypto, keys)
  if (!checked.ok) return err(invalid(`The invite does not check: ${checked.error.error}`))
  const { pdu, redacted } = checked.value
  if (redacted) return err(invalid('The invite’s content does not match its hash'))
  if (pdu.eventId !== eventId || pdu.roomId !== roomId) {
    return err(invalid('The invite is not the event the path names'))
  }
  if (pdu.type !== 'm.room.member' || pdu.content['membership'] !== 'invite') {
    return err(invalid('The event is not an invite'))
  }
  if (userIdServerName(pdu.sender) !== origin) {
    return err(invalid('The inviter is not a user of the requesting server'))
  }
  const invitee = parseUserId(pdu.stateKey ?? '')
  if (!invitee.ok || userIdServerName(invitee.value) !== deps.serverName) {
    return err(forbidden('The invited user is not a user of this server'))
  }
  const account = await deps.storage.accounts.getUser(invitee.value)
  if (account === undefined || account.isDeactivated) {
    return err(forbidden(`${invitee.value} is not a user of this server`))
  }
  const roomState = await checkRoomState(deps, rules, roomId, body['invite_room_state'])
  if (!roomState.ok) return roomState

  const signature = jsonSignature(redactEvent(event, rules), deps.signingKey, deps.crypto)
  const signed = withSignature(event, deps.serverName, deps.signingKey.keyId, signature)
  if ((await deps.storage.rooms.getRoom(roomId)) === undefined) {
    const unsigned = signed['unsigned']
    const kept: JsonObject = {
      ...signed,
      unsigned: {
        ...(isJsonObject(unsigned) ? unsigned : {}),
        invite_room_state: strippedOf(roomState.value, roomId),
      },
    }
    const invite = loadTrustedPdu(kept, pdu.eventId, rules)
    await recordOutOfBand(deps, invite, rules.id, creatorIn(invite))
  }
  return ok({ event: signed })
}

/**
 * The `invite_room_state` the inviting server sent. Since v1.16 it holds full events of the room,
 * its create event among them; in room versions before 12 servers may still send stripped state,
 * which is taken as it is, while in later ones each entry must be a signed event of the room.
 */
async function checkRoomState(
  deps: InviteReceiverDeps,
  rules: RoomVersionRules,
  roomId: RoomId,
  value: JsonValue | undefined,
): Promise<Result<readonly JsonValue[], ServerError>> {
  const entries = Array.isArray(value) ? (value as readonly JsonValue[]) : []
  if (!rules.eventFormat.roomIdIsCreateEventHash) return ok(entries)
  const keys = keyLookup(deps.keys)
  let create = false
  for (const entry of entries) {
    const checked = await checkReceivedPdu(entry, rules, deps.crypto, keys)
    if (!checked.ok) return err(invalid(`invite_room_state: ${checked.error.error}`))
    if (checked.value.pdu.roomId !== roomId) {
      return err(invalid('invite_room_state holds an event of another room'))
    }
    if (checked.value.pdu.type === 'm.room.create') {
      const id = isJsonObject(entry) ? computeEventId(entry, rules, deps.crypto) : undefined
      create = id?.ok === true && id.value === createEventIdOfRoom(roomId)
    }
  }
  if (!create) return err(invalid('invite_room_state lacks the room’s create event'))
  return ok(entries)
}

function invalid(message: string): ServerError {
  return serverError('M_INVALID_PARAM', message)
}

/**
 * A member event for a room this server does not hold, arriving in a transaction: the inviter
 * taking back an invite of one of our users (a kick of the invitee), a knock refused, or a ban.
 * It ends the user's out-of-band membership, so the invite or knock leaves their /sync. Without
 * the room's state the auth rules cannot be run: the event must be a leave or ban of a local user
 * whose invite or knock is all this server knows of the room, verify as its sender's server's,
 * and cite that invite or knock among its auth events, as the target's membership it replaces
 * (the auth rules' selection of auth events): so an old kick, replayed, cannot end a new invite.
 */
import {
  checkReceivedPdu,
  isJsonObject,
  parseUserId,
  roomVersionRules,
  userIdServerName,
  type CryptoProvider,
  type JsonValue,
  type RoomId,
  type ServerName,
} from '@rhizome/core'
import type { Storage } from '../../storage/interface.js'
import type { ServerKeyLookup as KeyFetcher } from '../keys/key-fetcher.js'
import { keyLookup } from '../receive/transaction.js'
import { recordOutOfBand } from './remote-membership.js'

export interface OutOfBandReceiverDeps {
  readonly storage: Pick<Storage, 'withRoomWriteLock' | 'rooms' | 'events'>
  readonly crypto: CryptoProvider
  readonly keys: Pick<KeyFetcher, 'verifyKey'>
  readonly serverName: ServerName
}

/** Whether the event was taken as the end of a local user's invite or knock. */
export async function receiveOutOfBandEvent(
  deps: OutOfBandReceiverDeps,
  json: JsonValue,
): Promise<boolean> {
  if (!isJsonObject(json) || json['type'] !== 'm.room.member') return false
  const content = json['content']
  const membership = isJsonObject(content) ? content['membership'] : undefined
  if (membership !== 'leave' && membership !== 'ban') return false
  const roomId = json['room_id']
  const target = parseUserId(typeof json['state_key'] === 'string' ? json['state_key'] : '')
  if (typeof roomId !== 'string' || !target.ok) return false
  if (userIdServerName(target.value) !== deps.serverName) return false
  const current = await deps.storage.rooms.getMembership(roomId as RoomId, target.value)
  if (current?.membership !== 'invite' && current?.membership !== 'knock') return false
  if ((await deps.storage.rooms.getRoom(roomId as RoomId)) !== undefined) return false
  const known = await deps.storage.events.getEvent(current.eventId)
  const rules = known === undefined ? undefined : roomVersionRules(known.roomVersion)
  if (known === undefined || rules === undefined) return false
  const checked = await checkReceivedPdu(json, rules, deps.crypto, keyLookup(deps.keys))
  if (!checked.ok || checked.value.redacted) return false
  const { pdu } = checked.value
  if (pdu.roomId !== roomId || pdu.stateKey !== target.value) return false
  if (!pdu.authEvents.includes(current.eventId)) return false
  await recordOutOfBand(deps, pdu, rules.id, known.pdu.sender)
  return true
}

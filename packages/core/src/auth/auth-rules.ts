/**
 * The authorization rules of every room version (rooms/fragments/v1-auth-rules.md for v1-v2,
 * v3-auth-rules.md for v3-v5, rooms/v6.md, v7.md, fragments/v8-auth-rules.md for v8-v9, v10.md,
 * v11.md, v12.md), checked in the spec's order, with the differences read from `rules.auth`.
 *
 * Division of work:
 * - `checkAuthRules` applies every rule that depends on state: it is what "passes authorization
 *   rules based on the event's auth events / the state before the event / the current state"
 *   means in server-server-api §Checks performed on receipt of a PDU, and what state resolution's
 *   iterative auth checks run. The caller passes that state, which must hold the create event,
 *   also in v12 where `auth_events` never lists it.
 * - The rules about the `auth_events` list itself are in `checkAuthEventsList` (auth-events-list.ts).
 * - Signatures are checked before (step 2 on receipt), except the third-party invite's, which
 *   this module checks with `options.crypto`.
 *
 * Pure and synchronous: no IO, no clock, and O(1) state lookups per rule.
 */
import type { Pdu } from '../events/pdu.js'
import type { ReadonlyStateMap } from '../events/state-map.js'
import { parseUserId } from '../ids/user-id.js'
import { creators } from '../power-levels/creators.js'
import {
  namedPowerLevel,
  powerLevelOfUser,
  powerLevelsFromState,
  requiredPowerLevel,
} from '../power-levels/power-levels.js'
import { ROOM_VERSIONS } from '../room-versions/room-versions.js'
import type { RoomVersionRules } from '../room-versions/rules.js'
import { domainOf, membershipOf } from './auth-context.js'
import type { AuthCheckOptions, AuthContext } from './auth-context.js'
import { ALLOWED, reject } from './auth-outcome.js'
import type { AuthOutcome } from './auth-outcome.js'
import { checkMemberEvent } from './membership-rules.js'
import { checkPowerLevelsEvent } from './power-levels-rules.js'
import { authRuleIds } from './rule-ids.js'
import type { AuthRuleIds } from './rule-ids.js'

export type { AuthCheckOptions } from './auth-context.js'
export type { AuthOutcome, AuthRuleId } from './auth-outcome.js'

const NO_OPTIONS: AuthCheckOptions = Object.freeze({})

/**
 * Whether `pdu` is allowed given `authState`: the event's auth events, or the room state before
 * it. A rejection names the rule, numbered as in the room version (see rule-ids.ts).
 */
export function checkAuthRules(
  pdu: Pdu,
  authState: ReadonlyStateMap<Pdu>,
  rules: RoomVersionRules,
  options: AuthCheckOptions = NO_OPTIONS,
): AuthOutcome {
  const ids = authRuleIds(rules)
  if (pdu.type === 'm.room.create') return checkCreateEvent(pdu, rules, ids)

  const create = authState.get('m.room.create', '')
  if (rules.eventFormat.roomIdIsCreateEventHash) {
    if (create === undefined || !isRoomIdOf(pdu.roomId, create.eventId)) {
      return reject(ids.roomIdIsCreateEvent, 'the room ID is not the ID of the m.room.create event')
    }
  } else if (create === undefined) {
    return reject(ids.authEvents.noCreate, 'no m.room.create event in the auth state')
  }

  if (create.content['m.federate'] === false && domainOf(pdu.sender) !== domainOf(create.sender)) {
    return reject(ids.federate, 'the room does not federate with the sender server')
  }

  if (rules.auth.specialCaseAliasesAuth && pdu.type === 'm.room.aliases') {
    if (pdu.stateKey === undefined)
      return reject(ids.aliases.noStateKey, 'aliases without state_key')
    if (domainOf(pdu.sender) !== pdu.stateKey) {
      return reject(ids.aliases.domain, "the state_key is not the sender's server")
    }
    return ALLOWED
  }

  const roomCreators = creators(create, rules)
  const powerLevels = powerLevelsFromState(authState, rules)
  const context: AuthContext = {
    pdu,
    state: authState,
    rules,
    ids,
    create,
    creators: roomCreators,
    powerLevels,
    senderLevel: powerLevelOfUser(pdu.sender, powerLevels, roomCreators, rules),
    options,
  }
  if (pdu.type === 'm.room.member') return checkMemberEvent(context)

  if (membershipOf(authState, pdu.sender) !== 'join') {
    return reject(ids.senderNotJoined, 'the sender is not in the room')
  }
  const senderLevel = context.senderLevel
  if (pdu.type === 'm.room.third_party_invite') {
    if (senderLevel >= namedPowerLevel(powerLevels, 'invite')) return ALLOWED
    return reject(ids.thirdPartyInvite, 'sender power level is below the invite level')
  }
  if (requiredPowerLevel(powerLevels, pdu.type, pdu.stateKey !== undefined) > senderLevel) {
    return reject(ids.requiredPowerLevel, `sender power level is too low to send ${pdu.type}`)
  }
  if (pdu.stateKey !== undefined && pdu.stateKey.startsWith('@') && pdu.stateKey !== pdu.sender) {
    return reject(ids.stateKeyUserId, "a state_key starting with '@' must be the sender")
  }
  if (pdu.type === 'm.room.power_levels') return checkPowerLevelsEvent(context)
  if (rules.auth.specialCaseRedactionAuth && pdu.type === 'm.room.redaction') {
    if (senderLevel >= namedPowerLevel(powerLevels, 'redact')) return ALLOWED
    const redactedDomain = pdu.redacts === undefined ? undefined : domainOf(pdu.redacts)
    if (redactedDomain !== undefined && redactedDomain === domainOf(pdu.eventId)) return ALLOWED
    return reject(ids.redaction, "redacting another server's event needs the redact level")
  }
  return ALLOWED
}

function checkCreateEvent(pdu: Pdu, rules: RoomVersionRules, ids: AuthRuleIds): AuthOutcome {
  if (pdu.prevEvents.length > 0)
    return reject(ids.create.prevEvents, 'create event has prev_events')
  if (rules.eventFormat.roomIdIsCreateEventHash) {
    if (Object.hasOwn(pdu.json, 'room_id'))
      return reject(ids.create.roomId, 'create event has a room_id')
  } else {
    const roomDomain = domainOf(pdu.roomId)
    if (roomDomain === undefined || roomDomain !== domainOf(pdu.sender)) {
      return reject(ids.create.roomId, "the room ID's server is not the sender's")
    }
  }
  const content = pdu.content
  if (Object.hasOwn(content, 'room_version')) {
    const version = content['room_version']
    if (typeof version !== 'string' || !ROOM_VERSIONS.has(version)) {
      return reject(ids.create.roomVersion, 'unknown room_version')
    }
  }
  if (rules.auth.createEventHasCreator && !Object.hasOwn(content, 'creator')) {
    return reject(ids.create.creator, 'create event has no creator')
  }
  if (rules.auth.privilegedCreators && Object.hasOwn(content, 'additional_creators')) {
    const additional = content['additional_creators']
    const valid =
      Array.isArray(additional) &&
      (additional as readonly unknown[]).every(
        (entry) => typeof entry === 'string' && parseUserId(entry).ok,
      )
    if (!valid) {
      return reject(ids.create.additionalCreators, 'additional_creators is not a list of user IDs')
    }
  }
  return ALLOWED
}

/** Whether `roomId` is `eventId` with `!` for `$` (v12 room IDs). */
function isRoomIdOf(roomId: string, eventId: string): boolean {
  return (
    roomId.length === eventId.length &&
    roomId.startsWith('!') &&
    eventId.startsWith('$') &&
    roomId.endsWith(eventId.slice(1))
  )
}

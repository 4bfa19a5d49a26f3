/**
 * Rule identifiers for rejections, numbered as each room version's own list of authorization rules
 * numbers them, so `auth.5.2.3` in a v1 room and `auth.4.3.3` in a v8 room are both "the sender is
 * banned" and each can be looked up in that version's text. The numbers shift between versions:
 * v1-v5 have the `m.room.aliases` rule (4), v6 drops it, v7 adds knock (member rule .6/.7), v8
 * adds the `join_authorised_via_users_server` signature rule (member rule .2), v10 adds two
 * power-level content rules, v12 adds the room ID rule (2) and the creators rule (10.4).
 *
 * The numbers are those of the rendered spec, where Markdown numbers list items in sequence: in
 * v12 the source writes 3.3 then "5." (there is no 3.4 since the create-event rule was removed),
 * which renders and is reported here as 3.4; the final "Otherwise, allow" under rule 10 renders as
 * 10.11.
 *
 * Some rules only allow ("If the join_rule is public, allow"). An event that such a rule does not
 * allow falls through to the rule that rejects it ("Otherwise, reject"), whose number is reported.
 * Rejections the spec leaves implicit are reported under the nearest rule and say so in `reason`.
 */
import type { RoomVersionRules } from '../room-versions/rules.js'
import type { AuthRuleId } from './auth-outcome.js'

export interface AuthRuleIds {
  readonly create: {
    readonly prevEvents: AuthRuleId
    /** v1-v11: the room ID's domain; v12: the create event has a room_id at all. */
    readonly roomId: AuthRuleId
    readonly roomVersion: AuthRuleId
    /** v1-v10 only. */
    readonly creator: AuthRuleId
    /** v12 only. */
    readonly additionalCreators: AuthRuleId
  }
  /** v12 only: the room ID is the create event's ID. */
  readonly roomIdIsCreateEvent: AuthRuleId
  readonly authEvents: {
    readonly duplicate: AuthRuleId
    readonly notSelected: AuthRuleId
    readonly rejected: AuthRuleId
    /** v1-v11 only. */
    readonly noCreate: AuthRuleId
    readonly roomId: AuthRuleId
  }
  readonly federate: AuthRuleId
  /** v1-v5 only. */
  readonly aliases: { readonly noStateKey: AuthRuleId; readonly domain: AuthRuleId }
  readonly member: {
    readonly noStateKeyOrMembership: AuthRuleId
    /** v8+ only. */
    readonly authorisedViaSignature: AuthRuleId
    readonly join: {
      readonly senderIsNotTarget: AuthRuleId
      readonly banned: AuthRuleId
      /** v8+ only. */
      readonly restrictedNotAuthorised: AuthRuleId
      readonly otherwise: AuthRuleId
    }
    readonly invite: {
      readonly thirdParty: {
        readonly targetBanned: AuthRuleId
        readonly noSigned: AuthRuleId
        readonly noMxidOrToken: AuthRuleId
        readonly mxidMismatch: AuthRuleId
        readonly noInviteEvent: AuthRuleId
        readonly senderMismatch: AuthRuleId
        readonly otherwise: AuthRuleId
      }
      readonly senderNotJoined: AuthRuleId
      readonly targetJoinedOrBanned: AuthRuleId
      readonly otherwise: AuthRuleId
    }
    readonly leave: {
      readonly self: AuthRuleId
      readonly senderNotJoined: AuthRuleId
      readonly targetBanned: AuthRuleId
      readonly otherwise: AuthRuleId
    }
    readonly ban: { readonly senderNotJoined: AuthRuleId; readonly otherwise: AuthRuleId }
    /** v7+ only. */
    readonly knock: {
      readonly joinRule: AuthRuleId
      readonly senderIsNotTarget: AuthRuleId
      readonly otherwise: AuthRuleId
    }
    readonly unknown: AuthRuleId
  }
  readonly senderNotJoined: AuthRuleId
  readonly thirdPartyInvite: AuthRuleId
  readonly requiredPowerLevel: AuthRuleId
  readonly stateKeyUserId: AuthRuleId
  readonly powerLevels: {
    /** v10+ only. */
    readonly levelsNotIntegers: AuthRuleId
    /** v10+ only. */
    readonly mapsNotIntegers: AuthRuleId
    readonly users: AuthRuleId
    /** v12 only. */
    readonly creatorsInUsers: AuthRuleId
    readonly levelCurrent: AuthRuleId
    readonly levelNew: AuthRuleId
    readonly eventsCurrent: AuthRuleId
    readonly eventsNew: AuthRuleId
    readonly usersCurrent: AuthRuleId
    readonly usersNew: AuthRuleId
  }
  /** v1-v2 only. */
  readonly redaction: AuthRuleId
}

// One table per rules object: the numbering is computed once, not per check.
const CACHE = new WeakMap<RoomVersionRules, AuthRuleIds>()

export function authRuleIds(rules: RoomVersionRules): AuthRuleIds {
  let ids = CACHE.get(rules)
  if (ids === undefined) {
    ids = computeIds(rules)
    CACHE.set(rules, ids)
  }
  return ids
}

/** A rule that does not exist in this room version; never reported, since its check never runs. */
const ABSENT: AuthRuleId = 'auth.absent'

function computeIds(rules: RoomVersionRules): AuthRuleIds {
  const a = rules.auth
  const hashRoomId = rules.eventFormat.roomIdIsCreateEventHash
  const id = (...parts: number[]): AuthRuleId => `auth.${parts.join('.')}`

  let top = 1 // rule 1 is the create event
  const roomIdRule = hashRoomId ? ++top : 0
  const authEventsRule = ++top
  const federateRule = ++top
  const aliasesRule = a.specialCaseAliasesAuth ? ++top : 0
  const memberRule = ++top
  const senderJoinedRule = ++top
  const thirdPartyRule = ++top
  const requiredRule = ++top
  const stateKeyRule = ++top
  const powerLevelsRule = ++top
  const redactionRule = a.specialCaseRedactionAuth ? ++top : 0

  let m = 1 // member rule .1 is the state_key/membership check
  const viaSignature = a.restrictedJoinRule ? ++m : 0
  const join = ++m
  const invite = ++m
  const leave = ++m
  const ban = ++m
  const knock = a.knocking ? ++m : 0
  const unknown = ++m
  // Join: .1 creator, .2 sender, .3 banned, .4 invite, [.5 restricted], public, otherwise.
  const joinOtherwise = a.restrictedJoinRule ? 7 : 6

  let p = 0
  const levelsNotIntegers = a.integerPowerLevels ? ++p : 0
  const mapsNotIntegers = a.integerPowerLevels ? ++p : 0
  const users = ++p
  const creatorsInUsers = a.privilegedCreators ? ++p : 0
  ++p // no previous power levels: allow
  const levelChange = ++p
  const eventsCurrent = ++p
  const eventsNew = ++p
  const usersCurrent = ++p
  const usersNew = ++p

  const authEventsRoomId = hashRoomId ? 4 : 5
  const present = (flag: boolean, ruleId: AuthRuleId): AuthRuleId => (flag ? ruleId : ABSENT)

  return {
    create: {
      prevEvents: id(1, 1),
      roomId: id(1, 2),
      roomVersion: id(1, 3),
      creator: present(a.createEventHasCreator, id(1, 4)),
      additionalCreators: present(a.privilegedCreators, id(1, 4)),
    },
    roomIdIsCreateEvent: present(hashRoomId, id(roomIdRule)),
    authEvents: {
      duplicate: id(authEventsRule, 1),
      notSelected: id(authEventsRule, 2),
      rejected: id(authEventsRule, 3),
      noCreate: present(!hashRoomId, id(authEventsRule, 4)),
      roomId: id(authEventsRule, authEventsRoomId),
    },
    federate: id(federateRule),
    aliases: {
      noStateKey: present(a.specialCaseAliasesAuth, id(aliasesRule, 1)),
      domain: present(a.specialCaseAliasesAuth, id(aliasesRule, 2)),
    },
    member: {
      noStateKeyOrMembership: id(memberRule, 1),
      authorisedViaSignature: present(a.restrictedJoinRule, id(memberRule, viaSignature, 1)),
      join: {
        senderIsNotTarget: id(memberRule, join, 2),
        banned: id(memberRule, join, 3),
        restrictedNotAuthorised: present(a.restrictedJoinRule, id(memberRule, join, 5, 2)),
        otherwise: id(memberRule, join, joinOtherwise),
      },
      invite: {
        thirdParty: {
          targetBanned: id(memberRule, invite, 1, 1),
          noSigned: id(memberRule, invite, 1, 2),
          noMxidOrToken: id(memberRule, invite, 1, 3),
          mxidMismatch: id(memberRule, invite, 1, 4),
          noInviteEvent: id(memberRule, invite, 1, 5),
          senderMismatch: id(memberRule, invite, 1, 6),
          otherwise: id(memberRule, invite, 1, 8),
        },
        senderNotJoined: id(memberRule, invite, 2),
        targetJoinedOrBanned: id(memberRule, invite, 3),
        otherwise: id(memberRule, invite, 5),
      },
      leave: {
        self: id(memberRule, leave, 1),
        senderNotJoined: id(memberRule, leave, 2),
        targetBanned: id(memberRule, leave, 3),
        otherwise: id(memberRule, leave, 5),
      },
      ban: { senderNotJoined: id(memberRule, ban, 1), otherwise: id(memberRule, ban, 3) },
      knock: {
        joinRule: present(a.knocking, id(memberRule, knock, 1)),
        senderIsNotTarget: present(a.knocking, id(memberRule, knock, 2)),
        otherwise: present(a.knocking, id(memberRule, knock, 4)),
      },
      unknown: id(memberRule, unknown),
    },
    senderNotJoined: id(senderJoinedRule),
    thirdPartyInvite: id(thirdPartyRule, 1),
    requiredPowerLevel: id(requiredRule),
    stateKeyUserId: id(stateKeyRule),
    powerLevels: {
      levelsNotIntegers: present(a.integerPowerLevels, id(powerLevelsRule, levelsNotIntegers)),
      mapsNotIntegers: present(a.integerPowerLevels, id(powerLevelsRule, mapsNotIntegers)),
      users: id(powerLevelsRule, users),
      creatorsInUsers: present(a.privilegedCreators, id(powerLevelsRule, creatorsInUsers)),
      levelCurrent: id(powerLevelsRule, levelChange, 1),
      levelNew: id(powerLevelsRule, levelChange, 2),
      eventsCurrent: id(powerLevelsRule, eventsCurrent, 1),
      eventsNew: id(powerLevelsRule, eventsNew, 1),
      usersCurrent: id(powerLevelsRule, usersCurrent, 1),
      usersNew: id(powerLevelsRule, usersNew, 1),
    },
    redaction: present(a.specialCaseRedactionAuth, id(redactionRule, 3)),
  }
}

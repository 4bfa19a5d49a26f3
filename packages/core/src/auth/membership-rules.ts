/**
 * The authorization rule for `m.room.member` events (rule 5 in v1-v5, 4 in v6-v11, 5 in v12), in
 * the spec's order. Each branch ends in allow or reject, so no later rule sees a member event.
 */
import { parseUserId, userIdServerName } from '../ids/user-id.js'
import { isJsonObject } from '../json/json.js'
import { namedPowerLevel } from '../power-levels/power-levels.js'
import { ALLOWED, reject } from './auth-outcome.js'
import type { AuthOutcome } from './auth-outcome.js'
import { hasSignatureFrom, levelOf, membershipOf } from './auth-context.js'
import type { AuthContext } from './auth-context.js'
import { thirdPartyInviteSignatureMatches } from './third-party-invite.js'

export function checkMemberEvent(c: AuthContext): AuthOutcome {
  const { pdu, rules, ids } = c
  const target = pdu.stateKey
  if (target === undefined || !Object.hasOwn(pdu.content, 'membership')) {
    return reject(ids.member.noStateKeyOrMembership, 'member event without state_key or membership')
  }
  if (
    rules.auth.restrictedJoinRule &&
    Object.hasOwn(pdu.content, 'join_authorised_via_users_server')
  ) {
    const authoriser = parseUserId(stringOr(pdu.content['join_authorised_via_users_server']))
    const isSignedBy = c.options.isSignedBy ?? hasSignatureFrom
    if (!authoriser.ok || !isSignedBy(pdu, userIdServerName(authoriser.value))) {
      return reject(
        ids.member.authorisedViaSignature,
        'not signed by the server of join_authorised_via_users_server',
      )
    }
  }
  const membership = pdu.content['membership']
  if (membership === 'join') return checkJoin(c, target)
  if (membership === 'invite') return checkInvite(c, target)
  if (membership === 'leave') return checkLeave(c, target)
  if (membership === 'ban') return checkBan(c, target)
  if (membership === 'knock' && rules.auth.knocking) return checkKnock(c, target)
  return reject(ids.member.unknown, 'unknown membership')
}

function checkJoin(c: AuthContext, target: string): AuthOutcome {
  const { pdu, rules, create } = c
  const ids = c.ids.member.join
  // v1-v10 name the creator in the create event's content; v11 and later use its sender.
  const creator = rules.auth.createEventHasCreator ? create.content['creator'] : create.sender
  if (pdu.prevEvents.length === 1 && pdu.prevEvents[0] === create.eventId && creator === target) {
    return ALLOWED
  }
  if (pdu.sender !== target)
    return reject(ids.senderIsNotTarget, 'sender cannot join for another user')
  const membership = membershipOf(c.state, pdu.sender)
  if (membership === 'ban') return reject(ids.banned, 'sender is banned')
  const joinRule = joinRuleOf(c)
  if (joinRule === 'invite' || (rules.auth.knocking && joinRule === 'knock')) {
    if (membership === 'invite' || membership === 'join') return ALLOWED
    return reject(ids.otherwise, `join rule is ${joinRule} and the sender is not invited`)
  }
  if (
    rules.auth.restrictedJoinRule &&
    (joinRule === 'restricted' ||
      (rules.auth.knockRestrictedJoinRule && joinRule === 'knock_restricted'))
  ) {
    if (membership === 'join' || membership === 'invite') return ALLOWED
    const authoriser = pdu.content['join_authorised_via_users_server']
    if (
      typeof authoriser !== 'string' ||
      membershipOf(c.state, authoriser) !== 'join' ||
      levelOf(c, authoriser) < namedPowerLevel(c.powerLevels, 'invite')
    ) {
      return reject(
        ids.restrictedNotAuthorised,
        'join_authorised_via_users_server is not a joined member able to invite',
      )
    }
    return ALLOWED
  }
  if (joinRule === 'public') return ALLOWED
  return reject(ids.otherwise, 'the join rule does not let the sender join')
}

function checkInvite(c: AuthContext, target: string): AuthOutcome {
  const { pdu } = c
  const ids = c.ids.member.invite
  const targetMembership = membershipOf(c.state, target)
  if (Object.hasOwn(pdu.content, 'third_party_invite')) {
    return checkThirdPartyInvite(c, target, targetMembership)
  }
  if (membershipOf(c.state, pdu.sender) !== 'join') {
    return reject(ids.senderNotJoined, 'sender is not in the room')
  }
  if (targetMembership === 'join' || targetMembership === 'ban') {
    return reject(ids.targetJoinedOrBanned, `target's membership is ${targetMembership}`)
  }
  if (c.senderLevel >= namedPowerLevel(c.powerLevels, 'invite')) return ALLOWED
  return reject(ids.otherwise, 'sender power level is below the invite level')
}

function checkThirdPartyInvite(
  c: AuthContext,
  target: string,
  targetMembership: string | undefined,
): AuthOutcome {
  const { pdu } = c
  const ids = c.ids.member.invite.thirdParty
  if (targetMembership === 'ban') return reject(ids.targetBanned, 'target is banned')
  const invite = pdu.content['third_party_invite']
  if (!isJsonObject(invite) || !Object.hasOwn(invite, 'signed')) {
    return reject(ids.noSigned, 'third_party_invite has no signed object')
  }
  const signed = invite['signed']
  const mxid = isJsonObject(signed) ? signed['mxid'] : undefined
  const token = isJsonObject(signed) ? signed['token'] : undefined
  if (!isJsonObject(signed) || typeof mxid !== 'string' || typeof token !== 'string') {
    return reject(ids.noMxidOrToken, 'signed has no string mxid and token')
  }
  if (mxid !== target) return reject(ids.mxidMismatch, 'signed.mxid is not the state_key')
  const inviteEvent = c.state.get('m.room.third_party_invite', token)
  if (inviteEvent === undefined) {
    return reject(ids.noInviteEvent, 'no m.room.third_party_invite for the token')
  }
  if (inviteEvent.sender !== pdu.sender) {
    return reject(ids.senderMismatch, 'sender did not send the m.room.third_party_invite')
  }
  const crypto = c.options.crypto
  if (crypto === undefined) {
    return reject(ids.otherwise, 'no crypto provider was supplied to verify third-party invites')
  }
  if (thirdPartyInviteSignatureMatches(signed, inviteEvent.content, crypto)) return ALLOWED
  return reject(ids.otherwise, 'no signature in signed matches a public key of the invite')
}

function checkLeave(c: AuthContext, target: string): AuthOutcome {
  const { pdu, rules } = c
  const ids = c.ids.member.leave
  const senderMembership = membershipOf(c.state, pdu.sender)
  if (pdu.sender === target) {
    if (
      senderMembership === 'invite' ||
      senderMembership === 'join' ||
      (rules.auth.knocking && senderMembership === 'knock')
    ) {
      return ALLOWED
    }
    return reject(ids.self, 'sender cannot leave from their current membership')
  }
  if (senderMembership !== 'join') return reject(ids.senderNotJoined, 'sender is not in the room')
  if (
    membershipOf(c.state, target) === 'ban' &&
    c.senderLevel < namedPowerLevel(c.powerLevels, 'ban')
  ) {
    return reject(ids.targetBanned, 'unbanning needs the ban level')
  }
  if (
    c.senderLevel >= namedPowerLevel(c.powerLevels, 'kick') &&
    levelOf(c, target) < c.senderLevel
  ) {
    return ALLOWED
  }
  return reject(ids.otherwise, 'kicking needs the kick level and more power than the target')
}

function checkBan(c: AuthContext, target: string): AuthOutcome {
  const ids = c.ids.member.ban
  if (membershipOf(c.state, c.pdu.sender) !== 'join') {
    return reject(ids.senderNotJoined, 'sender is not in the room')
  }
  if (
    c.senderLevel >= namedPowerLevel(c.powerLevels, 'ban') &&
    levelOf(c, target) < c.senderLevel
  ) {
    return ALLOWED
  }
  return reject(ids.otherwise, 'banning needs the ban level and more power than the target')
}

function checkKnock(c: AuthContext, target: string): AuthOutcome {
  const { pdu, rules } = c
  const ids = c.ids.member.knock
  const joinRule = joinRuleOf(c)
  if (
    joinRule !== 'knock' &&
    !(rules.auth.knockRestrictedJoinRule && joinRule === 'knock_restricted')
  ) {
    return reject(ids.joinRule, 'the join rule does not allow knocking')
  }
  if (pdu.sender !== target)
    return reject(ids.senderIsNotTarget, 'sender cannot knock for another user')
  const membership = membershipOf(c.state, pdu.sender)
  if (membership !== 'ban' && membership !== 'invite' && membership !== 'join') return ALLOWED
  return reject(ids.otherwise, `sender's membership is ${membership}`)
}

/**
 * The room's join rule. The spec names no default; as Synapse does, a room without a join-rules
 * event (or with one that has no `join_rule`) is taken to be invite-only.
 */
function joinRuleOf(c: AuthContext): unknown {
  const event = c.state.get('m.room.join_rules', '')
  if (event === undefined || !Object.hasOwn(event.content, 'join_rule')) return 'invite'
  return event.content['join_rule']
}

function stringOr(value: unknown): string {
  return typeof value === 'string' ? value : ''
}

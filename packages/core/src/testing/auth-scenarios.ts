/**
 * Auth-rule scenarios, written once and run against every room version's table of rules
 * (auth/auth-rules.v*.test.ts). Each scenario builds an event that a rule allows and one that it
 * rejects, in a room of the version under test; the version's table says which rule number of that
 * version the rejection must name.
 */
import { nodeCryptoProvider } from '@rhizome/crypto-node'
import { checkAuthEventsList } from '../auth/auth-events-list.js'
import { checkAuthRules } from '../auth/auth-rules.js'
import type { AuthCheckOptions } from '../auth/auth-context.js'
import type { AuthOutcome } from '../auth/auth-outcome.js'
import { publicKeyBase64, signingKeyFromSeed } from '../crypto/signing-key.js'
import type { SigningKey } from '../crypto/signing-key.js'
import { signJson } from '../crypto/signing.js'
import { encodeBase64Url } from '../encoding/base64.js'
import type { Pdu } from '../events/pdu.js'
import { StateMap } from '../events/state-map.js'
import type { ReadonlyStateMap } from '../events/state-map.js'
import type { JsonObject } from '../json/json.js'
import type { RoomVersionRules } from '../room-versions/rules.js'
import { ALICE, BOB, CAROL, DAVE, ERIN, RoomFixture } from './auth-fixtures.js'
import type { RoomOptions } from './auth-fixtures.js'

export type AuthCase =
  | {
      readonly check: 'rules'
      readonly event: Pdu
      readonly state: ReadonlyStateMap<Pdu>
      readonly options?: AuthCheckOptions
    }
  | {
      readonly check: 'list'
      readonly event: Pdu
      readonly authEvents: readonly Pdu[]
      readonly isRejected?: (event: Pdu) => boolean
    }

export interface Scenario {
  /** What the scenario shows, for test names. */
  readonly title: string
  readonly allowed?: (rules: RoomVersionRules) => AuthCase
  readonly rejected?: (rules: RoomVersionRules) => AuthCase
}

export function runCase(authCase: AuthCase, rules: RoomVersionRules): AuthOutcome {
  return authCase.check === 'rules'
    ? checkAuthRules(authCase.event, authCase.state, rules, authCase.options)
    : checkAuthEventsList(authCase.event, authCase.authEvents, rules, authCase.isRejected)
}

const room = (rules: RoomVersionRules, options?: RoomOptions): RoomFixture =>
  new RoomFixture(rules, options)

/** Check `event` against the room's state with `extra` applied. */
function onState(r: RoomFixture, event: Pdu, ...extra: Pdu[]): AuthCase {
  return { check: 'rules', event, state: r.stateWith(...extra) }
}

function onlyCreate(r: RoomFixture, event: Pdu): AuthCase {
  return { check: 'rules', event, state: new StateMap([['m.room.create', '', r.create]]) }
}

function baseEvent(r: RoomFixture, type: string, stateKey: string): Pdu {
  const event = r.stateWith().get(type, stateKey)
  if (event === undefined) throw new Error(`fixture has no ${type}/${stateKey}`)
  return event
}

/** The auth events a message from Carol cites: create (before v12), power levels, her join. */
function messageAuthEvents(r: RoomFixture): Pdu[] {
  const events = [baseEvent(r, 'm.room.power_levels', ''), baseEvent(r, 'm.room.member', CAROL)]
  return r.rules.eventFormat.roomIdIsCreateEventHash ? events : [r.create, ...events]
}

function list(r: RoomFixture, event: Pdu, authEvents: readonly Pdu[]): AuthCase {
  return { check: 'list', event, authEvents }
}

/** A signature entry from `server`, for the join_authorised_via_users_server rule. */
function signedBy(...servers: string[]): JsonObject {
  return Object.fromEntries(servers.map((server) => [server, { 'ed25519:1': 'c2lnbmF0dXJl' }]))
}

function restrictedJoin(r: RoomFixture, authoriser: string | undefined, server?: string): Pdu {
  return r.event({
    type: 'm.room.member',
    sender: DAVE,
    stateKey: DAVE,
    content: {
      membership: 'join',
      ...(authoriser === undefined ? {} : { join_authorised_via_users_server: authoriser }),
    },
    signatures: signedBy('d.example', ...(server === undefined ? [] : [server])),
  })
}

function powerLevels(r: RoomFixture, sender: string, extra: JsonObject): Pdu {
  return r.state('m.room.power_levels', sender, r.powerLevelsContent(extra))
}

// Third-party invites: an identity server at id.example with a fixed key, so runs are repeatable.
const IDENTITY_KEY = identityKey(7)
const OTHER_IDENTITY_KEY = identityKey(8)
const TOKEN = 'invite-token'

function identityKey(fill: number): SigningKey {
  const key = signingKeyFromSeed(new Uint8Array(32).fill(fill), 'id', nodeCryptoProvider)
  if (!key.ok) throw new Error(key.error.error)
  return key.value
}

interface ThirdPartyOptions {
  readonly room?: RoomOptions
  readonly signed?: JsonObject
  readonly signWith?: SigningKey
  readonly target?: string
  readonly sender?: string
  readonly inviteContent?: JsonObject
  readonly withoutInviteEvent?: boolean
  readonly withoutCrypto?: boolean
  /** Replaces the whole `third_party_invite` object. */
  readonly thirdPartyInvite?: JsonObject
}

function thirdPartyInvite(rules: RoomVersionRules, o: ThirdPartyOptions = {}): AuthCase {
  const r = room(rules, o.room)
  const inviteEvent = r.state(
    'm.room.third_party_invite',
    ALICE,
    o.inviteContent ?? {
      display_name: 'd...@example.com',
      key_validity_url: 'https://id.example/_matrix/identity/v2/pubkey/isvalid',
      public_key: publicKeyBase64(IDENTITY_KEY),
      public_keys: [{ public_key: publicKeyBase64(IDENTITY_KEY) }],
    },
    TOKEN,
  )
  const signed = signJson(
    o.signed ?? { mxid: DAVE, token: TOKEN, sender: ALICE },
    'id.example',
    o.signWith ?? IDENTITY_KEY,
    nodeCryptoProvider,
  )
  const event = r.member(o.sender ?? ALICE, o.target ?? DAVE, 'invite', {
    third_party_invite: o.thirdPartyInvite ?? { display_name: 'd...@example.com', signed },
  })
  const extra = o.withoutInviteEvent === true ? [] : [inviteEvent]
  return {
    check: 'rules',
    event,
    state: r.stateWith(...extra),
    ...(o.withoutCrypto === true ? {} : { options: { crypto: nodeCryptoProvider } }),
  }
}

function createOnly(event: Pdu): AuthCase {
  return { check: 'rules', event, state: new StateMap() }
}

export const SCENARIOS = {
  // Rule 1: the create event.
  'create.prevEvents': {
    title: 'create event with prev_events',
    allowed: (v) => createOnly(room(v).create),
    rejected: (v) => createOnly(room(v).createEvent({ prev: ['$before'] })),
  },
  'create.roomId': {
    title: 'create event room ID (v1-v11: domain of the sender; v12: absent)',
    allowed: (v) => createOnly(room(v).create),
    rejected: (v) =>
      createOnly(
        v.eventFormat.roomIdIsCreateEventHash
          ? room(v).createEvent({ keepRoomId: true })
          : room(v).createEvent({ roomId: '!room:elsewhere.example' }),
      ),
  },
  'create.roomVersion': {
    title: 'create event room_version must be known',
    allowed: (v) => createOnly(room(v).create),
    rejected: (v) => createOnly(room(v).createEvent({ content: { room_version: '999' } })),
  },
  'create.creator': {
    title: 'create event without content.creator',
    allowed: (v) => createOnly(room(v).create),
    rejected: (v) => createOnly(room(v).createEvent({ omitCreator: true })),
  },
  'create.additionalCreators': {
    title: 'additional_creators must be user IDs',
    allowed: (v) => createOnly(room(v).createEvent({ content: { additional_creators: [BOB] } })),
    rejected: (v) =>
      createOnly(room(v).createEvent({ content: { additional_creators: [BOB, 'bob'] } })),
  },
  'create.otherwise': {
    title: 'a well-formed create event is allowed',
    allowed: (v) => createOnly(room(v).createEvent({ content: { 'm.federate': false } })),
  },

  // v12 rule 2: the room ID is the create event's ID.
  'roomId.isCreateEvent': {
    title: "the room ID must be the create event's ID",
    allowed: (v) => {
      const r = room(v)
      return onState(r, r.message(CAROL))
    },
    rejected: (v) => {
      const r = room(v)
      return onState(r, r.event({ type: 'm.room.message', sender: CAROL, roomId: '!other' }))
    },
  },

  // Rule 2 (v12: 3): the auth_events list.
  'authEvents.duplicate': {
    title: 'two auth events for one (type, state_key)',
    allowed: (v) => {
      const r = room(v)
      return list(r, r.message(CAROL), messageAuthEvents(r))
    },
    rejected: (v) => {
      const r = room(v)
      const second = r.state('m.room.power_levels', ALICE, r.powerLevelsContent())
      return list(r, r.message(CAROL), [...messageAuthEvents(r), second])
    },
  },
  'authEvents.notSelected': {
    title: 'an auth event the selection would not choose',
    allowed: (v) => {
      const r = room(v)
      const join = r.member(DAVE, DAVE, 'join')
      return list(r, join, [
        ...messageAuthEvents(r).slice(0, -1),
        baseEvent(r, 'm.room.join_rules', ''),
      ])
    },
    rejected: (v) => {
      const r = room(v)
      return list(r, r.message(CAROL), [
        ...messageAuthEvents(r),
        baseEvent(r, 'm.room.join_rules', ''),
      ])
    },
  },
  'authEvents.createCited': {
    title: 'the create event among the auth events (v12: must not be)',
    allowed: (v) => {
      const r = room(v)
      return list(r, r.message(CAROL), messageAuthEvents(r))
    },
    rejected: (v) => {
      const r = room(v)
      return list(r, r.message(CAROL), [r.create, ...messageAuthEvents(r)])
    },
  },
  'authEvents.rejected': {
    title: 'an auth event that was itself rejected',
    allowed: (v) => {
      const r = room(v)
      return { ...list(r, r.message(CAROL), messageAuthEvents(r)), isRejected: () => false }
    },
    rejected: (v) => {
      const r = room(v)
      const pl = baseEvent(r, 'm.room.power_levels', '')
      return { ...list(r, r.message(CAROL), messageAuthEvents(r)), isRejected: (e) => e === pl }
    },
  },
  'authEvents.noCreate': {
    title: 'auth events without the create event',
    allowed: (v) => {
      const r = room(v)
      return list(r, r.message(CAROL), messageAuthEvents(r))
    },
    rejected: (v) => {
      const r = room(v)
      return list(r, r.message(CAROL), messageAuthEvents(r).slice(1))
    },
  },
  'authEvents.roomId': {
    title: 'an auth event from another room',
    allowed: (v) => {
      const r = room(v)
      return list(r, r.message(CAROL), messageAuthEvents(r))
    },
    rejected: (v) => {
      const r = room(v)
      const foreign = r.event({
        type: 'm.room.member',
        sender: CAROL,
        stateKey: CAROL,
        content: { membership: 'join' },
        roomId: '!elsewhere:a.example',
      })
      return list(r, r.message(CAROL), [...messageAuthEvents(r).slice(0, -1), foreign])
    },
  },

  // m.federate.
  federate: {
    title: 'm.federate false keeps other servers out',
    allowed: (v) => {
      const r = room(v, { createContent: { 'm.federate': false } })
      return onState(r, r.message(ALICE))
    },
    rejected: (v) => {
      const r = room(v, { createContent: { 'm.federate': false } })
      return onState(r, r.message(BOB))
    },
  },

  // v1-v5: m.room.aliases.
  'aliases.noStateKey': {
    title: 'm.room.aliases without state_key',
    allowed: (v) => aliases(v, 'd.example'),
    rejected: (v) => aliases(v, undefined),
  },
  'aliases.domain': {
    title: "m.room.aliases for another server's domain",
    allowed: (v) => aliases(v, 'd.example'),
    rejected: (v) => aliases(v, 'a.example'),
  },
  'aliases.otherwise': {
    title: 'm.room.aliases of the sender server is allowed, even from outside the room',
    allowed: (v) => aliases(v, 'd.example'),
  },

  // The member rule.
  'member.noStateKeyOrMembership': {
    title: 'member event without membership',
    allowed: (v) => {
      const r = room(v)
      return onState(r, r.member(CAROL, CAROL, 'join', { displayname: 'Carol' }))
    },
    rejected: (v) => {
      const r = room(v)
      const event = r.event({ type: 'm.room.member', sender: CAROL, stateKey: CAROL, content: {} })
      return onState(r, event)
    },
  },
  'member.noStateKey': {
    title: 'member event without state_key',
    rejected: (v) => {
      const r = room(v)
      return onState(
        r,
        r.event({ type: 'm.room.member', sender: CAROL, content: { membership: 'join' } }),
      )
    },
  },
  'member.authorisedViaSignature': {
    title: "join_authorised_via_users_server needs that server's signature",
    allowed: (v) => {
      const r = room(v, { joinRule: 'restricted' })
      return onState(r, restrictedJoin(r, BOB, 'b.example'))
    },
    rejected: (v) => {
      const r = room(v, { joinRule: 'restricted' })
      return onState(r, restrictedJoin(r, BOB))
    },
  },
  'join.creator': {
    title: "the creator's first join, right after the create event",
    allowed: (v) => {
      const r = room(v)
      return onlyCreate(
        r,
        r.event({
          type: 'm.room.member',
          sender: ALICE,
          stateKey: ALICE,
          content: { membership: 'join' },
          prev: ['$create'],
        }),
      )
    },
    rejected: (v) => {
      const r = room(v)
      return onlyCreate(
        r,
        r.event({
          type: 'm.room.member',
          sender: BOB,
          stateKey: BOB,
          content: { membership: 'join' },
          prev: ['$create'],
        }),
      )
    },
  },
  'join.senderIsNotTarget': {
    title: 'joining for someone else',
    allowed: (v) => {
      const r = room(v)
      return onState(r, r.member(DAVE, DAVE, 'join'))
    },
    rejected: (v) => {
      const r = room(v)
      return onState(r, r.member(ALICE, DAVE, 'join'))
    },
  },
  'join.banned': {
    title: 'a banned user joins',
    allowed: (v) => {
      const r = room(v)
      return onState(r, r.member(DAVE, DAVE, 'join'))
    },
    rejected: (v) => {
      const r = room(v, { memberships: { [DAVE]: 'ban' } })
      return onState(r, r.member(DAVE, DAVE, 'join'))
    },
  },
  'join.invite': {
    title: 'join rule invite: the invited may join',
    allowed: (v) => {
      const r = room(v, { joinRule: 'invite', memberships: { [DAVE]: 'invite' } })
      return onState(r, r.member(DAVE, DAVE, 'join'))
    },
    rejected: (v) => {
      const r = room(v, { joinRule: 'invite' })
      return onState(r, r.member(DAVE, DAVE, 'join'))
    },
  },
  'join.inviteAlreadyJoined': {
    title: 'join rule invite: a member may join again (profile change)',
    allowed: (v) => {
      const r = room(v, { joinRule: 'invite' })
      return onState(r, r.member(CAROL, CAROL, 'join', { displayname: 'C' }))
    },
  },
  'join.noJoinRules': {
    title: 'no join rules event: treated as invite',
    allowed: (v) => {
      const r = room(v, { joinRule: null, memberships: { [DAVE]: 'invite' } })
      return onState(r, r.member(DAVE, DAVE, 'join'))
    },
    rejected: (v) => {
      const r = room(v, { joinRule: null })
      return onState(r, r.member(DAVE, DAVE, 'join'))
    },
  },
  'join.knock': {
    title: 'join rule knock: the invited may join, a knocker may not',
    allowed: (v) => {
      const r = room(v, { joinRule: 'knock', memberships: { [DAVE]: 'invite' } })
      return onState(r, r.member(DAVE, DAVE, 'join'))
    },
    rejected: (v) => {
      const r = room(v, { joinRule: 'knock', memberships: { [DAVE]: 'knock' } })
      return onState(r, r.member(DAVE, DAVE, 'join'))
    },
  },
  'join.restrictedMember': {
    title: 'join rule restricted: the invited may join without an authoriser',
    allowed: (v) => {
      const r = room(v, { joinRule: 'restricted', memberships: { [DAVE]: 'invite' } })
      return onState(r, restrictedJoin(r, undefined))
    },
    rejected: (v) => {
      const r = room(v, { joinRule: 'restricted' })
      return onState(r, restrictedJoin(r, undefined))
    },
  },
  'join.restrictedAuthoriserPower': {
    title: 'join rule restricted: the authoriser must be able to invite',
    allowed: (v) => {
      const r = room(v, { joinRule: 'restricted', powerLevels: { invite: 50 } })
      return onState(r, restrictedJoin(r, BOB, 'b.example'))
    },
    rejected: (v) => {
      const r = room(v, { joinRule: 'restricted', powerLevels: { invite: 50 } })
      return onState(r, restrictedJoin(r, CAROL, 'c.example'))
    },
  },
  'join.restrictedAuthoriserJoined': {
    title: 'join rule restricted: the authoriser must be joined',
    allowed: (v) => {
      const r = room(v, { joinRule: 'restricted' })
      return onState(r, restrictedJoin(r, CAROL, 'c.example'))
    },
    rejected: (v) => {
      const r = room(v, { joinRule: 'restricted' })
      return onState(r, restrictedJoin(r, ERIN, 'e.example'))
    },
  },
  'join.knockRestricted': {
    title: 'join rule knock_restricted: an authorised join',
    allowed: (v) => {
      const r = room(v, { joinRule: 'knock_restricted' })
      return onState(r, restrictedJoin(r, BOB, 'b.example'))
    },
    rejected: (v) => {
      const r = room(v, { joinRule: 'knock_restricted' })
      return onState(r, restrictedJoin(r, undefined))
    },
  },
  'join.public': {
    title: 'join rule public: anyone may join',
    allowed: (v) => {
      const r = room(v)
      return onState(r, r.member(DAVE, DAVE, 'join'))
    },
    rejected: (v) => {
      const r = room(v, { joinRule: 'private' })
      return onState(r, r.member(DAVE, DAVE, 'join'))
    },
  },

  // Invites, and third-party invites with real ed25519 signatures.
  'thirdParty.targetBanned': {
    title: 'third-party invite of a banned user',
    allowed: (v) => thirdPartyInvite(v),
    rejected: (v) => thirdPartyInvite(v, { room: { memberships: { [DAVE]: 'ban' } } }),
  },
  'thirdParty.noSigned': {
    title: 'third_party_invite without signed',
    allowed: (v) => thirdPartyInvite(v),
    rejected: (v) => thirdPartyInvite(v, { thirdPartyInvite: { display_name: 'd' } }),
  },
  'thirdParty.noMxidOrToken': {
    title: 'signed without token',
    allowed: (v) => thirdPartyInvite(v),
    rejected: (v) => thirdPartyInvite(v, { signed: { mxid: DAVE, sender: ALICE } }),
  },
  'thirdParty.mxidMismatch': {
    title: 'signed.mxid is not the invitee',
    allowed: (v) => thirdPartyInvite(v),
    rejected: (v) => thirdPartyInvite(v, { target: ERIN }),
  },
  'thirdParty.noInviteEvent': {
    title: 'no m.room.third_party_invite for the token',
    allowed: (v) => thirdPartyInvite(v),
    rejected: (v) => thirdPartyInvite(v, { withoutInviteEvent: true }),
  },
  'thirdParty.senderMismatch': {
    title: 'the invite is completed by someone other than its sender',
    allowed: (v) => thirdPartyInvite(v),
    rejected: (v) => thirdPartyInvite(v, { sender: BOB }),
  },
  'thirdParty.publicKey': {
    title: 'signature by the key in public_key (URL-safe base64)',
    allowed: (v) =>
      thirdPartyInvite(v, {
        inviteContent: { display_name: 'd', public_key: encodeBase64Url(IDENTITY_KEY.publicKey) },
      }),
    rejected: (v) =>
      thirdPartyInvite(v, {
        inviteContent: { display_name: 'd', public_key: publicKeyBase64(OTHER_IDENTITY_KEY) },
      }),
  },
  'thirdParty.publicKeys': {
    title: 'signature by a key in public_keys',
    allowed: (v) =>
      thirdPartyInvite(v, {
        inviteContent: {
          display_name: 'd',
          public_key: publicKeyBase64(OTHER_IDENTITY_KEY),
          public_keys: [
            { public_key: 'not base64!' },
            7,
            { public_key: publicKeyBase64(IDENTITY_KEY) },
          ],
        },
      }),
    rejected: (v) =>
      thirdPartyInvite(v, {
        inviteContent: {
          display_name: 'd',
          public_keys: [{ public_key: publicKeyBase64(OTHER_IDENTITY_KEY) }],
        },
      }),
  },
  'thirdParty.otherwise': {
    title: 'a signature by a key the invite does not list',
    allowed: (v) => thirdPartyInvite(v),
    rejected: (v) => thirdPartyInvite(v, { signWith: OTHER_IDENTITY_KEY }),
  },
  'thirdParty.noCrypto': {
    title: 'without a crypto provider no third-party invite verifies',
    rejected: (v) => thirdPartyInvite(v, { withoutCrypto: true }),
  },
  'invite.senderNotJoined': {
    title: 'an invite from outside the room',
    allowed: (v) => {
      const r = room(v)
      return onState(r, r.member(ALICE, DAVE, 'invite'))
    },
    rejected: (v) => {
      const r = room(v)
      return onState(r, r.member(DAVE, ERIN, 'invite'))
    },
  },
  'invite.targetJoined': {
    title: 'inviting a member',
    allowed: (v) => {
      const r = room(v)
      return onState(r, r.member(ALICE, DAVE, 'invite'))
    },
    rejected: (v) => {
      const r = room(v)
      return onState(r, r.member(ALICE, CAROL, 'invite'))
    },
  },
  'invite.targetBanned': {
    title: 'inviting a banned user',
    rejected: (v) => {
      const r = room(v, { memberships: { [DAVE]: 'ban' } })
      return onState(r, r.member(ALICE, DAVE, 'invite'))
    },
  },
  'invite.powerLevel': {
    title: 'inviting needs the invite level',
    allowed: (v) => {
      const r = room(v)
      return onState(r, r.member(CAROL, DAVE, 'invite'))
    },
    rejected: (v) => {
      const r = room(v, { powerLevels: { invite: 50 } })
      return onState(r, r.member(CAROL, DAVE, 'invite'))
    },
  },

  // Leaving, kicking and unbanning.
  'leave.self': {
    title: 'leaving from join or invite, not from ban',
    allowed: (v) => {
      const r = room(v, { memberships: { [DAVE]: 'invite' } })
      return onState(r, r.member(DAVE, DAVE, 'leave'))
    },
    rejected: (v) => {
      const r = room(v, { memberships: { [DAVE]: 'ban' } })
      return onState(r, r.member(DAVE, DAVE, 'leave'))
    },
  },
  'leave.selfJoined': {
    title: 'a member leaves',
    allowed: (v) => {
      const r = room(v)
      return onState(r, r.member(CAROL, CAROL, 'leave'))
    },
    rejected: (v) => {
      const r = room(v)
      return onState(r, r.member(DAVE, DAVE, 'leave'))
    },
  },
  'leave.selfKnocked': {
    title: 'a knocker withdraws (v7+)',
    allowed: (v) => {
      const r = room(v, { joinRule: 'knock', memberships: { [DAVE]: 'knock' } })
      return onState(r, r.member(DAVE, DAVE, 'leave'))
    },
    rejected: (v) => {
      const r = room(v, { joinRule: 'knock', memberships: { [DAVE]: 'knock' } })
      return onState(r, r.member(DAVE, DAVE, 'leave'))
    },
  },
  'leave.senderNotJoined': {
    title: 'a kick from outside the room',
    allowed: (v) => {
      const r = room(v)
      return onState(r, r.member(BOB, CAROL, 'leave'))
    },
    rejected: (v) => {
      const r = room(v)
      return onState(r, r.member(DAVE, CAROL, 'leave'))
    },
  },
  'leave.targetBanned': {
    title: 'unbanning needs the ban level',
    allowed: (v) => {
      const r = room(v, { powerLevels: { kick: 0 }, memberships: { [DAVE]: 'ban' } })
      return onState(r, r.member(BOB, DAVE, 'leave'))
    },
    rejected: (v) => {
      const r = room(v, { powerLevels: { kick: 0 }, memberships: { [DAVE]: 'ban' } })
      return onState(r, r.member(CAROL, DAVE, 'leave'))
    },
  },
  'leave.kick': {
    title: 'kicking needs the kick level and more power than the target',
    allowed: (v) => {
      const r = room(v)
      return onState(r, r.member(BOB, CAROL, 'leave'))
    },
    rejected: (v) => {
      const r = room(v)
      return onState(r, r.member(CAROL, BOB, 'leave'))
    },
  },
  'leave.kickHigher': {
    title: 'kicking someone with more power',
    rejected: (v) => {
      const r = room(v)
      return onState(r, r.member(BOB, ALICE, 'leave'))
    },
  },

  // Bans.
  'ban.senderNotJoined': {
    title: 'a ban from outside the room',
    allowed: (v) => {
      const r = room(v)
      return onState(r, r.member(BOB, CAROL, 'ban'))
    },
    rejected: (v) => {
      const r = room(v)
      return onState(r, r.member(DAVE, CAROL, 'ban'))
    },
  },
  'ban.power': {
    title: 'banning needs the ban level and more power than the target',
    allowed: (v) => {
      const r = room(v)
      return onState(r, r.member(BOB, DAVE, 'ban'))
    },
    rejected: (v) => {
      const r = room(v)
      return onState(r, r.member(CAROL, DAVE, 'ban'))
    },
  },
  'ban.higher': {
    title: 'banning someone with more power',
    rejected: (v) => {
      const r = room(v)
      return onState(r, r.member(BOB, ALICE, 'ban'))
    },
  },

  // Knocks (v7+).
  'knock.joinRule': {
    title: 'knocking needs the knock join rule',
    allowed: (v) => {
      const r = room(v, { joinRule: 'knock' })
      return onState(r, r.member(DAVE, DAVE, 'knock'))
    },
    rejected: (v) => {
      const r = room(v)
      return onState(r, r.member(DAVE, DAVE, 'knock'))
    },
  },
  'knock.knockRestricted': {
    title: 'knocking in a knock_restricted room',
    allowed: (v) => {
      const r = room(v, { joinRule: 'knock_restricted' })
      return onState(r, r.member(DAVE, DAVE, 'knock'))
    },
    rejected: (v) => {
      const r = room(v, { joinRule: 'restricted' })
      return onState(r, r.member(DAVE, DAVE, 'knock'))
    },
  },
  'knock.senderIsNotTarget': {
    title: 'knocking for someone else',
    allowed: (v) => {
      const r = room(v, { joinRule: 'knock' })
      return onState(r, r.member(DAVE, DAVE, 'knock'))
    },
    rejected: (v) => {
      const r = room(v, { joinRule: 'knock' })
      return onState(r, r.member(ALICE, DAVE, 'knock'))
    },
  },
  'knock.membership': {
    title: 'knocking when not banned, invited or joined',
    allowed: (v) => {
      const r = room(v, { joinRule: 'knock', memberships: { [DAVE]: 'leave' } })
      return onState(r, r.member(DAVE, DAVE, 'knock'))
    },
    rejected: (v) => {
      const r = room(v, { joinRule: 'knock', memberships: { [DAVE]: 'ban' } })
      return onState(r, r.member(DAVE, DAVE, 'knock'))
    },
  },
  'knock.invited': {
    title: 'an invited user cannot knock',
    rejected: (v) => {
      const r = room(v, { joinRule: 'knock', memberships: { [DAVE]: 'invite' } })
      return onState(r, r.member(DAVE, DAVE, 'knock'))
    },
  },
  'member.unknown': {
    title: 'an unknown membership',
    rejected: (v) => {
      const r = room(v)
      return onState(r, r.member(CAROL, CAROL, 'dance'))
    },
  },
  'member.knockUnknown': {
    title: 'knock before v7 is an unknown membership',
    rejected: (v) => {
      const r = room(v, { joinRule: 'knock' })
      return onState(r, r.member(DAVE, DAVE, 'knock'))
    },
  },

  // Events of other types.
  senderNotJoined: {
    title: 'an event from outside the room',
    allowed: (v) => {
      const r = room(v)
      return onState(r, r.message(CAROL))
    },
    rejected: (v) => {
      const r = room(v)
      return onState(r, r.message(DAVE))
    },
  },
  thirdPartyInviteEvent: {
    title: 'm.room.third_party_invite needs the invite level',
    allowed: (v) => {
      const r = room(v)
      return onState(r, r.state('m.room.third_party_invite', CAROL, { display_name: 'x' }, 'tok'))
    },
    rejected: (v) => {
      const r = room(v, { powerLevels: { invite: 50 } })
      return onState(r, r.state('m.room.third_party_invite', CAROL, { display_name: 'x' }, 'tok'))
    },
  },
  requiredPowerLevel: {
    title: "the event type's required power level",
    allowed: (v) => {
      const r = room(v)
      return onState(r, r.state('m.room.name', BOB, { name: 'n' }))
    },
    rejected: (v) => {
      const r = room(v)
      return onState(r, r.state('m.room.name', CAROL, { name: 'n' }))
    },
  },
  'requiredPowerLevel.message': {
    title: 'events_default applies to messages',
    allowed: (v) => {
      const r = room(v, { powerLevels: { events_default: 50 } })
      return onState(r, r.message(BOB))
    },
    rejected: (v) => {
      const r = room(v, { powerLevels: { events_default: 50 } })
      return onState(r, r.message(CAROL))
    },
  },
  stateKeyUserId: {
    title: "a state_key starting with '@' must be the sender",
    allowed: (v) => {
      const r = room(v, { powerLevels: { events: { 'com.example.x': 0 } } })
      return onState(r, r.state('com.example.x', CAROL, {}, CAROL))
    },
    rejected: (v) => {
      const r = room(v, { powerLevels: { events: { 'com.example.x': 0 } } })
      return onState(r, r.state('com.example.x', CAROL, {}, BOB))
    },
  },

  // Power levels.
  'pl.users': {
    title: 'users keys must be user IDs',
    allowed: (v) => {
      const r = room(v)
      return onState(r, powerLevels(r, BOB, { users: { [CAROL]: 10 } }))
    },
    rejected: (v) => {
      const r = room(v)
      return onState(r, powerLevels(r, BOB, { users: { 'not-a-user': 10 } }))
    },
  },
  'pl.usersValues': {
    title: 'users values must be levels',
    rejected: (v) => {
      const r = room(v)
      return onState(r, powerLevels(r, BOB, { users: { [CAROL]: 'ten' } }))
    },
  },
  'pl.usersNotObject': {
    title: 'users must be an object',
    rejected: (v) => {
      const r = room(v)
      return onState(r, r.state('m.room.power_levels', BOB, { users: [CAROL] }))
    },
  },
  'pl.stringyUsers': {
    title: 'a user level written as a string (v1-v9 only)',
    allowed: (v) => {
      const r = room(v)
      return onState(r, powerLevels(r, BOB, { users: { [CAROL]: ' +10 ' } }))
    },
    rejected: (v) => {
      const r = room(v)
      return onState(r, powerLevels(r, BOB, { users: { [CAROL]: '10' } }))
    },
  },
  'pl.malformedLevel': {
    title: 'a top-level level that is no number',
    rejected: (v) => {
      const r = room(v)
      return onState(r, powerLevels(r, BOB, { kick: 'a lot' }))
    },
  },
  'pl.malformedEvents': {
    title: 'an events level that is no number',
    rejected: (v) => {
      const r = room(v)
      return onState(r, powerLevels(r, BOB, { events: { 'm.room.name': true } }))
    },
  },
  'pl.levelsNotIntegers': {
    title: 'top-level levels must be integers (v10+)',
    allowed: (v) => {
      const r = room(v)
      return onState(r, powerLevels(r, BOB, { ban: 40 }))
    },
    rejected: (v) => {
      const r = room(v)
      return onState(r, powerLevels(r, BOB, { ban: '40' }))
    },
  },
  'pl.eventsNotIntegers': {
    title: 'events values must be integers (v10+)',
    allowed: (v) => {
      const r = room(v)
      return onState(r, powerLevels(r, BOB, { events: { 'm.room.topic': 40 } }))
    },
    rejected: (v) => {
      const r = room(v)
      return onState(r, powerLevels(r, BOB, { events: { 'm.room.topic': '40' } }))
    },
  },
  'pl.notificationsNotIntegers': {
    title: 'notifications must be an object of integers (v10+)',
    allowed: (v) => {
      const r = room(v)
      return onState(r, powerLevels(r, BOB, { notifications: { room: 40 } }))
    },
    rejected: (v) => {
      const r = room(v)
      return onState(r, powerLevels(r, BOB, { notifications: 40 }))
    },
  },
  'pl.creatorsInUsers': {
    title: 'creators cannot be listed in users (v12)',
    allowed: (v) => {
      const r = room(v)
      return onState(r, powerLevels(r, ALICE, { users: { [CAROL]: 10 } }))
    },
    rejected: (v) => {
      const r = room(v)
      return onState(r, powerLevels(r, ALICE, { users: { [ALICE]: 100 } }))
    },
  },
  'pl.additionalCreatorInUsers': {
    title: 'additional creators cannot be listed in users (v12)',
    rejected: (v) => {
      const r = room(v, { createContent: { additional_creators: [CAROL] } })
      return onState(r, powerLevels(r, ALICE, { users: { [CAROL]: 0 } }))
    },
  },
  'pl.noPrevious': {
    title: 'the first power levels are allowed as they are',
    allowed: (v) => {
      const r = room(v, { powerLevels: null })
      return onState(r, powerLevels(r, ALICE, { ban: 1000, users: { [CAROL]: 1000 } }))
    },
    rejected: (v) => {
      const r = room(v, { powerLevels: null })
      return onState(r, powerLevels(r, CAROL, {}))
    },
  },
  'pl.levelCurrent': {
    title: 'changing a level that is above the sender',
    allowed: (v) => {
      const r = room(v, { powerLevels: { kick: 50 } })
      return onState(r, powerLevels(r, BOB, { kick: 40 }))
    },
    rejected: (v) => {
      const r = room(v, { powerLevels: { kick: 100 } })
      return onState(r, powerLevels(r, BOB, { kick: 40 }))
    },
  },
  'pl.levelRemoved': {
    title: 'removing a level that is above the sender',
    allowed: (v) => {
      const r = room(v, { powerLevels: { redact: 50 } })
      return onState(r, powerLevels(r, BOB, {}))
    },
    rejected: (v) => {
      const r = room(v, { powerLevels: { redact: 51 } })
      return onState(r, powerLevels(r, BOB, {}))
    },
  },
  'pl.levelNew': {
    title: 'setting a level above the sender',
    allowed: (v) => {
      const r = room(v)
      return onState(r, powerLevels(r, BOB, { ban: 50 }))
    },
    rejected: (v) => {
      const r = room(v)
      return onState(r, powerLevels(r, BOB, { ban: 60 }))
    },
  },
  'pl.eventsCurrent': {
    title: 'changing an events level that is above the sender',
    allowed: (v) => {
      const r = room(v, { powerLevels: { events: { 'm.room.topic': 50 } } })
      return onState(r, powerLevels(r, BOB, { events: { 'm.room.topic': 40 } }))
    },
    rejected: (v) => {
      const r = room(v, { powerLevels: { events: { 'm.room.name': 100 } } })
      return onState(r, powerLevels(r, BOB, { events: {} }))
    },
  },
  'pl.eventsNew': {
    title: 'setting an events level above the sender',
    allowed: (v) => {
      const r = room(v)
      return onState(r, powerLevels(r, BOB, { events: { 'm.room.topic': 50 } }))
    },
    rejected: (v) => {
      const r = room(v)
      return onState(r, powerLevels(r, BOB, { events: { 'm.room.topic': 60 } }))
    },
  },
  'pl.notificationsCurrent': {
    title: 'changing a notifications level that is above the sender (v6+)',
    allowed: (v) => {
      const r = room(v, { powerLevels: { notifications: { room: 50 } } })
      return onState(r, powerLevels(r, BOB, { notifications: { room: 40 } }))
    },
    rejected: (v) => {
      const r = room(v, { powerLevels: { notifications: { room: 100 } } })
      return onState(r, powerLevels(r, BOB, { notifications: { room: 40 } }))
    },
  },
  'pl.notificationsNew': {
    title: 'setting a notifications level above the sender (v6+)',
    allowed: (v) => {
      const r = room(v)
      return onState(r, powerLevels(r, BOB, { notifications: { room: 50 } }))
    },
    rejected: (v) => {
      const r = room(v)
      return onState(r, powerLevels(r, BOB, { notifications: { room: 60 } }))
    },
  },
  'pl.notificationsIgnored': {
    title: 'notifications are not checked before v6',
    allowed: (v) => {
      const r = room(v, { powerLevels: { notifications: { room: 100 } } })
      return onState(r, powerLevels(r, BOB, { notifications: { room: 60, other: 'x' } }))
    },
  },
  'pl.usersCurrent': {
    title: 'changing another user who is at or above the sender',
    allowed: (v) => {
      const r = room(v, { powerLevels: { users: { [CAROL]: 49 } } })
      return onState(r, powerLevels(r, BOB, { users: { [CAROL]: 0 } }))
    },
    rejected: (v) => {
      const r = room(v, { powerLevels: { users: { [CAROL]: 50 } } })
      return onState(r, powerLevels(r, BOB, { users: { [CAROL]: 0 } }))
    },
  },
  'pl.usersOwnEntry': {
    title: 'the sender may lower their own level',
    allowed: (v) => {
      const r = room(v)
      return onState(r, powerLevels(r, BOB, { users: { [BOB]: 10 } }))
    },
  },
  'pl.usersRemoved': {
    title: "removing another user who is at the sender's level",
    rejected: (v) => {
      const r = room(v, { powerLevels: { users: { [CAROL]: 50 } } })
      // The standard content, which does not list Carol.
      return onState(r, powerLevels(r, BOB, {}))
    },
  },
  'pl.usersNew': {
    title: 'setting a user above the sender',
    allowed: (v) => {
      const r = room(v)
      return onState(r, powerLevels(r, BOB, { users: { [CAROL]: 50 } }))
    },
    rejected: (v) => {
      const r = room(v)
      return onState(r, powerLevels(r, BOB, { users: { [CAROL]: 51 } }))
    },
  },
  'pl.otherwise': {
    title: "a power-levels change within the sender's level",
    allowed: (v) => {
      const r = room(v)
      return onState(r, powerLevels(r, ALICE, { ban: 100, events: { 'm.room.name': 100 } }))
    },
  },

  // v1-v2: redactions.
  'redaction.redactLevel': {
    title: 'redaction with the redact level',
    allowed: (v) => redaction(v, BOB, '$r:b.example', '$x:a.example'),
    rejected: (v) => redaction(v, CAROL, '$r:c.example', '$x:a.example'),
  },
  'redaction.sameDomain': {
    title: "redaction of an event from the redaction's own server",
    allowed: (v) => redaction(v, CAROL, '$r:c.example', '$x:c.example'),
    rejected: (v) => redaction(v, CAROL, '$r:c.example', '$x:b.example'),
  },
  'redaction.noRedacts': {
    title: 'redaction without redacts',
    rejected: (v) => redaction(v, CAROL, '$r:c.example', undefined),
  },
  'redaction.anyone': {
    title: 'from v3, the auth rules let anyone send a redaction',
    allowed: (v) => redaction(v, CAROL, '$r:c.example', '$x:a.example'),
  },

  'join.knockUnsupported': {
    title: 'before v7 the knock join rule lets no one in, invited or not',
    rejected: (v) => {
      const r = room(v, { joinRule: 'knock', memberships: { [DAVE]: 'invite' } })
      return onState(r, r.member(DAVE, DAVE, 'join'))
    },
  },
  'join.knockRestrictedUnsupported': {
    title: 'before v10 the knock_restricted join rule lets no one in',
    rejected: (v) => {
      const r = room(v, { joinRule: 'knock_restricted' })
      return onState(r, restrictedJoin(r, BOB, 'b.example'))
    },
  },
  'join.restrictedUnsupported': {
    title: 'before v8 the restricted join rule lets no one in',
    rejected: (v) => {
      const r = room(v, { joinRule: 'restricted' })
      return onState(r, restrictedJoin(r, BOB, 'b.example'))
    },
  },
  'join.creatorField': {
    title: "the creator's first join: content.creator (v1-v10) or the sender (v11+)",
    allowed: (v) => creatorFieldJoin(v),
    rejected: (v) => creatorFieldJoin(v),
  },
  'knock.knockRestrictedUnsupported': {
    title: 'before v10 knocking in a knock_restricted room is refused',
    rejected: (v) => {
      const r = room(v, { joinRule: 'knock_restricted' })
      return onState(r, r.member(DAVE, DAVE, 'knock'))
    },
  },
  'member.authorisedViaInvalid': {
    title: 'join_authorised_via_users_server that is not a user ID',
    rejected: (v) => {
      const r = room(v, { joinRule: 'restricted' })
      return onState(r, restrictedJoin(r, 'bob', 'b.example'))
    },
  },
  'aliases.noSpecialCase': {
    title: 'from v6 m.room.aliases is an ordinary state event',
    rejected: (v) => aliases(v, 'd.example'),
  },
  'pl.floatyUsers': {
    title: 'a user level written as a float (v1-v5 only)',
    allowed: (v) => {
      const r = room(v)
      return onState(r, powerLevels(r, BOB, { users: { [CAROL]: 10.7 } }))
    },
    rejected: (v) => {
      const r = room(v)
      return onState(r, powerLevels(r, BOB, { users: { [CAROL]: 10.7 } }))
    },
  },

  'requiredPowerLevel.usersDefault': {
    title: 'users_default is the level of users not listed',
    allowed: (v) => {
      const r = room(v, { powerLevels: { users_default: 50 } })
      return onState(r, r.state('m.room.name', CAROL, { name: 'n' }))
    },
    rejected: (v) => {
      const r = room(v, { powerLevels: { users_default: 49 } })
      return onState(r, r.state('m.room.name', CAROL, { name: 'n' }))
    },
  },
  'leave.kickEqual': {
    title: 'kicking someone with the same power',
    rejected: (v) => {
      const r = room(v, { powerLevels: { users: { [CAROL]: 50 } } })
      return onState(r, r.member(BOB, CAROL, 'leave'))
    },
  },
  'ban.equal': {
    title: 'banning someone with the same power',
    rejected: (v) => {
      const r = room(v, { powerLevels: { users: { [CAROL]: 50 } } })
      return onState(r, r.member(BOB, CAROL, 'ban'))
    },
  },

  'knock.inviteRoom': {
    title: 'knocking on an invite-only room',
    rejected: (v) => {
      const r = room(v, { joinRule: 'invite' })
      return onState(r, r.member(DAVE, DAVE, 'knock'))
    },
  },

  otherwise: {
    title: 'any other event from a member with enough power',
    allowed: (v) => {
      const r = room(v)
      return onState(r, r.message(CAROL))
    },
  },
} satisfies Record<string, Scenario>

export type ScenarioName = keyof typeof SCENARIOS

function aliases(v: RoomVersionRules, stateKey: string | undefined): AuthCase {
  const r = room(v)
  return onState(
    r,
    r.event({
      type: 'm.room.aliases',
      sender: DAVE,
      ...(stateKey === undefined ? {} : { stateKey }),
      content: { aliases: ['#a:d.example'] },
    }),
  )
}

function creatorFieldJoin(v: RoomVersionRules): AuthCase {
  const r = room(v, { createContent: { creator: BOB } })
  const join = r.event({
    type: 'm.room.member',
    sender: ALICE,
    stateKey: ALICE,
    content: { membership: 'join' },
    prev: ['$create'],
  })
  return onlyCreate(r, join)
}

function redaction(
  v: RoomVersionRules,
  sender: string,
  id: string,
  redacts: string | undefined,
): AuthCase {
  const r = room(v)
  const event = r.event({
    type: 'm.room.redaction',
    sender,
    id,
    ...(redacts === undefined ? {} : { redacts }),
  })
  return onState(r, event)
}

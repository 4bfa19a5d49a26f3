// Room version 12: rooms/v12.md, one row per numbered rule. The room ID is the create event's ID
// (new rule 2, so later rules move down by one), the create event is no auth event, creators have
// infinite power and may not be listed in users (new rule 10.4). Numbers are the rendered spec's:
// the source writes 3.3 then "5." and a second "10." under rule 10, rendered as 3.4 and 10.11.
import { describe, expect, it } from 'vitest'
import { checkAuthRules } from './auth-rules.js'
import { roomVersionRules } from '../room-versions/room-versions.js'
import { ALICE, BOB, CAROL, DAVE, RoomFixture } from '../testing/auth-fixtures.js'
import { describeAuthTable } from '../testing/auth-table.js'
import type { Row } from '../testing/auth-table.js'

const V12 = roomVersionRules('12')!

const SPEC_RULES = [
  ...['1.1', '1.2', '1.3', '1.4', '1.5'],
  '2',
  ...['3.1', '3.2', '3.3', '3.4'],
  '4',
  ...['5.1', '5.2.1'],
  ...['5.3.1', '5.3.2', '5.3.3', '5.3.4', '5.3.5.1', '5.3.5.2', '5.3.5.3', '5.3.6', '5.3.7'],
  ...['5.4.1.1', '5.4.1.2', '5.4.1.3', '5.4.1.4', '5.4.1.5', '5.4.1.6', '5.4.1.7'],
  ...['5.4.1.7.1', '5.4.1.7.2', '5.4.1.8', '5.4.2', '5.4.3', '5.4.4', '5.4.5'],
  ...['5.5.1', '5.5.2', '5.5.3', '5.5.4', '5.5.5'],
  ...['5.6.1', '5.6.2', '5.6.3'],
  ...['5.7.1', '5.7.2', '5.7.3', '5.7.4'],
  '5.8',
  '6',
  '7.1',
  '8',
  '9',
  ...['10.1', '10.2', '10.3', '10.4', '10.5', '10.6.1', '10.6.2', '10.7.1', '10.8.1', '10.9.1'],
  ...['10.10.1', '10.11'],
  '11',
].map((rule) => `auth.${rule}`)

const ROWS: readonly Row[] = [
  ['auth.1.1', 'create.prevEvents'],
  ['auth.1.2', 'create.roomId'],
  ['auth.1.3', 'create.roomVersion'],
  ['auth.1.4', 'create.additionalCreators'],
  ['auth.1.5', 'create.otherwise'],
  ['auth.2', 'roomId.isCreateEvent'],
  ['auth.3.1', 'authEvents.duplicate'],
  ['auth.3.2', 'authEvents.notSelected'],
  ['auth.3.2', 'authEvents.createCited'],
  ['auth.3.3', 'authEvents.rejected'],
  ['auth.3.4', 'authEvents.roomId'],
  ['auth.4', 'federate'],
  ['auth.5.1', 'member.noStateKeyOrMembership'],
  ['auth.5.1', 'member.noStateKey'],
  ['auth.5.2.1', 'member.authorisedViaSignature'],
  ['auth.5.2.1', 'member.authorisedViaInvalid'],
  ['auth.5.3.1', 'join.creator', { rejectedBy: 'auth.5.3.7' }],
  ['auth.5.3.1', 'join.creatorField', { only: 'allowed' }],
  ['auth.5.3.2', 'join.senderIsNotTarget'],
  ['auth.5.3.3', 'join.banned'],
  ['auth.5.3.4', 'join.invite', { rejectedBy: 'auth.5.3.7' }],
  ['auth.5.3.4', 'join.inviteAlreadyJoined'],
  ['auth.5.3.4', 'join.noJoinRules', { rejectedBy: 'auth.5.3.7' }],
  ['auth.5.3.4', 'join.knock', { rejectedBy: 'auth.5.3.7' }],
  ['auth.5.3.5.1', 'join.restrictedMember', { rejectedBy: 'auth.5.3.5.2' }],
  ['auth.5.3.5.2', 'join.restrictedAuthoriserPower'],
  ['auth.5.3.5.2', 'join.restrictedAuthoriserJoined'],
  ['auth.5.3.5.3', 'join.restrictedAuthoriserJoined', { only: 'allowed' }],
  ['auth.5.3.6', 'join.public', { rejectedBy: 'auth.5.3.7' }],
  ['auth.5.3.5.2', 'join.knockRestricted'],
  ['auth.5.3.7', 'join.restrictedUnsupported', { only: 'allowed' }],
  ['auth.5.3.7', 'join.public', { only: 'rejected' }],
  ['auth.5.4.1.1', 'thirdParty.targetBanned'],
  ['auth.5.4.1.2', 'thirdParty.noSigned'],
  ['auth.5.4.1.3', 'thirdParty.noMxidOrToken'],
  ['auth.5.4.1.4', 'thirdParty.mxidMismatch'],
  ['auth.5.4.1.5', 'thirdParty.noInviteEvent'],
  ['auth.5.4.1.6', 'thirdParty.senderMismatch'],
  ['auth.5.4.1.7', 'thirdParty.otherwise', { rejectedBy: 'auth.5.4.1.8' }],
  ['auth.5.4.1.7.1', 'thirdParty.publicKey', { rejectedBy: 'auth.5.4.1.8' }],
  ['auth.5.4.1.7.2', 'thirdParty.publicKeys', { rejectedBy: 'auth.5.4.1.8' }],
  ['auth.5.4.1.8', 'thirdParty.otherwise'],
  ['auth.5.4.1.8', 'thirdParty.noCrypto'],
  ['auth.5.4.2', 'invite.senderNotJoined'],
  ['auth.5.4.3', 'invite.targetJoined'],
  ['auth.5.4.3', 'invite.targetBanned'],
  ['auth.5.4.4', 'invite.powerLevel', { rejectedBy: 'auth.5.4.5' }],
  ['auth.5.4.5', 'invite.powerLevel', { only: 'rejected' }],
  ['auth.5.5.1', 'leave.self'],
  ['auth.5.5.1', 'leave.selfJoined'],
  ['auth.5.5.1', 'leave.selfKnocked', { only: 'allowed' }],
  ['auth.5.5.2', 'leave.senderNotJoined'],
  ['auth.5.5.3', 'leave.targetBanned'],
  ['auth.5.5.4', 'leave.kick', { rejectedBy: 'auth.5.5.5' }],
  ['auth.5.5.5', 'leave.kickHigher'],
  ['auth.5.5.5', 'leave.kickEqual'],
  ['auth.5.6.1', 'ban.senderNotJoined'],
  ['auth.5.6.2', 'ban.power', { rejectedBy: 'auth.5.6.3' }],
  ['auth.5.6.3', 'ban.higher'],
  ['auth.5.6.3', 'ban.equal'],
  ['auth.5.7.1', 'knock.joinRule'],
  ['auth.5.7.1', 'knock.inviteRoom'],
  ['auth.5.7.1', 'knock.knockRestricted'],
  ['auth.5.7.2', 'knock.senderIsNotTarget'],
  ['auth.5.7.3', 'knock.membership', { rejectedBy: 'auth.5.7.4' }],
  ['auth.5.7.4', 'knock.invited'],
  ['auth.5.8', 'member.unknown'],
  ['auth.6', 'senderNotJoined'],
  ['auth.6', 'aliases.noSpecialCase'],
  ['auth.7.1', 'thirdPartyInviteEvent'],
  ['auth.8', 'requiredPowerLevel'],
  ['auth.8', 'requiredPowerLevel.message'],
  ['auth.8', 'requiredPowerLevel.usersDefault'],
  ['auth.9', 'stateKeyUserId'],
  ['auth.10.1', 'pl.levelsNotIntegers'],
  ['auth.10.1', 'pl.malformedLevel'],
  ['auth.10.2', 'pl.eventsNotIntegers'],
  ['auth.10.2', 'pl.notificationsNotIntegers'],
  ['auth.10.2', 'pl.malformedEvents'],
  ['auth.10.3', 'pl.users'],
  ['auth.10.3', 'pl.usersValues'],
  ['auth.10.3', 'pl.usersNotObject'],
  ['auth.10.3', 'pl.stringyUsers', { only: 'rejected' }],
  ['auth.10.3', 'pl.floatyUsers', { only: 'rejected' }],
  ['auth.10.4', 'pl.creatorsInUsers'],
  ['auth.10.4', 'pl.additionalCreatorInUsers'],
  ['auth.10.5', 'pl.noPrevious', { rejectedBy: 'auth.8' }],
  ['auth.10.6.1', 'pl.levelCurrent'],
  ['auth.10.6.1', 'pl.levelRemoved'],
  ['auth.10.6.2', 'pl.levelNew'],
  ['auth.10.7.1', 'pl.eventsCurrent'],
  ['auth.10.7.1', 'pl.notificationsCurrent'],
  ['auth.10.8.1', 'pl.eventsNew'],
  ['auth.10.8.1', 'pl.notificationsNew'],
  ['auth.10.9.1', 'pl.usersCurrent'],
  ['auth.10.9.1', 'pl.usersRemoved'],
  ['auth.10.10.1', 'pl.usersNew'],
  ['auth.10.11', 'pl.otherwise'],
  ['auth.10.11', 'pl.usersOwnEntry'],
  ['auth.11', 'otherwise'],
  ['auth.11', 'redaction.anyone'],
]

describeAuthTable(V12, SPEC_RULES, ROWS)

describe('room version 12 creators', () => {
  const withCoCreator = (): RoomFixture =>
    new RoomFixture(V12, {
      createContent: { additional_creators: [BOB] },
      powerLevels: { users: {}, ban: 1000, kick: 1000 },
    })

  it('gives an additional creator infinite power: they may ban at any ban level', () => {
    const r = withCoCreator()
    expect(checkAuthRules(r.member(BOB, CAROL, 'ban'), r.stateWith(), V12)).toEqual({
      kind: 'allowed',
    })
  })

  it('lets no one kick a creator, not even another creator', () => {
    const r = withCoCreator()
    expect(checkAuthRules(r.member(BOB, ALICE, 'leave'), r.stateWith(), V12)).toMatchObject({
      kind: 'rejected',
      rule: 'auth.5.5.5',
    })
  })

  it('lets a creator change levels at any height', () => {
    const r = new RoomFixture(V12, { powerLevels: { users: { [CAROL]: 1_000_000 } } })
    const event = r.state('m.room.power_levels', ALICE, { users: { [CAROL]: 0 }, ban: 9000 })
    expect(checkAuthRules(event, r.stateWith(), V12)).toEqual({ kind: 'allowed' })
  })

  it('keeps creators infinite without a power-levels event, and everyone else at 0', () => {
    const r = new RoomFixture(V12, { powerLevels: null })
    const name = (sender: string) => r.state('m.room.name', sender, { name: 'n' })
    expect(checkAuthRules(name(ALICE), r.stateWith(), V12)).toEqual({ kind: 'allowed' })
    expect(checkAuthRules(name(BOB), r.stateWith(), V12)).toMatchObject({ rule: 'auth.8' })
  })

  it('rejects additional_creators that is not an array', () => {
    const r = new RoomFixture(V12)
    const create = r.createEvent({ content: { additional_creators: BOB } })
    expect(checkAuthRules(create, r.stateWith(), V12)).toMatchObject({ rule: 'auth.1.4' })
  })

  it('rejects every event under rule 2 when the state has no create event', () => {
    const r = new RoomFixture(V12)
    const state = r.stateWithout('m.room.create')
    expect(checkAuthRules(r.message(CAROL), state, V12)).toMatchObject({ rule: 'auth.2' })
    expect(checkAuthRules(r.member(DAVE, DAVE, 'join'), state, V12)).toMatchObject({
      rule: 'auth.2',
    })
  })
})

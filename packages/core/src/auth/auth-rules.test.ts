// Edge cases of checkAuthRules beyond the per-version tables, and a property test that it never
// throws on arbitrary content.
import { nodeCryptoProvider } from '@rhizome/crypto-node'
import fc from 'fast-check'
import { describe, expect, it, vi } from 'vitest'
import { StateMap } from '../events/state-map.js'
import type { Pdu } from '../events/pdu.js'
import type { JsonObject, JsonValue } from '../json/json.js'
import { ROOM_VERSIONS, roomVersionRules } from '../room-versions/room-versions.js'
import { ALICE, BOB, CAROL, DAVE, ERIN, RoomFixture } from '../testing/auth-fixtures.js'
import { checkAuthEventsList } from './auth-events-list.js'
import { checkAuthRules } from './auth-rules.js'

const V1 = roomVersionRules('1')!
const V6 = roomVersionRules('6')!
const V8 = roomVersionRules('8')!
const V10 = roomVersionRules('10')!
const V12 = roomVersionRules('12')!
const ALLOWED = { kind: 'allowed' }

describe('checkAuthRules', () => {
  it('rejects under rule 2.4 when the auth state of v1-v11 has no create event', () => {
    for (const rules of [V1, V6, V10, roomVersionRules('11')!]) {
      const r = new RoomFixture(rules)
      const outcome = checkAuthRules(r.message(CAROL), r.stateWithout('m.room.create'), rules)
      expect(outcome).toMatchObject({ kind: 'rejected', rule: 'auth.2.4' })
    }
  })

  it('rejects a create event whose room_version is not a string', () => {
    const r = new RoomFixture(V10)
    const create = r.createEvent({ content: { room_version: 10 } })
    expect(checkAuthRules(create, new StateMap(), V10)).toMatchObject({ rule: 'auth.1.3' })
  })

  it('accepts a create event of a known version other than its own, and one without version', () => {
    const r = new RoomFixture(V1)
    const other = r.createEvent({ content: { room_version: '12' } })
    expect(checkAuthRules(other, new StateMap(), V1)).toEqual(ALLOWED)
    const content = Object.fromEntries(
      Object.entries(r.create.content).filter(([key]) => key !== 'room_version'),
    )
    const bare = { ...r.create, content }
    expect(checkAuthRules(bare, new StateMap(), V1)).toEqual(ALLOWED)
  })

  it('rejects a v1-v11 create event whose room ID has no server name', () => {
    const r = new RoomFixture(V6)
    const create = r.createEvent({ roomId: '!opaque' })
    expect(checkAuthRules(create, new StateMap(), V6)).toMatchObject({ rule: 'auth.1.2' })
  })

  it('v12: rejects a room ID that only resembles the create event ID', () => {
    const r = new RoomFixture(V12)
    for (const roomId of ['$create', '!create2', '!creatf', 'create!']) {
      const event = r.event({ type: 'm.room.message', sender: CAROL, roomId })
      expect(checkAuthRules(event, r.stateWith(), V12)).toMatchObject({ rule: 'auth.2' })
    }
  })

  it('takes a membership that is not a string as unknown', () => {
    const r = new RoomFixture(V10)
    const event = r.event({
      type: 'm.room.member',
      sender: CAROL,
      stateKey: CAROL,
      content: { membership: ['join'] },
    })
    expect(checkAuthRules(event, r.stateWith(), V10)).toMatchObject({ rule: 'auth.4.8' })
  })

  it('takes a join-rules event without join_rule as invite', () => {
    const r = new RoomFixture(V10, { joinRule: null })
    const rules = r.state('m.room.join_rules', ALICE, {})
    const invited = r.member(ALICE, DAVE, 'invite')
    expect(checkAuthRules(r.member(DAVE, DAVE, 'join'), r.stateWith(rules, invited), V10)).toEqual(
      ALLOWED,
    )
    expect(checkAuthRules(r.member(ERIN, ERIN, 'join'), r.stateWith(rules), V10)).toMatchObject({
      rule: 'auth.4.3.7',
    })
  })

  it('treats a member event without membership in state as no membership', () => {
    const r = new RoomFixture(V10)
    const odd = r.event({ type: 'm.room.member', sender: CAROL, stateKey: CAROL, content: {} })
    expect(checkAuthRules(r.message(CAROL), r.stateWith(odd), V10)).toMatchObject({
      rule: 'auth.5',
    })
  })

  describe('join_authorised_via_users_server signatures (v8+)', () => {
    const join = (r: RoomFixture, authoriser: string, signatures: JsonObject): Pdu =>
      r.event({
        type: 'm.room.member',
        sender: DAVE,
        stateKey: DAVE,
        content: { membership: 'join', join_authorised_via_users_server: authoriser },
        signatures,
      })

    it('asks the isSignedBy option when given', () => {
      const r = new RoomFixture(V8, { joinRule: 'restricted' })
      const event = join(r, BOB, {})
      const isSignedBy = vi.fn((_pdu: Pdu, server: string) => server === 'b.example')
      expect(checkAuthRules(event, r.stateWith(), V8, { isSignedBy })).toEqual(ALLOWED)
      expect(isSignedBy).toHaveBeenCalledWith(event, 'b.example')
      const refuse = () => false
      expect(checkAuthRules(event, r.stateWith(), V8, { isSignedBy: refuse })).toMatchObject({
        rule: 'auth.4.2.1',
      })
    })

    it.each<[string, JsonObject]>([
      ['an empty entry', { 'b.example': {} }],
      ['an entry that is not an object', { 'b.example': 'sig' }],
      ['signatures of other servers', { 'c.example': { 'ed25519:1': 'x' } }],
    ])('by default rejects %s', (_name, signatures) => {
      const r = new RoomFixture(V8, { joinRule: 'restricted' })
      expect(checkAuthRules(join(r, BOB, signatures), r.stateWith(), V8)).toMatchObject({
        rule: 'auth.4.2.1',
      })
    })

    it('by default rejects signatures that are not an object', () => {
      const r = new RoomFixture(V8, { joinRule: 'restricted' })
      const event = join(r, BOB, {})
      const unsigned = { ...event, json: { ...event.json, signatures: 'none' } }
      expect(checkAuthRules(unsigned, r.stateWith(), V8)).toMatchObject({ rule: 'auth.4.2.1' })
    })

    it('is not fooled by a server name that Object.prototype has', () => {
      const r = new RoomFixture(V8, { joinRule: 'restricted' })
      expect(checkAuthRules(join(r, '@x:constructor', {}), r.stateWith(), V8)).toMatchObject({
        rule: 'auth.4.2.1',
      })
    })

    it('applies to every membership, not only joins', () => {
      const r = new RoomFixture(V8)
      const leave = r.event({
        type: 'm.room.member',
        sender: CAROL,
        stateKey: CAROL,
        content: { membership: 'leave', join_authorised_via_users_server: BOB },
      })
      expect(checkAuthRules(leave, r.stateWith(), V8)).toMatchObject({ rule: 'auth.4.2.1' })
    })

    it('is not a rule before v8', () => {
      const r = new RoomFixture(roomVersionRules('7')!)
      const leave = r.event({
        type: 'm.room.member',
        sender: CAROL,
        stateKey: CAROL,
        content: { membership: 'leave', join_authorised_via_users_server: BOB },
      })
      expect(checkAuthRules(leave, r.stateWith(), r.rules)).toEqual(ALLOWED)
    })
  })

  describe('third-party invite content', () => {
    const invite = (r: RoomFixture, thirdPartyInvite: JsonValue): Pdu =>
      r.member(ALICE, DAVE, 'invite', { third_party_invite: thirdPartyInvite })
    const options = { crypto: nodeCryptoProvider }

    it.each<[string, JsonValue, string]>([
      ['not an object', 'invite', 'auth.4.4.1.2'],
      ['signed that is not an object', { signed: 'x' }, 'auth.4.4.1.3'],
      ['a token that is not a string', { signed: { mxid: DAVE, token: 5 } }, 'auth.4.4.1.3'],
      ['an mxid that is not a string', { signed: { mxid: null, token: 't' } }, 'auth.4.4.1.3'],
    ])('rejects third_party_invite %s', (_name, value, rule) => {
      const r = new RoomFixture(V10)
      expect(checkAuthRules(invite(r, value), r.stateWith(), V10, options)).toMatchObject({ rule })
    })

    it('lets a third-party invite through without the sender being joined', () => {
      // Rule 4.4.1 ends in allow or reject before the sender's membership is looked at; here it
      // rejects on the signature, not on membership (the sender DAVE is not in the room).
      const r = new RoomFixture(V10)
      const tpi = r.state('m.room.third_party_invite', DAVE, { public_key: 'AAAA' }, 't')
      const event = r.member(DAVE, ERIN, 'invite', {
        third_party_invite: { signed: { mxid: ERIN, token: 't', signatures: {} } },
      })
      expect(checkAuthRules(event, r.stateWith(tpi), V10, options)).toMatchObject({
        rule: 'auth.4.4.1.8',
      })
    })
  })

  describe('power levels', () => {
    it('v6-v9 check malformed notifications under the content rule; v1-v5 ignore them', () => {
      const v6 = new RoomFixture(V6)
      const event6 = v6.state(
        'm.room.power_levels',
        BOB,
        v6.powerLevelsContent({ notifications: 5 }),
      )
      expect(checkAuthRules(event6, v6.stateWith(), V6)).toMatchObject({ rule: 'auth.9.1' })
      const v1 = new RoomFixture(V1)
      const event1 = v1.state(
        'm.room.power_levels',
        BOB,
        v1.powerLevelsContent({ notifications: 5 }),
      )
      expect(checkAuthRules(event1, v1.stateWith(), V1)).toEqual(ALLOWED)
    })

    it('treats "50" and 50 as the same level (no change) before v10', () => {
      const r = new RoomFixture(V6, { powerLevels: { kick: 100 } })
      const same = r.state('m.room.power_levels', BOB, r.powerLevelsContent({ kick: ' 100' }))
      expect(checkAuthRules(same, r.stateWith(), V6)).toEqual(ALLOWED)
    })

    it('ignores malformed values of the current power levels (they count as absent)', () => {
      const r = new RoomFixture(V6, { powerLevels: { kick: 'lots', users: { [CAROL]: 'x' } } })
      const change = r.state('m.room.power_levels', BOB, r.powerLevelsContent({ kick: 40 }))
      expect(checkAuthRules(change, r.stateWith(), V6)).toEqual(ALLOWED)
    })

    it('lets the sender raise their own entry up to their level only', () => {
      const r = new RoomFixture(V10, { powerLevels: { users: { [BOB]: 50 } } })
      const up = r.state('m.room.power_levels', BOB, r.powerLevelsContent({ users: { [BOB]: 51 } }))
      expect(checkAuthRules(up, r.stateWith(), V10)).toMatchObject({ rule: 'auth.9.9.1' })
    })
  })

  it('v1-v2 redactions: an event ID without a server name matches no domain', () => {
    const r = new RoomFixture(V1)
    const redaction = r.event({
      type: 'm.room.redaction',
      sender: CAROL,
      id: '$r:c.example',
      redacts: '$nodomain',
    })
    expect(checkAuthRules(redaction, r.stateWith(), V1)).toMatchObject({ rule: 'auth.11.3' })
  })

  it("rejects a state_key of just '@' from anyone", () => {
    const r = new RoomFixture(V10, { powerLevels: { events: { 'x.y': 0 } } })
    expect(checkAuthRules(r.state('x.y', CAROL, {}, '@'), r.stateWith(), V10)).toMatchObject({
      rule: 'auth.8',
    })
  })
})

describe('checkAuthEventsList', () => {
  const r = new RoomFixture(V10, { joinRule: 'restricted' })
  const state = r.stateWith()
  const get = (type: string, stateKey = ''): Pdu => state.get(type, stateKey)!

  it('allows the create event whatever its list', () => {
    expect(checkAuthEventsList(r.create, [get('m.room.power_levels')], V10)).toEqual(ALLOWED)
  })

  it('allows a restricted join citing the authoriser and the target', () => {
    const join = r.member(DAVE, DAVE, 'join', { join_authorised_via_users_server: BOB })
    const list = [
      r.create,
      get('m.room.power_levels'),
      get('m.room.join_rules'),
      get('m.room.member', BOB),
    ]
    expect(checkAuthEventsList(join, list, V10)).toEqual(ALLOWED)
  })

  it('rejects a non-state auth event as not selected', () => {
    const list = [r.create, r.message(CAROL)]
    expect(checkAuthEventsList(r.message(CAROL), list, V10)).toMatchObject({ rule: 'auth.2.2' })
  })

  it('allows a knock or invite citing the join rules and the target', () => {
    const knock = r.member(DAVE, DAVE, 'knock')
    const list = [r.create, get('m.room.join_rules')]
    expect(checkAuthEventsList(knock, list, V10)).toEqual(ALLOWED)
    const kick = r.member(BOB, CAROL, 'leave')
    expect(
      checkAuthEventsList(
        kick,
        [r.create, get('m.room.member', BOB), get('m.room.member', CAROL)],
        V10,
      ),
    ).toEqual(ALLOWED)
    expect(checkAuthEventsList(kick, [r.create, get('m.room.join_rules')], V10)).toMatchObject({
      rule: 'auth.2.2',
    })
  })

  it('reports a duplicate before anything else', () => {
    const list = [r.message(CAROL), get('m.room.join_rules'), get('m.room.join_rules')]
    expect(checkAuthEventsList(r.message(CAROL), list, V10)).toMatchObject({ rule: 'auth.2.1' })
  })
})

describe('checkAuthRules never throws', () => {
  const versions = [...ROOM_VERSIONS.values()]
  const types = [
    'm.room.create',
    'm.room.member',
    'm.room.power_levels',
    'm.room.join_rules',
    'm.room.third_party_invite',
    'm.room.aliases',
    'm.room.redaction',
    'm.room.message',
  ]
  const users = [ALICE, BOB, CAROL, DAVE, ERIN, '@', 'x', '@constructor:__proto__']
  const json = fc.jsonValue({ maxDepth: 4 }) as fc.Arbitrary<JsonValue>
  const content = fc.oneof(
    fc.dictionary(fc.string(), json, { maxKeys: 5 }),
    fc.record(
      {
        membership: fc.oneof(fc.constantFrom('join', 'invite', 'leave', 'ban', 'knock'), json),
        join_rule: fc.oneof(
          fc.constantFrom('public', 'invite', 'knock', 'restricted', 'knock_restricted'),
          json,
        ),
        users: fc.oneof(fc.dictionary(fc.constantFrom(...users), json), json),
        events: fc.oneof(fc.dictionary(fc.constantFrom(...types), json), json),
        notifications: json,
        ban: json,
        kick: json,
        third_party_invite: fc.oneof(
          fc.record({
            signed: fc.record({
              mxid: fc.constantFrom(...users),
              token: fc.constantFrom('t', 5),
              signatures: json,
            }),
          }),
          json,
        ),
        join_authorised_via_users_server: fc.oneof(fc.constantFrom(...users), json),
        additional_creators: json,
        creator: fc.oneof(fc.constantFrom(...users), json),
        'm.federate': json,
        public_key: fc.oneof(fc.constant('AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'), json),
        public_keys: json,
      },
      { requiredKeys: [] },
    ),
  ) as fc.Arbitrary<JsonObject>
  const eventArb = fc.record({
    type: fc.constantFrom(...types),
    sender: fc.constantFrom(ALICE, BOB, CAROL, DAVE),
    stateKey: fc.option(fc.oneof(fc.constantFrom('', ...users, 't'), fc.string()), {
      nil: undefined,
    }),
    content,
    prev: fc.constantFrom([], ['$create'], ['$a', '$b']),
  })

  it('returns an outcome for arbitrary events against arbitrary state', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...versions),
        eventArb,
        fc.array(eventArb, { maxLength: 8 }),
        (rules, spec, stateSpecs) => {
          const r = new RoomFixture(rules)
          const state = r.stateWith(
            ...stateSpecs.map((s) => r.event({ ...s, stateKey: s.stateKey ?? '' })),
          )
          const { stateKey, ...rest } = spec
          const event = r.event(stateKey === undefined ? rest : { ...rest, stateKey })
          const outcome = checkAuthRules(event, state, rules, { crypto: nodeCryptoProvider })
          expect(['allowed', 'rejected']).toContain(outcome.kind)
          if (outcome.kind === 'rejected') expect(outcome.rule).toMatch(/^auth\.\d+(\.\d+)*$/)
          const listOutcome = checkAuthEventsList(
            event,
            [...state].map(([, , e]) => e),
            rules,
          )
          expect(['allowed', 'rejected']).toContain(listOutcome.kind)
        },
      ),
      { numRuns: 1500 },
    )
  })
})

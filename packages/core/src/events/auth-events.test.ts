import { describe, expect, it } from 'vitest'
import type { EventId } from '../ids/types.js'
import type { JsonObject } from '../json/json.js'
import { ROOM_VERSIONS } from '../room-versions/room-versions.js'
import type { RoomVersionRules } from '../room-versions/rules.js'
import { authEventTypesFor, selectAuthEvents, type AuthEventsSubject } from './auth-events.js'
import { StateMap } from './state-map.js'

function rulesOf(id: string): RoomVersionRules {
  const rules = ROOM_VERSIONS.get(id)
  if (rules === undefined) throw new Error(`no room version ${id}`)
  return rules
}

const V1 = rulesOf('1')
const V7 = rulesOf('7')
const V8 = rulesOf('8')
const V11 = rulesOf('11')
const V12 = rulesOf('12')

const ALICE = '@alice:a.example'
const BOB = '@bob:b.example'
const CAROL = '@carol:c.example'

function member(stateKey: string, content: JsonObject, sender = ALICE): AuthEventsSubject {
  return { type: 'm.room.member', stateKey, sender, content }
}

describe('authEventTypesFor', () => {
  it('selects nothing for a create event, in every version', () => {
    for (const rules of ROOM_VERSIONS.values()) {
      expect(
        authEventTypesFor(
          { type: 'm.room.create', stateKey: '', sender: ALICE, content: {} },
          rules,
        ),
      ).toEqual([])
    }
  })

  it('selects create, power levels and the sender for a message before v12', () => {
    expect(
      authEventTypesFor({ type: 'm.room.message', sender: ALICE, content: { body: 'x' } }, V11),
    ).toEqual([
      ['m.room.create', ''],
      ['m.room.power_levels', ''],
      ['m.room.member', ALICE],
    ])
  })

  it('never selects the create event in v12', () => {
    expect(authEventTypesFor({ type: 'm.room.message', sender: ALICE, content: {} }, V12)).toEqual([
      ['m.room.power_levels', ''],
      ['m.room.member', ALICE],
    ])
    const pairs = authEventTypesFor(member(BOB, { membership: 'invite' }), V12)
    expect(pairs.some(([type]) => type === 'm.room.create')).toBe(false)
  })

  it('treats state events other than membership like messages', () => {
    expect(
      authEventTypesFor(
        {
          type: 'm.room.join_rules',
          stateKey: '',
          sender: ALICE,
          content: { join_rule: 'public' },
        },
        V1,
      ),
    ).toEqual([
      ['m.room.create', ''],
      ['m.room.power_levels', ''],
      ['m.room.member', ALICE],
    ])
  })

  it.each(['join', 'invite', 'knock'])('adds join rules for membership %s', (membership) => {
    expect(authEventTypesFor(member(BOB, { membership }), V11)).toEqual([
      ['m.room.create', ''],
      ['m.room.power_levels', ''],
      ['m.room.member', ALICE],
      ['m.room.member', BOB],
      ['m.room.join_rules', ''],
    ])
  })

  it.each(['leave', 'ban', 'unknown'])('adds no join rules for membership %s', (membership) => {
    expect(authEventTypesFor(member(BOB, { membership }), V11)).toEqual([
      ['m.room.create', ''],
      ['m.room.power_levels', ''],
      ['m.room.member', ALICE],
      ['m.room.member', BOB],
    ])
  })

  it('adds join rules for knock even before knocking exists (the selection is version-independent)', () => {
    expect(authEventTypesFor(member(ALICE, { membership: 'knock' }), V1)).toContainEqual([
      'm.room.join_rules',
      '',
    ])
  })

  it('lists the sender once when it is also the target', () => {
    expect(authEventTypesFor(member(ALICE, { membership: 'join' }), V11)).toEqual([
      ['m.room.create', ''],
      ['m.room.power_levels', ''],
      ['m.room.member', ALICE],
      ['m.room.join_rules', ''],
    ])
  })

  it('skips the target when the member event has no state key', () => {
    expect(
      authEventTypesFor(
        { type: 'm.room.member', sender: ALICE, content: { membership: 'leave' } },
        V11,
      ),
    ).toEqual([
      ['m.room.create', ''],
      ['m.room.power_levels', ''],
      ['m.room.member', ALICE],
    ])
  })

  it('ignores membership when content is not a member event', () => {
    expect(
      authEventTypesFor(
        { type: 'm.room.message', sender: ALICE, content: { membership: 'join' } },
        V11,
      ),
    ).not.toContainEqual(['m.room.join_rules', ''])
  })

  describe('third-party invites', () => {
    const invite = (thirdPartyInvite: JsonObject[string]): AuthEventsSubject =>
      member(BOB, { membership: 'invite', third_party_invite: thirdPartyInvite })

    it('adds the third-party invite named by signed.token', () => {
      expect(
        authEventTypesFor(invite({ display_name: 'b', signed: { mxid: BOB, token: 'tok' } }), V1),
      ).toEqual([
        ['m.room.create', ''],
        ['m.room.power_levels', ''],
        ['m.room.member', ALICE],
        ['m.room.member', BOB],
        ['m.room.join_rules', ''],
        ['m.room.third_party_invite', 'tok'],
      ])
    })

    it('only for invites', () => {
      const content = { membership: 'join', third_party_invite: { signed: { token: 'tok' } } }
      expect(authEventTypesFor(member(BOB, content, BOB), V1)).not.toContainEqual([
        'm.room.third_party_invite',
        'tok',
      ])
    })

    it.each([
      ['not an object', 'tok'],
      ['no signed', { display_name: 'x' }],
      ['signed not an object', { signed: 'tok' }],
      ['no token', { signed: { mxid: BOB } }],
      ['token not a string', { signed: { token: 5 } }],
    ] as const)('selects nothing extra when %s', (_name, value) => {
      const pairs = authEventTypesFor(invite(value), V1)
      expect(pairs.some(([type]) => type === 'm.room.third_party_invite')).toBe(false)
      expect(pairs).toHaveLength(5)
    })
  })

  describe('restricted joins', () => {
    const join = (content: JsonObject): AuthEventsSubject => member(BOB, content, BOB)

    it('adds the authorising user from v8', () => {
      for (const rules of [V8, V11, V12]) {
        expect(
          authEventTypesFor(
            join({ membership: 'join', join_authorised_via_users_server: CAROL }),
            rules,
          ),
        ).toContainEqual(['m.room.member', CAROL])
      }
    })

    it('not before v8', () => {
      expect(
        authEventTypesFor(
          join({ membership: 'join', join_authorised_via_users_server: CAROL }),
          V7,
        ),
      ).not.toContainEqual(['m.room.member', CAROL])
    })

    it('only for joins', () => {
      expect(
        authEventTypesFor(
          member(BOB, { membership: 'invite', join_authorised_via_users_server: CAROL }),
          V11,
        ),
      ).not.toContainEqual(['m.room.member', CAROL])
    })

    it('not when the value is not a string', () => {
      expect(
        authEventTypesFor(join({ membership: 'join', join_authorised_via_users_server: 5 }), V11),
      ).toHaveLength(4)
    })

    it('once when the authoriser is the sender', () => {
      expect(
        authEventTypesFor(join({ membership: 'join', join_authorised_via_users_server: BOB }), V11),
      ).toEqual([
        ['m.room.create', ''],
        ['m.room.power_levels', ''],
        ['m.room.member', BOB],
        ['m.room.join_rules', ''],
      ])
    })
  })

  it('ignores inherited content properties', () => {
    const content = Object.create({ membership: 'join' }) as JsonObject
    expect(authEventTypesFor(member(BOB, content), V11)).toHaveLength(4)
  })
})

describe('selectAuthEvents', () => {
  const id = (s: string) => `$${s}` as EventId
  const state = new StateMap<EventId>([
    ['m.room.create', '', id('create')],
    ['m.room.power_levels', '', id('pl')],
    ['m.room.join_rules', '', id('jr')],
    ['m.room.member', ALICE, id('alice')],
    ['m.room.member', CAROL, id('carol')],
    ['m.room.third_party_invite', 'tok', id('tpi')],
    ['m.room.name', '', id('name')],
  ])

  it('maps the selected pairs to the state, skipping absent ones', () => {
    expect(selectAuthEvents(member(BOB, { membership: 'invite' }), state, V11)).toEqual([
      id('create'),
      id('pl'),
      id('alice'),
      id('jr'),
    ])
  })

  it('includes the third-party invite and the authorising user', () => {
    expect(
      selectAuthEvents(
        member(BOB, { membership: 'invite', third_party_invite: { signed: { token: 'tok' } } }),
        state,
        V1,
      ),
    ).toEqual([id('create'), id('pl'), id('alice'), id('jr'), id('tpi')])
    expect(
      selectAuthEvents(
        member(BOB, { membership: 'join', join_authorised_via_users_server: CAROL }, BOB),
        state,
        V11,
      ),
    ).toEqual([id('create'), id('pl'), id('jr'), id('carol')])
  })

  it('leaves the create event out in v12', () => {
    expect(
      selectAuthEvents({ type: 'm.room.message', sender: ALICE, content: {} }, state, V12),
    ).toEqual([id('pl'), id('alice')])
  })

  it('is empty for a create event and for an empty state', () => {
    expect(
      selectAuthEvents(
        { type: 'm.room.create', stateKey: '', sender: ALICE, content: {} },
        state,
        V11,
      ),
    ).toEqual([])
    expect(
      selectAuthEvents({ type: 'm.room.message', sender: ALICE, content: {} }, new StateMap(), V11),
    ).toEqual([])
  })

  it('never lists one event twice', () => {
    const odd = new StateMap<EventId>([
      ['m.room.power_levels', '', id('same')],
      ['m.room.member', ALICE, id('same')],
    ])
    expect(
      selectAuthEvents({ type: 'm.room.message', sender: ALICE, content: {} }, odd, V11),
    ).toEqual([id('same')])
  })

  it('selects at most 10 events, within the auth_events limit', () => {
    // The largest selection: create, power levels, sender, target, join rules and the authoriser.
    const pairs = authEventTypesFor(
      member(BOB, { membership: 'join', join_authorised_via_users_server: CAROL }, ALICE),
      V11,
    )
    expect(pairs.length).toBeLessThanOrEqual(10)
  })
})

import { roomVersionRules, type RoomAlias, type RoomVersionRules } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import { userId } from '../testing/room-kit.js'
import { effectivePreset, planRoom, type CreateRoomRequest } from './create-room-plan.js'

const alice = userId('alice')
const bob = userId('bob')
const carol = userId('carol')

function rules(version: string): RoomVersionRules {
  const found = roomVersionRules(version)
  if (found === undefined) throw new Error(version)
  return found
}

const BASE: CreateRoomRequest = {
  visibility: 'private',
  invite: [],
  initialState: [],
  isDirect: false,
}

function summary(plan: ReturnType<typeof planRoom>): string[] {
  return plan.events.map((e) => `${e.type}|${e.stateKey ?? ''}`)
}

describe('planRoom', () => {
  it('follows the order of client-server-api §Creation', () => {
    const plan = planRoom(
      {
        ...BASE,
        name: 'N',
        topic: 'T',
        invite: [bob],
        initialState: [{ type: 'm.room.encryption', stateKey: '', content: { algorithm: 'x' } }],
      },
      alice,
      rules('12'),
      '#room:example.org' as RoomAlias,
    )
    expect(summary(plan)).toEqual([
      `m.room.member|${alice}`,
      'm.room.power_levels|',
      'm.room.canonical_alias|',
      'm.room.join_rules|',
      'm.room.history_visibility|',
      'm.room.guest_access|',
      'm.room.encryption|',
      'm.room.name|',
      'm.room.topic|',
      `m.room.member|${bob}`,
    ])
    expect(plan.events.every((e) => e.sender === alice)).toBe(true)
    const topic = plan.events.find((e) => e.type === 'm.room.topic')
    expect(topic?.content).toEqual({
      topic: 'T',
      'm.topic': { 'm.text': [{ mimetype: 'text/plain', body: 'T' }] },
    })
  })

  it('picks the preset from the visibility when none is given', () => {
    expect(effectivePreset({ ...BASE, visibility: 'public' })).toBe('public_chat')
    expect(effectivePreset(BASE)).toBe('private_chat')
    expect(effectivePreset({ ...BASE, visibility: 'public', preset: 'private_chat' })).toBe(
      'private_chat',
    )
  })

  it.each([
    ['private_chat', 'invite', 'shared', 'can_join', 0],
    ['trusted_private_chat', 'invite', 'shared', 'can_join', 0],
    ['public_chat', 'public', 'shared', 'forbidden', 50],
  ] as const)('sets the state of %s', (preset, joinRule, visibility, guests, invite) => {
    const plan = planRoom({ ...BASE, preset }, alice, rules('11'))
    const content = (type: string): unknown => plan.events.find((e) => e.type === type)?.content
    expect(content('m.room.join_rules')).toEqual({ join_rule: joinRule })
    expect(content('m.room.history_visibility')).toEqual({ history_visibility: visibility })
    expect(content('m.room.guest_access')).toEqual({ guest_access: guests })
    expect(content('m.room.power_levels')).toMatchObject({ invite })
  })

  it('lists the creator at 100 before v12 and keeps creators out of users from v12', () => {
    const v11 = planRoom(BASE, alice, rules('11'))
    const v12 = planRoom(BASE, alice, rules('12'))
    const pl = (plan: typeof v11): Record<string, unknown> =>
      plan.events.find((e) => e.type === 'm.room.power_levels')?.content as Record<string, unknown>
    expect(pl(v11)['users']).toEqual({ [alice]: 100 })
    expect(pl(v12)['users']).toEqual({})
    expect((pl(v11)['events'] as Record<string, number>)['m.room.tombstone']).toBe(100)
    const tombstone = (pl(v12)['events'] as Record<string, number>)['m.room.tombstone']
    expect(tombstone).toBeGreaterThan(pl(v12)['state_default'] as number)
  })

  it('makes trusted invitees creators in v12 and gives them 100 before', () => {
    const request: CreateRoomRequest = {
      ...BASE,
      preset: 'trusted_private_chat',
      invite: [bob, bob, alice],
      creationContent: { additional_creators: [carol, alice] },
    }
    const v12 = planRoom(request, alice, rules('12'))
    expect(v12.createContent['additional_creators']).toEqual([carol, bob])
    const invites = v12.events.filter(
      (e) => e.type === 'm.room.member' && e.content['membership'] === 'invite',
    )
    expect(invites.map((e) => e.stateKey)).toEqual([bob])

    const v10 = planRoom(request, alice, rules('10'))
    const pl = v10.events.find((e) => e.type === 'm.room.power_levels')?.content
    expect(pl?.['users']).toEqual({ [alice]: 100, [bob]: 100 })
    expect(v10.createContent['additional_creators']).toEqual([carol, alice])
  })

  it('writes creator and room_version into the create content as each version wants', () => {
    const content = {
      creator: '@mallory:evil',
      room_version: '1',
      'm.federate': false,
      type: 'm.space',
    }
    const v10 = planRoom({ ...BASE, creationContent: content }, alice, rules('10'))
    expect(v10.createContent).toEqual({
      creator: alice,
      room_version: '10',
      'm.federate': false,
      type: 'm.space',
    })
    const v11 = planRoom({ ...BASE, creationContent: content }, alice, rules('11'))
    expect(v11.createContent).toEqual({ room_version: '11', 'm.federate': false, type: 'm.space' })
  })

  it('lets initial_state replace the preset and name/topic replace initial_state', () => {
    const plan = planRoom(
      {
        ...BASE,
        name: 'from name',
        initialState: [
          { type: 'm.room.join_rules', stateKey: '', content: { join_rule: 'public' } },
          { type: 'm.room.name', stateKey: '', content: { name: 'from state' } },
          {
            type: 'm.room.power_levels',
            stateKey: '',
            content: { users: { [alice]: 100 }, ban: 1 },
          },
        ],
        powerLevelContentOverride: { kick: 7 },
      },
      alice,
      rules('10'),
    )
    const of = (type: string): unknown[] =>
      plan.events.filter((e) => e.type === type).map((e) => e.content)
    expect(of('m.room.join_rules')).toEqual([{ join_rule: 'public' }])
    expect(of('m.room.name')).toEqual([{ name: 'from name' }])
    expect(of('m.room.power_levels')).toEqual([{ users: { [alice]: 100 }, ban: 1, kick: 7 }])
  })

  it('keeps the v12 tombstone level explicit and above state_default', () => {
    const pl = (request: Partial<CreateRoomRequest>, version = '12'): Record<string, unknown> =>
      planRoom({ ...BASE, ...request }, alice, rules(version)).events.find(
        (e) => e.type === 'm.room.power_levels',
      )?.content as Record<string, unknown>
    const events = (content: Record<string, unknown>): Record<string, unknown> =>
      content['events'] as Record<string, unknown>
    expect(events(pl({ powerLevelContentOverride: { events: { 'm.room.name': 10 } } }))).toEqual({
      'm.room.name': 10,
      'm.room.tombstone': 150,
    })
    expect(
      events(pl({ powerLevelContentOverride: { state_default: 200, events: {} } }))[
        'm.room.tombstone'
      ],
    ).toBe(201)
    expect(
      events(pl({ powerLevelContentOverride: { events: { 'm.room.tombstone': 20 } } }))[
        'm.room.tombstone'
      ],
    ).toBe(20)
    const initial = pl({
      initialState: [{ type: 'm.room.power_levels', stateKey: '', content: {} }],
    })
    expect(events(initial)).toEqual({ 'm.room.tombstone': 150 })
    expect(events(pl({ powerLevelContentOverride: { events: 'odd' } }))).toBe('odd')
    // Before v12 nothing is added.
    const v11 = pl({ powerLevelContentOverride: { events: {} } }, '11')
    expect(events(v11)).toEqual({})
  })

  it('marks invites as direct when asked', () => {
    const plan = planRoom({ ...BASE, invite: [bob], isDirect: true }, alice, rules('12'))
    expect(plan.events.at(-1)?.content).toEqual({ membership: 'invite', is_direct: true })
  })

  it('leaves a malformed additional_creators for the auth rules to refuse', () => {
    const plan = planRoom(
      {
        ...BASE,
        preset: 'trusted_private_chat',
        invite: [bob],
        creationContent: { additional_creators: 'x' },
      },
      alice,
      rules('12'),
    )
    expect(plan.createContent['additional_creators']).toBe('x')
  })
})

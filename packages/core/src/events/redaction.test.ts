import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { JsonObject, JsonValue } from '../json/json.js'
import { ROOM_VERSIONS } from '../room-versions/room-versions.js'
import type { RoomVersionRules } from '../room-versions/rules.js'
import { redactContent, redactEvent } from './redaction.js'

const VERSION_IDS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12'] as const

function rulesOf(id: string): RoomVersionRules {
  const rules = ROOM_VERSIONS.get(id)
  if (rules === undefined) throw new Error(`no room version ${id}`)
  return rules
}

/** Versions from `from` to `to` inclusive, as numbers for readable tables. */
function versions(from: number, to = 12): string[] {
  return VERSION_IDS.filter((v) => Number(v) >= from && Number(v) <= to)
}

const TOP_LEVEL_ALWAYS = {
  event_id: '$e:x',
  type: 'm.room.message',
  room_id: '!r:x',
  sender: '@u:x',
  state_key: 'sk',
  hashes: { sha256: 'abc' },
  signatures: { x: { 'ed25519:1': 'sig' } },
  depth: 7,
  prev_events: ['$p'],
  auth_events: ['$a'],
  origin_server_ts: 1234,
}
const TOP_LEVEL_PRE_V11 = { prev_state: [], origin: 'x', membership: 'join' }
const TOP_LEVEL_NEVER = {
  unsigned: { age_ts: 5, redacted_because: {} },
  redacts: '$r',
  age_ts: 1,
  foo: 'bar',
  outlier: true,
  destinations: ['x'],
}

describe('redactEvent top-level keys', () => {
  const full: JsonObject = {
    ...TOP_LEVEL_ALWAYS,
    ...TOP_LEVEL_PRE_V11,
    ...TOP_LEVEL_NEVER,
    content: { body: 'hi' },
  }

  it.each(versions(1, 10))('v%s keeps origin, membership and prev_state', (v) => {
    expect(redactEvent(full, rulesOf(v))).toEqual({
      ...TOP_LEVEL_ALWAYS,
      ...TOP_LEVEL_PRE_V11,
      content: {},
    })
  })

  it.each(versions(11))('v%s drops origin, membership and prev_state', (v) => {
    expect(redactEvent(full, rulesOf(v))).toEqual({ ...TOP_LEVEL_ALWAYS, content: {} })
  })

  it.each(VERSION_IDS)('v%s drops unsigned and top-level redacts', (v) => {
    const out = redactEvent(full, rulesOf(v))
    expect(out).not.toHaveProperty('unsigned')
    expect(out).not.toHaveProperty('redacts')
    expect(out).not.toHaveProperty('foo')
  })

  it('does not add keys that were absent', () => {
    expect(redactEvent({ type: 'm.room.message', content: { body: 'x' } }, rulesOf('1'))).toEqual({
      type: 'm.room.message',
      content: {},
    })
  })

  it('gives an empty object content when content is missing or not an object', () => {
    for (const content of [undefined, 'text', 5, null, ['membership'], true]) {
      const event: Record<string, JsonValue> = { type: 'm.room.member' }
      if (content !== undefined) event['content'] = content
      for (const v of VERSION_IDS) expect(redactEvent(event, rulesOf(v))['content']).toEqual({})
    }
  })

  it('empties content when type is missing or not a string', () => {
    expect(redactEvent({ content: { membership: 'join' } }, rulesOf('11'))).toEqual({ content: {} })
    expect(redactEvent({ type: 5, content: { membership: 'join' } }, rulesOf('11'))).toEqual({
      type: 5,
      content: {},
    })
  })

  it('ignores inherited properties', () => {
    const event = Object.create({ origin: 'proto', content: { membership: 'x' } }) as Record<
      string,
      JsonValue
    >
    event['type'] = 'm.room.member'
    expect(redactEvent(event, rulesOf('1'))).toEqual({ type: 'm.room.member', content: {} })
  })
})

interface ContentCase {
  readonly type: string
  readonly content: JsonObject
  /** Expected content per range of versions: [from, to, expected]. */
  readonly expected: readonly (readonly [number, number, JsonObject])[]
}

const MEMBER_CONTENT: JsonObject = {
  membership: 'join',
  displayname: 'Alice',
  avatar_url: 'mxc://x/y',
  join_authorised_via_users_server: '@b:x',
  reason: 'because',
  is_direct: true,
  third_party_invite: { display_name: 'a...@x', signed: { mxid: '@a:x', token: 't' } },
}

const POWER_LEVELS_CONTENT: JsonObject = {
  ban: 50,
  events: { 'm.room.name': 100 },
  events_default: 0,
  invite: 0,
  kick: 50,
  redact: 50,
  state_default: 50,
  users: { '@a:x': 100 },
  users_default: 0,
  notifications: { room: 50 },
  historical: 100,
}
const POWER_LEVELS_V1: JsonObject = Object.fromEntries(
  Object.entries(POWER_LEVELS_CONTENT).filter(
    ([k]) => !['invite', 'notifications', 'historical'].includes(k),
  ),
)

const CREATE_CONTENT: JsonObject = {
  creator: '@a:x',
  room_version: '11',
  'm.federate': false,
  predecessor: { room_id: '!old:x', event_id: '$e' },
  additional_creators: ['@b:y'],
  type: 'm.space',
}

const CONTENT_CASES: readonly ContentCase[] = [
  {
    type: 'm.room.member',
    content: MEMBER_CONTENT,
    expected: [
      [1, 8, { membership: 'join' }],
      [9, 10, { membership: 'join', join_authorised_via_users_server: '@b:x' }],
      [
        11,
        12,
        {
          membership: 'join',
          join_authorised_via_users_server: '@b:x',
          third_party_invite: { signed: { mxid: '@a:x', token: 't' } },
        },
      ],
    ],
  },
  {
    type: 'm.room.create',
    content: CREATE_CONTENT,
    expected: [
      [1, 10, { creator: '@a:x' }],
      [11, 12, CREATE_CONTENT],
    ],
  },
  {
    type: 'm.room.join_rules',
    content: { join_rule: 'restricted', allow: [{ type: 'm.room_membership' }], extra: 1 },
    expected: [
      [1, 7, { join_rule: 'restricted' }],
      [8, 12, { join_rule: 'restricted', allow: [{ type: 'm.room_membership' }] }],
    ],
  },
  {
    type: 'm.room.power_levels',
    content: POWER_LEVELS_CONTENT,
    expected: [
      [1, 10, POWER_LEVELS_V1],
      [11, 12, { ...POWER_LEVELS_V1, invite: 0 }],
    ],
  },
  {
    type: 'm.room.history_visibility',
    content: { history_visibility: 'shared', other: 'x' },
    expected: [[1, 12, { history_visibility: 'shared' }]],
  },
  {
    type: 'm.room.aliases',
    content: { aliases: ['#a:x'], other: 'x' },
    expected: [
      [1, 5, { aliases: ['#a:x'] }],
      [6, 12, {}],
    ],
  },
  {
    type: 'm.room.redaction',
    content: { redacts: '$x', reason: 'spam' },
    expected: [
      [1, 10, {}],
      [11, 12, { redacts: '$x' }],
    ],
  },
  {
    type: 'm.room.message',
    content: { body: 'hello', msgtype: 'm.text', membership: 'join', creator: '@a:x' },
    expected: [[1, 12, {}]],
  },
  {
    type: 'm.room.name',
    content: { name: 'Room' },
    expected: [[1, 12, {}]],
  },
  {
    type: 'm.room.server_acl',
    content: { allow: ['*'], deny: [], allow_ip_literals: false },
    expected: [[1, 12, {}]],
  },
  {
    type: 'm.room.third_party_invite',
    content: { display_name: 'x', key_validity_url: 'u', public_key: 'k' },
    expected: [[1, 12, {}]],
  },
  {
    // Look-alike types keep nothing: the match is on the exact type string.
    type: 'M.ROOM.MEMBER',
    content: { membership: 'join' },
    expected: [[1, 12, {}]],
  },
]

describe('redactEvent content, per event type and room version', () => {
  for (const testCase of CONTENT_CASES) {
    for (const [from, to, expected] of testCase.expected) {
      it.each(versions(from, to))(`${testCase.type} in v%s`, (v) => {
        const event: JsonObject = {
          ...TOP_LEVEL_ALWAYS,
          type: testCase.type,
          content: testCase.content,
        }
        expect(redactEvent(event, rulesOf(v))['content']).toEqual(expected)
      })
    }
  }

  it('covers every version for every case', () => {
    for (const testCase of CONTENT_CASES) {
      const covered = testCase.expected.flatMap(([from, to]) => versions(from, to))
      expect(covered).toEqual([...VERSION_IDS])
    }
  })
})

describe('m.room.member third_party_invite (v11+)', () => {
  const rules = rulesOf('11')
  const redact = (content: JsonObject) =>
    redactEvent({ type: 'm.room.member', content }, rules)['content']

  it('keeps an empty object when signed is absent, as Synapse does', () => {
    expect(redact({ membership: 'invite', third_party_invite: { display_name: 'x' } })).toEqual({
      membership: 'invite',
      third_party_invite: {},
    })
  })

  it('drops a third_party_invite that is not an object', () => {
    for (const value of ['s', 1, null, [{ signed: {} }]] as const) {
      expect(redact({ membership: 'invite', third_party_invite: value })).toEqual({
        membership: 'invite',
      })
    }
  })

  it('keeps signed whatever its type', () => {
    expect(redact({ third_party_invite: { signed: 'odd' } })).toEqual({
      third_party_invite: { signed: 'odd' },
    })
  })

  it('is absent before v11', () => {
    expect(
      redactEvent({ type: 'm.room.member', content: MEMBER_CONTENT }, rulesOf('10'))['content'],
    ).not.toHaveProperty('third_party_invite')
  })
})

describe('redactEvent values', () => {
  it('keeps kept values as they are, including nested objects and odd types', () => {
    const content = { membership: { nested: [1, { deep: null }] } }
    const out = redactEvent({ type: 'm.room.member', content }, rulesOf('1'))
    expect(out['content']).toEqual(content)
  })

  it('keeps a v11 create content as is, even non-string values', () => {
    const content = { creator: 5, room_version: null }
    expect(redactEvent({ type: 'm.room.create', content }, rulesOf('11'))['content']).toEqual(
      content,
    )
  })

  it('drops an absent kept key rather than writing undefined', () => {
    const out = redactEvent({ type: 'm.room.power_levels', content: { ban: 1 } }, rulesOf('11'))
    expect(out['content']).toEqual({ ban: 1 })
    expect(Object.keys(out['content'] as object)).toEqual(['ban'])
  })
})

describe('redactEvent purity', () => {
  it('does not mutate its input', () => {
    const event = {
      ...TOP_LEVEL_ALWAYS,
      ...TOP_LEVEL_NEVER,
      type: 'm.room.member',
      content: { ...MEMBER_CONTENT },
    }
    const before = structuredClone(event)
    for (const v of VERSION_IDS) redactEvent(event, rulesOf(v))
    expect(event).toEqual(before)
  })

  it('returns a new object', () => {
    const event = { type: 'm.room.create', content: { creator: '@a:x' } }
    const out = redactEvent(event, rulesOf('11'))
    expect(out).not.toBe(event)
  })
})

const jsonValue: fc.Arbitrary<JsonValue> = fc.letrec<{ value: JsonValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string(),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 8 }), tie('value'), { maxKeys: 4 }),
  ),
})).value

const interestingKeys = fc.constantFrom(
  'membership',
  'creator',
  'join_rule',
  'allow',
  'ban',
  'invite',
  'aliases',
  'redacts',
  'history_visibility',
  'third_party_invite',
  'join_authorised_via_users_server',
  'body',
)

const eventArb: fc.Arbitrary<JsonObject> = fc.record({
  type: fc.constantFrom(
    'm.room.member',
    'm.room.create',
    'm.room.join_rules',
    'm.room.power_levels',
    'm.room.history_visibility',
    'm.room.aliases',
    'm.room.redaction',
    'm.room.message',
  ),
  content: fc.dictionary(interestingKeys, jsonValue, { maxKeys: 6 }),
  origin: fc.string(),
  membership: fc.string(),
  unsigned: jsonValue,
  extra: jsonValue,
})

describe('redactEvent properties', () => {
  it('is idempotent in every version', () => {
    fc.assert(
      fc.property(eventArb, fc.constantFrom(...VERSION_IDS), (event, v) => {
        const rules = rulesOf(v)
        const once = redactEvent(event, rules)
        expect(redactEvent(once, rules)).toEqual(once)
      }),
    )
  })

  it('only ever removes keys, never invents values', () => {
    fc.assert(
      fc.property(eventArb, fc.constantFrom(...VERSION_IDS), (event, v) => {
        const out = redactEvent(event, rulesOf(v))
        for (const [key, value] of Object.entries(out)) {
          if (key !== 'content') expect(value).toBe(event[key])
        }
        const content = out['content'] as JsonObject
        const original = event['content'] as JsonObject
        for (const [key, value] of Object.entries(content)) {
          if (key !== 'third_party_invite') expect(value).toBe(original[key])
        }
      }),
    )
  })
})

describe('redactContent', () => {
  it('is the content part of redactEvent', () => {
    const rules = rulesOf('9')
    expect(redactContent('m.room.member', MEMBER_CONTENT, rules.redaction)).toEqual(
      redactEvent({ type: 'm.room.member', content: MEMBER_CONTENT }, rules)['content'],
    )
  })
})

describe('spec appendix: event containing redactable content', () => {
  // appendices.md §Event Signing: the signature covers the redacted form of this event, which
  // keeps everything but the message body and unsigned. (The signing tests check the signature.)
  it('redacts to the minimal event', () => {
    const event: JsonObject = {
      content: { body: 'Here is the message content' },
      event_id: '$0:domain',
      origin: 'domain',
      origin_server_ts: 1000000,
      type: 'm.room.message',
      room_id: '!r:domain',
      sender: '@u:domain',
      signatures: {},
      unsigned: { age_ts: 1000000 },
    }
    expect(redactEvent(event, rulesOf('1'))).toEqual({
      content: {},
      event_id: '$0:domain',
      origin: 'domain',
      origin_server_ts: 1000000,
      type: 'm.room.message',
      room_id: '!r:domain',
      sender: '@u:domain',
      signatures: {},
    })
  })
})

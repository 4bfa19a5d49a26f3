import type { JsonObject } from '../json/json.js'
import { describe, expect, it } from 'vitest'
import { defaultPushRules } from './default-rules.js'
import { pushActionEffects } from './push-actions.js'
import {
  conditionMatches,
  evaluatePushRules,
  memberCountMatches,
  PushEventView,
  ruleMatches,
  type PushRoomContext,
  type PushUserContext,
} from './push-evaluator.js'
import type { PushCondition, PushRule, PushRuleset } from './push-rule.js'

const ALICE = '@alice:example.org'
const BOB = '@bob:example.org'
const ROOM = '!room:example.org'

function room(overrides: Partial<PushRoomContext> = {}): PushRoomContext {
  return {
    memberCount: 5,
    senderPowerLevel: 0,
    notificationPowerLevel: (key) => (key === 'room' ? 50 : undefined),
    ...overrides,
  }
}

const alice: PushUserContext = { userId: ALICE, displayName: 'Alice' }

function event(fields: JsonObject): PushEventView {
  return new PushEventView({ event_id: '$e', room_id: ROOM, sender: BOB, ...fields })
}

function message(content: JsonObject): PushEventView {
  return event({ type: 'm.room.message', content })
}

function matches(condition: PushCondition, view: PushEventView, ctx = room()): boolean {
  return conditionMatches(condition, view, ctx, alice)
}

/** The rule that decides, and its effects, under the default rules. */
function decide(
  view: PushEventView,
  ctx = room(),
  rules: PushRuleset = defaultPushRules(ALICE),
  user: PushUserContext = alice,
): { ruleId: string | undefined; notify: boolean; highlight: boolean; sound?: string } {
  const match = evaluatePushRules(rules, view, ctx, user)
  const effects = pushActionEffects(match?.actions ?? [])
  return {
    ruleId: match?.rule.rule_id,
    notify: effects.notify,
    highlight: effects.highlight,
    ...(effects.sound === undefined ? {} : { sound: effects.sound }),
  }
}

describe('event_match', () => {
  const topic = (value: JsonObject[string]): PushEventView =>
    event({ type: 'm.room.topic', state_key: '', content: { topic: value } })
  const lunch: PushCondition = { kind: 'event_match', key: 'content.topic', pattern: 'lunc?*' }

  it('follows the spec example on content.topic', () => {
    expect(matches(lunch, topic('Lunch plans'))).toBe(true)
    expect(matches(lunch, topic('LUNCH'))).toBe(true)
    expect(matches(lunch, topic(' lunch'))).toBe(false)
    expect(matches(lunch, topic('lunc'))).toBe(false)
    expect(matches(lunch, topic(null))).toBe(false)
  })

  it('never matches a missing or non-string value, even with *', () => {
    const any: PushCondition = { kind: 'event_match', key: 'content.topic', pattern: '*' }
    expect(matches(any, event({ type: 'm.room.topic', content: {} }))).toBe(false)
    expect(matches(any, topic(3))).toBe(false)
    expect(matches(any, topic({ a: 'b' }))).toBe(false)
    expect(matches(any, topic(''))).toBe(true)
  })

  it('matches content.body at word boundaries (the spec example)', () => {
    const ex: PushCondition = { kind: 'event_match', key: 'content.body', pattern: 'ex*ple' }
    expect(matches(ex, message({ body: 'An example event.' }))).toBe(true)
    expect(matches(ex, message({ body: 'exple' }))).toBe(true)
    expect(matches(ex, message({ body: 'An exciting triple-whammy' }))).toBe(true)
    expect(matches(ex, message({ body: 'Anexample' }))).toBe(false)
    // Other keys match the whole value.
    const whole: PushCondition = { kind: 'event_match', key: 'content.msgtype', pattern: 'text' }
    expect(matches(whole, message({ msgtype: 'm.text' }))).toBe(false)
  })

  it('reads top-level keys: type, sender, room_id, state_key', () => {
    const view = event({ type: 'm.room.member', state_key: ALICE, content: {} })
    expect(matches({ kind: 'event_match', key: 'type', pattern: 'm.room.*' }, view)).toBe(true)
    expect(matches({ kind: 'event_match', key: 'sender', pattern: '@bob:*' }, view)).toBe(true)
    expect(matches({ kind: 'event_match', key: 'room_id', pattern: ROOM }, view)).toBe(true)
    expect(matches({ kind: 'event_match', key: 'state_key', pattern: ALICE }, view)).toBe(true)
    expect(
      matches({ kind: 'event_match', key: 'state_key', pattern: '' }, message({ body: 'x' })),
    ).toBe(false)
  })
})

describe('event_property_is', () => {
  const create = event({
    type: 'm.room.create',
    state_key: '',
    content: {
      creator: '@example:example.org',
      'm.federate': true,
      predecessor: { event_id: '$something:example.org', room_id: '!oldroom:example.org' },
      room_version: '1',
      count: 3,
      nothing: null,
    },
  })

  it('follows the spec example: content.m\\.federate is true', () => {
    const is = (value: boolean | string | number | null): PushCondition => ({
      kind: 'event_property_is',
      key: 'content.m\\.federate',
      value,
    })
    expect(matches(is(true), create)).toBe(true)
    // Types are never cast.
    expect(matches(is('true'), create)).toBe(false)
    expect(matches(is(1), create)).toBe(false)
    expect(matches(is(false), create)).toBe(false)
  })

  it('compares strings, integers and null exactly, and never compound values', () => {
    const is = (key: string, value: string | number | null): PushCondition => ({
      kind: 'event_property_is',
      key,
      value,
    })
    expect(matches(is('content.room_version', '1'), create)).toBe(true)
    expect(matches(is('content.room_version', 1), create)).toBe(false)
    expect(matches(is('content.count', 3), create)).toBe(true)
    expect(matches(is('content.nothing', null), create)).toBe(true)
    expect(matches(is('content.missing', null), create)).toBe(false)
    expect(matches(is('content.predecessor', null), create)).toBe(false)
    expect(matches(is('content.predecessor.room_id', '!oldroom:example.org'), create)).toBe(true)
  })
})

describe('event_property_contains', () => {
  const aliases = event({
    type: 'm.room.canonical_alias',
    state_key: '',
    content: {
      alias: '#somewhere:localhost',
      alt_aliases: ['#somewhere:example.org', '#myroom:example.com', 4, null, ['x'], { y: 1 }],
    },
  })
  const contains = (key: string, value: string | number | null): PushCondition => ({
    kind: 'event_property_contains',
    key,
    value,
  })

  it('follows the spec example: content.alt_aliases contains #myroom:example.com', () => {
    expect(matches(contains('content.alt_aliases', '#myroom:example.com'), aliases)).toBe(true)
    // Partial values do not match.
    expect(matches(contains('content.alt_aliases', ':example.com'), aliases)).toBe(false)
  })

  it('matches non-compound items exactly and needs an array', () => {
    expect(matches(contains('content.alt_aliases', 4), aliases)).toBe(true)
    expect(matches(contains('content.alt_aliases', '4'), aliases)).toBe(false)
    expect(matches(contains('content.alt_aliases', null), aliases)).toBe(true)
    expect(matches(contains('content.alias', '#somewhere:localhost'), aliases)).toBe(false)
    expect(matches(contains('content.missing', 'x'), aliases)).toBe(false)
  })
})

describe('contains_display_name', () => {
  const condition: PushCondition = { kind: 'contains_display_name' }
  it('matches the user’s display name as words in the body', () => {
    expect(matches(condition, message({ body: 'hey alice, lunch?' }))).toBe(true)
    expect(matches(condition, message({ body: 'hey malice' }))).toBe(false)
    expect(matches(condition, message({ body: 5 }))).toBe(false)
    expect(matches(condition, message({}))).toBe(false)
    const noName: PushUserContext = { userId: ALICE, displayName: undefined }
    expect(conditionMatches(condition, message({ body: 'Alice' }), room(), noName)).toBe(false)
  })
})

describe('room_member_count', () => {
  it('compares with ==, <, >, >=, <= and defaults to ==', () => {
    expect(memberCountMatches('2', 2)).toBe(true)
    expect(memberCountMatches('2', 3)).toBe(false)
    expect(memberCountMatches('==2', 2)).toBe(true)
    expect(memberCountMatches('<2', 1)).toBe(true)
    expect(memberCountMatches('<2', 2)).toBe(false)
    expect(memberCountMatches('>2', 3)).toBe(true)
    expect(memberCountMatches('>2', 2)).toBe(false)
    expect(memberCountMatches('>=2', 2)).toBe(true)
    expect(memberCountMatches('>=2', 1)).toBe(false)
    expect(memberCountMatches('<=2', 2)).toBe(true)
    expect(memberCountMatches('<=2', 3)).toBe(false)
  })

  it('never matches a malformed `is`', () => {
    for (const bad of ['', '=2', '!=2', '2.5', ' 2', '>', 'two', '=<2', '-1']) {
      expect(memberCountMatches(bad, 2), bad).toBe(false)
    }
  })

  it('reads the room’s member count', () => {
    const c: PushCondition = { kind: 'room_member_count', is: '>=10' }
    expect(matches(c, message({ body: 'x' }), room({ memberCount: 10 }))).toBe(true)
    expect(matches(c, message({ body: 'x' }), room({ memberCount: 9 }))).toBe(false)
  })
})

describe('sender_notification_permission', () => {
  const c: PushCondition = { kind: 'sender_notification_permission', key: 'room' }
  it('needs the sender at or above the notification level', () => {
    const view = message({ body: '@room' })
    expect(matches(c, view, room({ senderPowerLevel: 50 }))).toBe(true)
    expect(matches(c, view, room({ senderPowerLevel: 49 }))).toBe(false)
    expect(matches(c, view, room({ senderPowerLevel: Infinity }))).toBe(true)
  })

  it('never matches a key without a level', () => {
    const other: PushCondition = { kind: 'sender_notification_permission', key: 'custom' }
    expect(matches(other, message({}), room({ senderPowerLevel: 100 }))).toBe(false)
  })
})

describe('the predefined rules', () => {
  it('.m.rule.master, when enabled, silences everything', () => {
    const rules = defaultPushRules(ALICE)
    const enabled: PushRuleset = {
      ...rules,
      override: rules.override.map((r) =>
        r.rule_id === '.m.rule.master' ? { ...r, enabled: true } : r,
      ),
    }
    const mention = message({ body: 'hi', 'm.mentions': { user_ids: [ALICE] } })
    expect(decide(mention, room(), enabled)).toEqual({
      ruleId: '.m.rule.master',
      notify: false,
      highlight: false,
    })
    // Disabled by default: the mention notifies.
    expect(decide(mention).ruleId).toBe('.m.rule.is_user_mention')
  })

  it('.m.rule.suppress_notices', () => {
    expect(decide(message({ msgtype: 'm.notice', body: 'bot' }))).toEqual({
      ruleId: '.m.rule.suppress_notices',
      notify: false,
      highlight: false,
    })
  })

  it('.m.rule.invite_for_me and .m.rule.member_event', () => {
    const invite = (target: string): PushEventView =>
      event({ type: 'm.room.member', state_key: target, content: { membership: 'invite' } })
    expect(decide(invite(ALICE))).toEqual({
      ruleId: '.m.rule.invite_for_me',
      notify: true,
      highlight: false,
      sound: 'default',
    })
    expect(decide(invite('@carol:example.org'))).toEqual({
      ruleId: '.m.rule.member_event',
      notify: false,
      highlight: false,
    })
    const join = event({ type: 'm.room.member', state_key: BOB, content: { membership: 'join' } })
    expect(decide(join).ruleId).toBe('.m.rule.member_event')
  })

  it('.m.rule.is_user_mention', () => {
    expect(decide(message({ body: 'hi', 'm.mentions': { user_ids: [BOB, ALICE] } }))).toEqual({
      ruleId: '.m.rule.is_user_mention',
      notify: true,
      highlight: true,
      sound: 'default',
    })
    // Someone else's mention, or a mention by name only: a plain message.
    expect(decide(message({ body: 'hi', 'm.mentions': { user_ids: [BOB] } })).ruleId).toBe(
      '.m.rule.message',
    )
    expect(decide(message({ body: 'alice: hi' })).highlight).toBe(false)
    expect(decide(message({ body: 'x', 'm.mentions': { user_ids: ALICE } })).highlight).toBe(false)
  })

  it('.m.rule.is_room_mention needs the sender’s power', () => {
    const atRoom = message({ body: '@room', 'm.mentions': { room: true } })
    expect(decide(atRoom, room({ senderPowerLevel: 50 }))).toEqual({
      ruleId: '.m.rule.is_room_mention',
      notify: true,
      highlight: true,
    })
    expect(decide(atRoom, room({ senderPowerLevel: 0 })).ruleId).toBe('.m.rule.message')
    const notTrue = message({ body: '@room', 'm.mentions': { room: 'true' } })
    expect(decide(notTrue, room({ senderPowerLevel: 100 })).ruleId).toBe('.m.rule.message')
  })

  it('.m.rule.tombstone needs a state event', () => {
    const tombstone = event({
      type: 'm.room.tombstone',
      state_key: '',
      content: { body: 'moved', replacement_room: '!new:example.org' },
    })
    expect(decide(tombstone)).toEqual({
      ruleId: '.m.rule.tombstone',
      notify: true,
      highlight: true,
    })
    const notState = event({ type: 'm.room.tombstone', content: {} })
    expect(decide(notState)).toEqual({ ruleId: undefined, notify: false, highlight: false })
  })

  it('.m.rule.reaction, .m.rule.room.server_acl and .m.rule.suppress_edits silence', () => {
    const reaction = event({
      type: 'm.reaction',
      content: { 'm.relates_to': { rel_type: 'm.annotation', event_id: '$x', key: '👍' } },
    })
    expect(decide(reaction).ruleId).toBe('.m.rule.reaction')
    expect(decide(reaction).notify).toBe(false)
    const acl = event({ type: 'm.room.server_acl', state_key: '', content: { allow: ['*'] } })
    expect(decide(acl)).toEqual({
      ruleId: '.m.rule.room.server_acl',
      notify: false,
      highlight: false,
    })
    const edit = message({
      body: '* fixed',
      'm.new_content': { body: 'fixed' },
      'm.relates_to': { rel_type: 'm.replace', event_id: '$x' },
      'm.mentions': { user_ids: [ALICE] },
    })
    // An edit that mentions: the mention wins, it comes first.
    expect(decide(edit).ruleId).toBe('.m.rule.is_user_mention')
    const plainEdit = message({
      body: '* fixed',
      'm.relates_to': { rel_type: 'm.replace', event_id: '$x' },
    })
    expect(decide(plainEdit)).toEqual({
      ruleId: '.m.rule.suppress_edits',
      notify: false,
      highlight: false,
    })
  })

  it('.m.rule.call rings', () => {
    expect(decide(event({ type: 'm.call.invite', content: {} }))).toEqual({
      ruleId: '.m.rule.call',
      notify: true,
      highlight: false,
      sound: 'ring',
    })
  })

  it('one-to-one rooms get sound; group rooms a plain notification', () => {
    const encrypted = event({ type: 'm.room.encrypted', content: { ciphertext: 'x' } })
    expect(decide(encrypted, room({ memberCount: 2 }))).toEqual({
      ruleId: '.m.rule.encrypted_room_one_to_one',
      notify: true,
      highlight: false,
      sound: 'default',
    })
    expect(decide(encrypted, room({ memberCount: 3 }))).toEqual({
      ruleId: '.m.rule.encrypted',
      notify: true,
      highlight: false,
    })
    const text = message({ msgtype: 'm.text', body: 'hi' })
    expect(decide(text, room({ memberCount: 2 }))).toEqual({
      ruleId: '.m.rule.room_one_to_one',
      notify: true,
      highlight: false,
      sound: 'default',
    })
    expect(decide(text, room({ memberCount: 3 }))).toEqual({
      ruleId: '.m.rule.message',
      notify: true,
      highlight: false,
    })
  })

  it('anything else matches no rule', () => {
    expect(decide(event({ type: 'm.room.name', state_key: '', content: { name: 'x' } }))).toEqual({
      ruleId: undefined,
      notify: false,
      highlight: false,
    })
  })
})

describe('user-defined rules', () => {
  const base = defaultPushRules(ALICE)
  const user = (rule: Omit<PushRule, 'default' | 'enabled'>, enabled = true): PushRule => ({
    ...rule,
    default: false,
    enabled,
  })

  it('content rules match content.body at word boundaries', () => {
    const rules: PushRuleset = {
      ...base,
      content: [
        user({
          rule_id: 'cake',
          pattern: 'cake*lie',
          actions: ['notify', { set_tweak: 'highlight' }],
        }),
      ],
    }
    expect(decide(message({ body: 'the cake is a lie' }), room(), rules).ruleId).toBe('cake')
    expect(decide(message({ body: 'cakes lie' }), room(), rules).ruleId).toBe('cake')
    expect(decide(message({ body: 'pancake lie' }), room(), rules).ruleId).toBe('.m.rule.message')
    expect(decide(message({ body: 3 }), room(), rules).ruleId).toBe('.m.rule.message')
    const noPattern: PushRuleset = { ...base, content: [user({ rule_id: 'x', actions: [] })] }
    expect(decide(message({ body: 'x' }), room(), noPattern).ruleId).toBe('.m.rule.message')
  })

  it('room and sender rules match by their ID, before underride rules', () => {
    const rules: PushRuleset = {
      ...base,
      room: [user({ rule_id: ROOM, actions: [] })],
      sender: [user({ rule_id: BOB, actions: ['notify', { set_tweak: 'sound', value: 'bob' }] })],
    }
    expect(decide(message({ body: 'x' }), room(), rules).ruleId).toBe(ROOM)
    const noRoomRule: PushRuleset = { ...rules, room: [] }
    expect(decide(message({ body: 'x' }), room(), noRoomRule)).toEqual({
      ruleId: BOB,
      notify: true,
      highlight: false,
      sound: 'bob',
    })
    const other = new PushEventView({
      room_id: '!other:example.org',
      sender: '@carol:example.org',
      type: 'm.room.message',
      content: { body: 'x' },
    })
    expect(decide(other, room(), rules).ruleId).toBe('.m.rule.message')
  })

  it('skips disabled rules and rules with unknown conditions', () => {
    const rules: PushRuleset = {
      ...base,
      override: [
        base.override[0] as PushRule,
        user({ rule_id: 'off', conditions: [], actions: ['notify'] }, false),
        user({ rule_id: 'future', conditions: [{ kind: 'org.example.future' }], actions: [] }),
        user({
          rule_id: 'broken',
          conditions: [{ kind: 'event_match', key: 'type' }],
          actions: [],
        }),
        ...base.override.slice(1),
      ],
    }
    expect(decide(message({ body: 'x' }), room(), rules).ruleId).toBe('.m.rule.message')
  })

  it('an override with no conditions matches everything', () => {
    const rules: PushRuleset = {
      ...base,
      override: [user({ rule_id: 'all', conditions: [], actions: ['notify'] }), ...base.override],
    }
    expect(
      decide(event({ type: 'm.room.name', state_key: '', content: {} }), room(), rules).ruleId,
    ).toBe('all')
    const noConditions: PushRuleset = {
      ...base,
      override: [user({ rule_id: 'bare', actions: ['notify'] })],
    }
    expect(decide(message({}), room(), noConditions).ruleId).toBe('bare')
  })

  it('a contains_display_name override highlights the name', () => {
    const rules: PushRuleset = {
      ...base,
      override: [
        user({
          rule_id: 'name',
          conditions: [{ kind: 'contains_display_name' }],
          actions: ['notify', { set_tweak: 'highlight' }],
        }),
      ],
    }
    expect(decide(message({ body: 'Alice: ping' }), room(), rules).highlight).toBe(true)
    expect(decide(message({ body: 'Bob: ping' }), room(), rules).ruleId).toBe('.m.rule.message')
  })

  it('ruleMatches answers for one rule of each kind', () => {
    const view = message({ body: 'hello world' })
    const ctx = room()
    expect(
      ruleMatches(
        'content',
        user({ rule_id: 'w', pattern: 'world', actions: [] }),
        view,
        ctx,
        alice,
      ),
    ).toBe(true)
    expect(ruleMatches('sender', user({ rule_id: ALICE, actions: [] }), view, ctx, alice)).toBe(
      false,
    )
    expect(ruleMatches('underride', user({ rule_id: 'u', actions: [] }), view, ctx, alice)).toBe(
      true,
    )
  })
})

describe('PushEventView', () => {
  it('remembers lookups, including misses', () => {
    const view = message({ body: 'x' })
    expect(view.get('content.body')).toBe('x')
    expect(view.get('content.body')).toBe('x')
    expect(view.get('content.none')).toBeUndefined()
    expect(view.get('content.none')).toBeUndefined()
    expect(view.string('type')).toBe('m.room.message')
    expect(view.string('content')).toBeUndefined()
  })
})

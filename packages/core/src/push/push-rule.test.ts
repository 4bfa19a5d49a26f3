import { describe, expect, it } from 'vitest'
import { defaultPushRules } from './default-rules.js'
import {
  findPushRule,
  isNonCompound,
  isPushRuleKind,
  isServerDefaultRuleId,
  parsePushCondition,
  PUSH_RULE_KINDS,
} from './push-rule.js'

describe('parsePushCondition', () => {
  it('reads every condition kind with its parameters', () => {
    expect(parsePushCondition({ kind: 'event_match', key: 'type', pattern: 'm.*' })).toEqual({
      kind: 'event_match',
      key: 'type',
      pattern: 'm.*',
    })
    for (const kind of ['event_property_is', 'event_property_contains'] as const) {
      for (const value of ['x', 3, -(2 ** 53) + 1, true, false, null]) {
        expect(parsePushCondition({ kind, key: 'content.x', value })).toEqual({
          kind,
          key: 'content.x',
          value,
        })
      }
    }
    expect(parsePushCondition({ kind: 'contains_display_name' })).toEqual({
      kind: 'contains_display_name',
    })
    expect(parsePushCondition({ kind: 'room_member_count', is: '>=2' })).toEqual({
      kind: 'room_member_count',
      is: '>=2',
    })
    expect(parsePushCondition({ kind: 'sender_notification_permission', key: 'room' })).toEqual({
      kind: 'sender_notification_permission',
      key: 'room',
    })
  })

  it('refuses unknown kinds and known kinds with missing or mistyped parameters', () => {
    for (const bad of [
      {},
      { kind: 'unknown_condition', key: 'type' },
      { kind: 7 },
      { kind: 'event_match', key: 'type' },
      { kind: 'event_match', pattern: 'x' },
      { kind: 'event_match', key: 1, pattern: 'x' },
      { kind: 'event_property_is', key: 'content.x' },
      { kind: 'event_property_is', key: 'content.x', value: [1] },
      { kind: 'event_property_is', key: 'content.x', value: { a: 1 } },
      { kind: 'event_property_is', key: 'content.x', value: 1.5 },
      { kind: 'event_property_contains', key: 'content.x', value: 2 ** 53 },
      { kind: 'event_property_contains', value: 'x' },
      { kind: 'room_member_count' },
      { kind: 'room_member_count', is: 2 },
      { kind: 'sender_notification_permission' },
    ]) {
      expect(parsePushCondition(bad), JSON.stringify(bad)).toBeUndefined()
    }
  })
})

describe('isNonCompound', () => {
  it('accepts strings, booleans, null and safe integers only', () => {
    for (const v of ['', 'x', true, false, null, 0, -1, 2 ** 53 - 1])
      expect(isNonCompound(v)).toBe(true)
    for (const v of [1.5, 2 ** 53, [], {}, [1]]) expect(isNonCompound(v)).toBe(false)
  })
})

describe('kinds and IDs', () => {
  it('knows the five kinds in evaluation order', () => {
    expect(PUSH_RULE_KINDS).toEqual(['override', 'content', 'room', 'sender', 'underride'])
    for (const kind of PUSH_RULE_KINDS) expect(isPushRuleKind(kind)).toBe(true)
    for (const bad of ['', 'global', 'Override', 'toString'])
      expect(isPushRuleKind(bad)).toBe(false)
  })

  it('tells server-default rule IDs by their leading dot', () => {
    expect(isServerDefaultRuleId('.m.rule.master')).toBe(true)
    expect(isServerDefaultRuleId('nocake')).toBe(false)
    expect(isServerDefaultRuleId('')).toBe(false)
  })

  it('finds a rule only under its own kind', () => {
    const rules = defaultPushRules('@alice:example.org')
    expect(findPushRule(rules, 'override', '.m.rule.master')?.enabled).toBe(false)
    expect(findPushRule(rules, 'underride', '.m.rule.master')).toBeUndefined()
  })
})

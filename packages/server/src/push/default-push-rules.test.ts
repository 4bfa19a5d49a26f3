import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseUserId, type UserId } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import { specDir } from '../testing/openapi-spec.js'
import {
  defaultPushRules,
  findPushRule,
  isPushRuleKind,
  PUSH_RULE_KINDS,
} from './default-push-rules.js'

function userId(raw: string): UserId {
  const parsed = parseUserId(raw)
  if (!parsed.ok) throw new Error(raw)
  return parsed.value
}

const ALICE = userId('@alice:example.org')

/**
 * The spec's own definitions, read from the Predefined Rules section of push.md: each JSON block
 * under "Default Override Rules" or "Default Underride Rules", with the user's ID filled in.
 */
function specRules(user: UserId): Record<string, unknown[]> {
  const text = readFileSync(join(specDir(), 'client-server-api/modules/push.md'), 'utf8')
  const start = text.indexOf('#### Predefined Rules')
  const end = text.indexOf('#### Push Rules: API')
  expect(start).toBeGreaterThan(0)
  expect(end).toBeGreaterThan(start)
  const section = text.slice(start, end)
  const byKind: Record<string, unknown[]> = {}
  let kind: string | undefined
  for (const part of section.split(/^(##### Default \w+ Rules)$/m)) {
    const heading = /^##### Default (\w+) Rules$/.exec(part)
    if (heading?.[1] !== undefined) {
      kind = heading[1].toLowerCase()
      continue
    }
    if (kind === undefined) continue
    for (const block of part.matchAll(/```json\n([\s\S]*?)```/g)) {
      const json = (block[1] ?? '').replaceAll("[the user's Matrix ID]", user)
      ;(byKind[kind] ??= []).push(JSON.parse(json))
    }
  }
  return byKind
}

describe('defaultPushRules', () => {
  it('is exactly the spec’s predefined rules, in the spec’s order, for the user', () => {
    const spec = specRules(ALICE)
    // Guard against the extraction silently finding nothing.
    expect(Object.keys(spec).sort()).toEqual(['override', 'underride'])
    expect(spec['override']).toHaveLength(10)
    expect(spec['underride']).toHaveLength(5)
    const rules = defaultPushRules(ALICE)
    for (const kind of PUSH_RULE_KINDS) {
      expect(rules[kind], kind).toEqual(spec[kind] ?? [])
    }
  })

  it('orders the override and underride rules as the spec lists them', () => {
    const rules = defaultPushRules(ALICE)
    expect(rules.override.map((r) => r.rule_id)).toEqual([
      '.m.rule.master',
      '.m.rule.suppress_notices',
      '.m.rule.invite_for_me',
      '.m.rule.member_event',
      '.m.rule.is_user_mention',
      '.m.rule.is_room_mention',
      '.m.rule.tombstone',
      '.m.rule.reaction',
      '.m.rule.room.server_acl',
      '.m.rule.suppress_edits',
    ])
    expect(rules.underride.map((r) => r.rule_id)).toEqual([
      '.m.rule.call',
      '.m.rule.encrypted_room_one_to_one',
      '.m.rule.room_one_to_one',
      '.m.rule.message',
      '.m.rule.encrypted',
    ])
  })

  it('has no body-matching legacy rules, which v1.17 removed', () => {
    const rules = defaultPushRules(ALICE)
    expect(rules.content).toEqual([])
    expect(rules.room).toEqual([])
    expect(rules.sender).toEqual([])
    const ids = PUSH_RULE_KINDS.flatMap((kind) => rules[kind].map((r) => r.rule_id))
    for (const legacy of [
      '.m.rule.contains_user_name',
      '.m.rule.contains_display_name',
      '.m.rule.roomnotif',
    ]) {
      expect(ids).not.toContain(legacy)
    }
  })

  it('marks every rule default with a dotted ID, and only the master rule disabled', () => {
    const rules = defaultPushRules(ALICE)
    const all = PUSH_RULE_KINDS.flatMap((kind) => rules[kind])
    expect(all).toHaveLength(15)
    for (const r of all) {
      expect(r.default, r.rule_id).toBe(true)
      expect(r.rule_id.startsWith('.'), r.rule_id).toBe(true)
      expect(r.enabled, r.rule_id).toBe(r.rule_id !== '.m.rule.master')
    }
    expect(rules.override[0]).toEqual({
      rule_id: '.m.rule.master',
      default: true,
      enabled: false,
      conditions: [],
      actions: [],
    })
  })

  it('names the given user in the invite and mention rules', () => {
    const bob = userId('@bob:other.example')
    const rules = defaultPushRules(bob)
    expect(findPushRule(rules, 'override', '.m.rule.invite_for_me')?.conditions).toContainEqual({
      kind: 'event_match',
      key: 'state_key',
      pattern: '@bob:other.example',
    })
    expect(findPushRule(rules, 'override', '.m.rule.is_user_mention')?.conditions).toEqual([
      {
        kind: 'event_property_contains',
        key: 'content.m\\.mentions.user_ids',
        value: '@bob:other.example',
      },
    ])
    expect(JSON.stringify(defaultPushRules(ALICE))).not.toContain('@bob')
  })

  it('gives .m.rule.message the single action notify', () => {
    expect(findPushRule(defaultPushRules(ALICE), 'underride', '.m.rule.message')).toEqual({
      rule_id: '.m.rule.message',
      default: true,
      enabled: true,
      conditions: [{ kind: 'event_match', key: 'type', pattern: 'm.room.message' }],
      actions: ['notify'],
    })
  })
})

describe('findPushRule', () => {
  it('finds a rule only under its own kind', () => {
    const rules = defaultPushRules(ALICE)
    expect(findPushRule(rules, 'override', '.m.rule.master')?.enabled).toBe(false)
    expect(findPushRule(rules, 'underride', '.m.rule.master')).toBeUndefined()
    expect(findPushRule(rules, 'content', '.m.rule.contains_user_name')).toBeUndefined()
    expect(findPushRule(rules, 'override', '')).toBeUndefined()
  })
})

describe('isPushRuleKind', () => {
  it('accepts the five kinds and nothing else', () => {
    for (const kind of PUSH_RULE_KINDS) expect(isPushRuleKind(kind)).toBe(true)
    for (const bad of ['', 'global', 'Override', 'override ', 'toString', '__proto__']) {
      expect(isPushRuleKind(bad), bad).toBe(false)
    }
  })
})

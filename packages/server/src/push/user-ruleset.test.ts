import { defaultPushRules } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import { effectiveRuleset, rulesetContent } from './user-ruleset.js'

const ALICE = '@alice:example.org'

describe('effectiveRuleset', () => {
  it('is the default ruleset when nothing is stored', () => {
    expect(effectiveRuleset(ALICE, undefined)).toEqual(defaultPushRules(ALICE))
    expect(effectiveRuleset(ALICE, {})).toEqual(defaultPushRules(ALICE))
    expect(effectiveRuleset(ALICE, { global: 'nonsense' })).toEqual(defaultPushRules(ALICE))
  })

  it('round-trips through its stored content', () => {
    const rules = defaultPushRules(ALICE)
    const changed = {
      ...rules,
      content: [{ rule_id: 'cake', default: false, enabled: true, pattern: 'cake', actions: [] }],
    }
    expect(effectiveRuleset(ALICE, rulesetContent(changed))).toEqual(changed)
  })

  it('takes only enabled and actions of stored default rules, and this server’s definitions', () => {
    const stored = {
      global: {
        override: [
          // A stale copy: other conditions, and the user's choices.
          {
            rule_id: '.m.rule.suppress_notices',
            default: true,
            enabled: false,
            conditions: [{ kind: 'event_match', key: 'content.msgtype', pattern: 'm.old' }],
            actions: ['notify'],
          },
          // A default rule this server does not have any more.
          { rule_id: '.m.rule.retired', default: true, enabled: true, actions: [] },
        ],
      },
    }
    const ruleset = effectiveRuleset(ALICE, stored)
    const notices = ruleset.override.find((r) => r.rule_id === '.m.rule.suppress_notices')
    expect(notices).toEqual({
      rule_id: '.m.rule.suppress_notices',
      default: true,
      enabled: false,
      conditions: [{ kind: 'event_match', key: 'content.msgtype', pattern: 'm.notice' }],
      actions: ['notify'],
    })
    expect(ruleset.override.map((r) => r.rule_id)).not.toContain('.m.rule.retired')
    // Defaults missing from the stored copy are there.
    expect(ruleset.override).toHaveLength(defaultPushRules(ALICE).override.length)
  })

  it('keeps user rules before the defaults, the master rule first, and drops malformed ones', () => {
    const stored = {
      global: {
        override: [
          { rule_id: 'mine', default: false, enabled: true, conditions: [], actions: ['notify'] },
          { rule_id: 'no-enabled', actions: [] },
          { rule_id: 5, enabled: true, actions: [] },
          'not a rule',
          { rule_id: 'bad-actions', enabled: true, actions: 'notify' },
          {
            rule_id: 'odd-parts',
            enabled: false,
            conditions: [{ kind: 'x' }, 3],
            actions: ['notify', 7, { set_tweak: 'sound', value: 'a' }],
          },
        ],
        underride: [{ rule_id: 'last', default: true, enabled: true, actions: [] }],
      },
    }
    const ruleset = effectiveRuleset(ALICE, stored)
    expect(ruleset.override.slice(0, 4).map((r) => r.rule_id)).toEqual([
      '.m.rule.master',
      'mine',
      'odd-parts',
      '.m.rule.suppress_notices',
    ])
    expect(ruleset.override[2]).toEqual({
      rule_id: 'odd-parts',
      default: false,
      enabled: false,
      conditions: [{ kind: 'x' }],
      actions: ['notify', { set_tweak: 'sound', value: 'a' }],
    })
    // A stored "default" flag cannot make a user rule a server-default one.
    expect(ruleset.underride[0]).toMatchObject({ rule_id: 'last', default: false })
  })
})

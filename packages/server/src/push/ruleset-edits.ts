/**
 * Changes to a user's ruleset (client-server-api §Push Rules: API): add or replace a user rule
 * with `before`/`after` placement, delete one, and set a rule's `enabled` flag or actions (of
 * server-default rules too). Each returns the new ruleset or the error the endpoint answers with.
 */
import {
  err,
  findPushRule,
  isServerDefaultRuleId,
  ok,
  type PushAction,
  type PushRule,
  type PushRuleKind,
  type PushRuleset,
  type Result,
} from '@rhizome/core'
import { notFound, serverError, type ServerError } from '../http/errors.js'

export const RULE_NOT_FOUND = 'The push rule was not found.'
const MASTER = '.m.rule.master'

/** What a PUT carries for the rule, already checked for its kind. */
export interface RuleFields {
  readonly conditions?: PushRule['conditions']
  readonly pattern?: string
  readonly actions: readonly PushAction[]
}

export interface Placement {
  readonly before: string | undefined
  readonly after: string | undefined
}

export function putRule(
  ruleset: PushRuleset,
  kind: PushRuleKind,
  ruleId: string,
  fields: RuleFields,
  placement: Placement,
): Result<PushRuleset, ServerError> {
  const rules = ruleset[kind]
  const existing = rules.find((r) => r.rule_id === ruleId)
  const rule: PushRule = {
    rule_id: ruleId,
    default: false,
    // New rules are enabled; a replaced rule keeps its flag.
    enabled: existing?.enabled ?? true,
    ...(fields.conditions === undefined ? {} : { conditions: fields.conditions }),
    ...(fields.pattern === undefined ? {} : { pattern: fields.pattern }),
    actions: fields.actions,
  }
  const anchorId = placement.before ?? placement.after
  if (anchorId === undefined) {
    if (existing !== undefined) {
      return ok(
        withKind(
          ruleset,
          kind,
          rules.map((r) => (r === existing ? rule : r)),
        ),
      )
    }
    // A new rule is the most important user rule of its kind: first, after the master rule.
    const others = [...rules]
    others.splice(rules[0]?.rule_id === MASTER ? 1 : 0, 0, rule)
    return ok(withKind(ruleset, kind, others))
  }
  if (anchorId === ruleId) {
    return err(serverError('M_INVALID_PARAM', 'A rule cannot be placed relative to itself'))
  }
  if (isServerDefaultRuleId(anchorId)) {
    return err(
      serverError('M_INVALID_PARAM', 'A rule cannot be placed relative to a server-default rule'),
    )
  }
  const others = rules.filter((r) => r.rule_id !== ruleId)
  const anchor = others.findIndex((r) => r.rule_id === anchorId)
  if (anchor === -1) {
    return err(
      serverError('M_UNKNOWN', `before/after rule not found: ${anchorId}`, { status: 400 }),
    )
  }
  others.splice(placement.before !== undefined ? anchor : anchor + 1, 0, rule)
  return ok(withKind(ruleset, kind, others))
}

export function deleteRule(
  ruleset: PushRuleset,
  kind: PushRuleKind,
  ruleId: string,
): Result<PushRuleset, ServerError> {
  const rule = findPushRule(ruleset, kind, ruleId)
  // Server-default rules cannot be deleted, only disabled: for this endpoint they do not exist.
  if (rule === undefined || rule.default) return err(notFound(RULE_NOT_FOUND))
  return ok(
    withKind(
      ruleset,
      kind,
      ruleset[kind].filter((r) => r !== rule),
    ),
  )
}

export function setRuleEnabled(
  ruleset: PushRuleset,
  kind: PushRuleKind,
  ruleId: string,
  enabled: boolean,
): Result<PushRuleset, ServerError> {
  return changeRule(ruleset, kind, ruleId, (rule) => ({ ...rule, enabled }))
}

export function setRuleActions(
  ruleset: PushRuleset,
  kind: PushRuleKind,
  ruleId: string,
  actions: readonly PushAction[],
): Result<PushRuleset, ServerError> {
  return changeRule(ruleset, kind, ruleId, (rule) => ({ ...rule, actions }))
}

function changeRule(
  ruleset: PushRuleset,
  kind: PushRuleKind,
  ruleId: string,
  change: (rule: PushRule) => PushRule,
): Result<PushRuleset, ServerError> {
  const rule = findPushRule(ruleset, kind, ruleId)
  if (rule === undefined) return err(notFound(RULE_NOT_FOUND))
  return ok(
    withKind(
      ruleset,
      kind,
      ruleset[kind].map((r) => (r === rule ? change(r) : r)),
    ),
  )
}

function withKind(
  ruleset: PushRuleset,
  kind: PushRuleKind,
  rules: readonly PushRule[],
): PushRuleset {
  return { ...ruleset, [kind]: rules }
}

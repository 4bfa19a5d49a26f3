/**
 * A user's push rules as stored: global account data `m.push_rules`, whose content is the whole
 * ruleset (`{ global: { override: [...], ... } }`), server-default rules included, as clients
 * see it in `/sync` (client-server-api §Push Rules: Events).
 *
 * What is kept of a server-default rule is only what the user may change, its `enabled` flag and
 * its `actions`; everything else comes from this server's current definition, so a default that a
 * newer server changes or adds takes effect for every user. User rules come before the defaults
 * of their kind, except `.m.rule.master`, which always comes first (§Predefined Rules).
 */
import {
  defaultPushRules,
  isJsonObject,
  isServerDefaultRuleId,
  PUSH_RULE_KINDS,
  type JsonObject,
  type JsonValue,
  type PushAction,
  type PushRule,
  type PushRuleKind,
  type PushRuleset,
} from '@rhizome/core'

export const PUSH_RULES_TYPE = 'm.push_rules'
const MASTER = '.m.rule.master'

/** The ruleset in effect for `userId`, from the stored content (none: the defaults). */
export function effectiveRuleset(userId: string, stored: JsonObject | undefined): PushRuleset {
  const defaults = defaultPushRules(userId)
  const global = stored?.['global']
  const storedGlobal: JsonObject = isJsonObject(global) ? global : {}
  const out: Partial<Record<PushRuleKind, PushRule[]>> = {}
  for (const kind of PUSH_RULE_KINDS) {
    const storedRules = readRules(storedGlobal[kind])
    const userRules = storedRules.filter((r) => !isServerDefaultRuleId(r.rule_id))
    const changed = new Map(
      storedRules.filter((r) => isServerDefaultRuleId(r.rule_id)).map((r) => [r.rule_id, r]),
    )
    const kindDefaults = defaults[kind].map((rule) => {
      const mine = changed.get(rule.rule_id)
      return mine === undefined ? rule : { ...rule, enabled: mine.enabled, actions: mine.actions }
    })
    const master = kindDefaults.filter((r) => r.rule_id === MASTER)
    const rest = kindDefaults.filter((r) => r.rule_id !== MASTER)
    out[kind] = [...master, ...userRules, ...rest]
  }
  return out as PushRuleset
}

/** The account data content for a ruleset. */
export function rulesetContent(ruleset: PushRuleset): JsonObject {
  return { global: ruleset as unknown as JsonObject }
}

/** Stored rules, leniently: an entry that is not a well-formed rule is dropped. */
function readRules(value: JsonValue | undefined): PushRule[] {
  if (!Array.isArray(value)) return []
  const rules: PushRule[] = []
  for (const item of value as readonly JsonValue[]) {
    if (!isJsonObject(item)) continue
    const ruleId = item['rule_id']
    const enabled = item['enabled']
    const actions = item['actions']
    if (typeof ruleId !== 'string' || typeof enabled !== 'boolean' || !Array.isArray(actions)) {
      continue
    }
    const conditions = item['conditions']
    const pattern = item['pattern']
    rules.push({
      rule_id: ruleId,
      default: isServerDefaultRuleId(ruleId),
      enabled,
      ...(Array.isArray(conditions)
        ? { conditions: (conditions as readonly JsonValue[]).filter(isJsonObject) }
        : {}),
      ...(typeof pattern === 'string' ? { pattern } : {}),
      actions: (actions as readonly JsonValue[]).filter(isAction),
    })
  }
  return rules
}

function isAction(value: JsonValue): value is PushAction {
  return typeof value === 'string' || isJsonObject(value)
}

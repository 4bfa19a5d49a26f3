/**
 * Push rules as the spec writes them (client-server-api §Push Rules): the JSON shapes that
 * clients send and read, and that the ruleset is stored as. Conditions and actions stay JSON so
 * that ones this server does not know travel through unchanged; the evaluator reads them with
 * `parsePushCondition` and `pushActionEffects`.
 */
import type { JsonObject, JsonValue } from '../json/json.js'

/** The five kinds of push rule, in the order they are evaluated. */
export const PUSH_RULE_KINDS = ['override', 'content', 'room', 'sender', 'underride'] as const
export type PushRuleKind = (typeof PUSH_RULE_KINDS)[number]

export function isPushRuleKind(raw: string): raw is PushRuleKind {
  return (PUSH_RULE_KINDS as readonly string[]).includes(raw)
}

/** A non-compound canonical JSON value, as `event_property_is` / `_contains` compare. */
export type PushConditionValue = string | number | boolean | null

/** The conditions this server evaluates; any other kind never matches. */
export type PushCondition =
  | { readonly kind: 'event_match'; readonly key: string; readonly pattern: string }
  | {
      readonly kind: 'event_property_is' | 'event_property_contains'
      readonly key: string
      readonly value: PushConditionValue
    }
  | { readonly kind: 'contains_display_name' }
  | { readonly kind: 'room_member_count'; readonly is: string }
  | { readonly kind: 'sender_notification_permission'; readonly key: string }

/** An action: `notify`, a `set_tweak` object, or something this server passes through. */
export type PushAction = string | JsonObject

export interface PushRule {
  readonly rule_id: string
  readonly default: boolean
  readonly enabled: boolean
  /** Override and underride rules only. */
  readonly conditions?: readonly JsonObject[]
  /** Content rules only. */
  readonly pattern?: string
  readonly actions: readonly PushAction[]
}

export type PushRuleset = { readonly [K in PushRuleKind]: readonly PushRule[] }

/** Server-default rules have IDs starting with a dot; clients cannot create such IDs. */
export function isServerDefaultRuleId(ruleId: string): boolean {
  return ruleId.startsWith('.')
}

/** The rule `ruleId` of `kind` in `ruleset`, if there is one. */
export function findPushRule(
  ruleset: PushRuleset,
  kind: PushRuleKind,
  ruleId: string,
): PushRule | undefined {
  return ruleset[kind].find((r) => r.rule_id === ruleId)
}

/**
 * Reads a condition's JSON. Undefined for a kind this server does not know or a known kind whose
 * parameters are missing or of the wrong type: such a condition never matches.
 */
export function parsePushCondition(json: JsonObject): PushCondition | undefined {
  const kind = json['kind']
  const key = json['key']
  if (typeof kind !== 'string') return undefined
  switch (kind) {
    case 'event_match': {
      const pattern = json['pattern']
      return typeof key === 'string' && typeof pattern === 'string'
        ? { kind, key, pattern }
        : undefined
    }
    case 'event_property_is':
    case 'event_property_contains': {
      const value = json['value']
      return typeof key === 'string' && value !== undefined && isNonCompound(value)
        ? { kind, key, value }
        : undefined
    }
    case 'contains_display_name':
      return { kind }
    case 'room_member_count': {
      const is = json['is']
      return typeof is === 'string' ? { kind, is } : undefined
    }
    case 'sender_notification_permission':
      return typeof key === 'string' ? { kind, key } : undefined
    default:
      return undefined
  }
}

/**
 * Strings, booleans, null and integers in [-(2^53)+1, 2^53-1]: the values canonical JSON can
 * carry that are not arrays or objects.
 */
export function isNonCompound(value: JsonValue): value is PushConditionValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true
  return typeof value === 'number' && Number.isSafeInteger(value)
}

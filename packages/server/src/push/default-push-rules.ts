/**
 * The server-default push rules and the push rule types live in the core (core/src/push), beside
 * the evaluator that reads them; this module names them for the server's push code.
 */
export {
  defaultPushRules,
  findPushRule,
  isPushRuleKind,
  PUSH_RULE_KINDS,
  type PushAction,
  type PushCondition,
  type PushConditionValue,
  type PushRule,
  type PushRuleKind,
  type PushRuleset,
} from '@rhizome/core'

/**
 * Checks what clients send to the push rule endpoints (client-server-api §PUT
 * /pushrules/global/{kind}/{ruleId}, .../actions): rule IDs, actions and, by kind, conditions or
 * a pattern. Conditions of a kind this server does not know are kept as sent (they never match);
 * known ones must carry their parameters.
 */
import {
  err,
  isJsonObject,
  ok,
  parsePushCondition,
  parseRoomId,
  parseUserId,
  withoutHistoricalActions,
  type JsonObject,
  type JsonValue,
  type PushAction,
  type PushRuleKind,
  type Result,
} from '@rhizome/core'
import { badJson, serverError, type ServerError } from '../http/errors.js'
import type { RuleFields } from './ruleset-edits.js'

/** Bounds on one rule, so a ruleset stays a small document. */
export const MAX_CONDITIONS = 50
export const MAX_ACTIONS = 50
const MAX_RULE_ID_LENGTH = 255

const KNOWN_CONDITIONS: readonly string[] = [
  'event_match',
  'event_property_is',
  'event_property_contains',
  'contains_display_name',
  'room_member_count',
  'sender_notification_permission',
]
const KNOWN_ACTIONS: readonly string[] = ['notify', 'dont_notify', 'coalesce']

/**
 * A rule ID a client may create: not a server-default one (leading dot), no slashes or
 * backslashes, and for room and sender rules the room or user it names.
 */
export function checkNewRuleId(kind: PushRuleKind, ruleId: string): Result<void, ServerError> {
  const invalid = (message: string): Result<void, ServerError> =>
    err(serverError('M_INVALID_PARAM', message))
  if (ruleId === '') return invalid('The rule ID must not be empty')
  if (ruleId.startsWith('.')) {
    return invalid('Rule IDs starting with a dot are reserved for server-default rules')
  }
  if (ruleId.includes('/') || ruleId.includes('\\')) {
    return invalid('Rule IDs may not contain slashes or backslashes')
  }
  if (ruleId.length > MAX_RULE_ID_LENGTH) return invalid('The rule ID is too long')
  if (kind === 'room' && !parseRoomId(ruleId).ok) {
    return invalid('The ID of a room rule is the room ID it applies to')
  }
  if (kind === 'sender' && !parseUserId(ruleId).ok) {
    return invalid('The ID of a sender rule is the user ID it applies to')
  }
  return ok(undefined)
}

/** The body of a rule PUT, for its kind. */
export function parseRuleBody(
  kind: PushRuleKind,
  body: JsonObject,
): Result<RuleFields, ServerError> {
  const actions = parseActions(body['actions'])
  if (!actions.ok) return actions
  switch (kind) {
    case 'override':
    case 'underride': {
      const conditions = parseConditions(body['conditions'])
      return conditions.ok
        ? ok({ conditions: conditions.value, actions: actions.value })
        : conditions
    }
    case 'content': {
      const pattern = body['pattern']
      if (pattern === undefined) {
        return err(serverError('M_MISSING_PARAM', 'Content rules need a pattern'))
      }
      if (typeof pattern !== 'string') return err(badJson('pattern must be a string'))
      return ok({ pattern, actions: actions.value })
    }
    case 'room':
    case 'sender':
      return ok({ actions: actions.value })
  }
}

/** `actions`: required; historical actions are dropped, as servers must ignore them. */
export function parseActions(value: JsonValue | undefined): Result<PushAction[], ServerError> {
  if (value === undefined) return err(serverError('M_MISSING_PARAM', 'actions is required'))
  if (!Array.isArray(value)) return err(badJson('actions must be an array'))
  const list = value as readonly JsonValue[]
  if (list.length > MAX_ACTIONS) return err(badJson(`At most ${MAX_ACTIONS} actions`))
  for (const action of list) {
    if (typeof action === 'string') {
      if (!KNOWN_ACTIONS.includes(action)) {
        return err(serverError('M_INVALID_PARAM', `Unrecognised action: ${action}`))
      }
    } else if (!isJsonObject(action) || typeof action['set_tweak'] !== 'string') {
      return err(
        serverError('M_INVALID_PARAM', 'An action is a string or an object with set_tweak'),
      )
    }
  }
  return ok(withoutHistoricalActions(list as readonly PushAction[]))
}

function parseConditions(value: JsonValue | undefined): Result<JsonObject[], ServerError> {
  if (value === undefined) return ok([])
  if (!Array.isArray(value)) return err(badJson('conditions must be an array'))
  const list = value as readonly JsonValue[]
  if (list.length > MAX_CONDITIONS) return err(badJson(`At most ${MAX_CONDITIONS} conditions`))
  const out: JsonObject[] = []
  for (const condition of list) {
    if (!isJsonObject(condition) || typeof condition['kind'] !== 'string') {
      return err(badJson('Each condition is an object with a kind'))
    }
    const kind = condition['kind']
    if (KNOWN_CONDITIONS.includes(kind) && parsePushCondition(condition) === undefined) {
      return err(
        serverError(
          'M_INVALID_PARAM',
          `The ${kind} condition is missing a parameter or has one of the wrong type`,
        ),
      )
    }
    out.push(condition)
  }
  return ok(out)
}

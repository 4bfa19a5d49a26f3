/**
 * The read side of push rules (client-server-api §Push Rules: API), v3 and r0:
 *
 * - `GET /_matrix/client/v3/pushrules/`: `{ global: ruleset }`
 * - `GET /_matrix/client/v3/pushrules/global/`: the ruleset
 * - `GET /_matrix/client/v3/pushrules/global/{kind}/{ruleId}`: one rule
 * - `GET /_matrix/client/v3/pushrules/global/{kind}/{ruleId}/enabled`: `{ enabled }`
 * - `GET /_matrix/client/v3/pushrules/global/{kind}/{ruleId}/actions`: `{ actions }`
 *
 * Clients (matrix-js-sdk, Element) fetch these before their first sync. Users cannot change rules
 * yet, so every user has the predefined ones; the PUT and DELETE endpoints are not registered and
 * answer 405 M_UNRECOGNIZED like any unbuilt endpoint.
 */
import { err, ok, type Result } from '@rhizome/core'
import { clientV3Paths, defineEndpoint, handle, type Route } from '../../http/endpoint.js'
import { notFound, serverError, type ServerError } from '../../http/errors.js'
import type { Requester } from '../../http/authenticate.js'
import {
  defaultPushRules,
  findPushRule,
  isPushRuleKind,
  PUSH_RULE_KINDS,
  type PushRule,
  type PushRuleKind,
  type PushRuleset,
} from '../../push/default-push-rules.js'

function kindParam(raw: string): Result<PushRuleKind, ServerError> {
  return isPushRuleKind(raw)
    ? ok(raw)
    : err(
        serverError(
          'M_INVALID_PARAM',
          `Unknown push rule kind ${JSON.stringify(raw)}: expected one of ${PUSH_RULE_KINDS.join(', ')}`,
        ),
      )
}

function ruleIdParam(raw: string): Result<string, ServerError> {
  return ok(raw)
}

/** The requester's rules: the predefined ones until users can set their own. */
function rulesetOf(requester: Requester): PushRuleset {
  return defaultPushRules(requester.userId)
}

function lookUp(
  requester: Requester,
  kind: PushRuleKind,
  ruleId: string,
): Result<PushRule, ServerError> {
  const found = findPushRule(rulesetOf(requester), kind, ruleId)
  return found === undefined ? err(notFound('The push rule was not found.')) : ok(found)
}

const RULE_PARAMS = { kind: kindParam, ruleId: ruleIdParam }

export const getPushRules = defineEndpoint({
  method: 'GET',
  paths: clientV3Paths('/pushrules/'),
  auth: 'required',
})

export const getPushRulesRoute = handle(getPushRules, ({ requester }) =>
  Promise.resolve(ok({ global: rulesetOf(requester) })),
)

export const getGlobalPushRules = defineEndpoint({
  method: 'GET',
  paths: clientV3Paths('/pushrules/global/'),
  auth: 'required',
})

export const getGlobalPushRulesRoute = handle(getGlobalPushRules, ({ requester }) =>
  Promise.resolve(ok(rulesetOf(requester))),
)

export const getPushRule = defineEndpoint({
  method: 'GET',
  paths: clientV3Paths('/pushrules/global/:kind/:ruleId'),
  auth: 'required',
  params: RULE_PARAMS,
})

export const getPushRuleRoute = handle(getPushRule, ({ requester, params }) =>
  Promise.resolve(lookUp(requester, params.kind, params.ruleId)),
)

export const getPushRuleEnabled = defineEndpoint({
  method: 'GET',
  paths: clientV3Paths('/pushrules/global/:kind/:ruleId/enabled'),
  auth: 'required',
  params: RULE_PARAMS,
})

export const getPushRuleEnabledRoute = handle(getPushRuleEnabled, ({ requester, params }) => {
  const found = lookUp(requester, params.kind, params.ruleId)
  return Promise.resolve(found.ok ? ok({ enabled: found.value.enabled }) : found)
})

export const getPushRuleActions = defineEndpoint({
  method: 'GET',
  paths: clientV3Paths('/pushrules/global/:kind/:ruleId/actions'),
  auth: 'required',
  params: RULE_PARAMS,
})

export const getPushRuleActionsRoute = handle(getPushRuleActions, ({ requester, params }) => {
  const found = lookUp(requester, params.kind, params.ruleId)
  return Promise.resolve(found.ok ? ok({ actions: found.value.actions }) : found)
})

/** The push rule routes; they need no services. */
export const pushRulesRoutes: readonly Route<unknown>[] = [
  getPushRulesRoute,
  getGlobalPushRulesRoute,
  getPushRuleRoute,
  getPushRuleEnabledRoute,
  getPushRuleActionsRoute,
]

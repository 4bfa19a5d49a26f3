/**
 * Push rules (client-server-api §Push Rules: API), v3 and r0:
 *
 * - `GET /_matrix/client/v3/pushrules/`: `{ global: ruleset }`
 * - `GET /_matrix/client/v3/pushrules/global/`: the ruleset
 * - `GET`/`PUT`/`DELETE /_matrix/client/v3/pushrules/global/{kind}/{ruleId}`: one rule
 * - `GET`/`PUT /_matrix/client/v3/pushrules/global/{kind}/{ruleId}/enabled`: `{ enabled }`
 * - `GET`/`PUT /_matrix/client/v3/pushrules/global/{kind}/{ruleId}/actions`: `{ actions }`
 *
 * The rules are the user's `m.push_rules` account data (push/user-ruleset.ts): the server-default
 * rules with the user's changes, and the user's own rules. Server-default rules (IDs starting
 * with a dot) can be enabled, disabled and given other actions, never created or deleted.
 */
import {
  err,
  findPushRule,
  isPushRuleKind,
  ok,
  PUSH_RULE_KINDS,
  type JsonObject,
  type PushRule,
  type PushRuleKind,
  type Result,
} from '@rhizome/core'
import type { Requester } from '../../http/authenticate.js'
import { clientV3Paths, defineEndpoint, handle, type Route } from '../../http/endpoint.js'
import { badJson, notFound, serverError, type ServerError } from '../../http/errors.js'
import { checkNewRuleId, parseActions, parseRuleBody } from '../../push/push-rule-body.js'
import type { PushRulesService } from '../../push/push-rules-service.js'
import {
  deleteRule,
  putRule,
  RULE_NOT_FOUND,
  setRuleActions,
  setRuleEnabled,
  type Placement,
} from '../../push/ruleset-edits.js'

/** What the push rule endpoints use of the services. */
export interface PushRulesRouteServices {
  readonly pushRules: PushRulesService
}

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

const RULE_PARAMS = { kind: kindParam, ruleId: ruleIdParam }

async function lookUp(
  services: PushRulesRouteServices,
  requester: Requester,
  kind: PushRuleKind,
  ruleId: string,
): Promise<Result<PushRule, ServerError>> {
  const found = findPushRule(await services.pushRules.ruleset(requester.userId), kind, ruleId)
  return found === undefined ? err(notFound(RULE_NOT_FOUND)) : ok(found)
}

async function changed(
  result: Promise<Result<void, ServerError>>,
): Promise<Result<Record<string, never>, ServerError>> {
  const outcome = await result
  return outcome.ok ? ok({}) : outcome
}

export const getPushRules = defineEndpoint({
  method: 'GET',
  paths: clientV3Paths('/pushrules/'),
  auth: 'required',
})

export const getPushRulesRoute = handle(
  getPushRules,
  async ({ requester }, services: PushRulesRouteServices) =>
    ok({ global: await services.pushRules.ruleset(requester.userId) }),
)

export const getGlobalPushRules = defineEndpoint({
  method: 'GET',
  paths: clientV3Paths('/pushrules/global/'),
  auth: 'required',
})

export const getGlobalPushRulesRoute = handle(
  getGlobalPushRules,
  async ({ requester }, services: PushRulesRouteServices) =>
    ok(await services.pushRules.ruleset(requester.userId)),
)

export const getPushRule = defineEndpoint({
  method: 'GET',
  paths: clientV3Paths('/pushrules/global/:kind/:ruleId'),
  auth: 'required',
  params: RULE_PARAMS,
})

export const getPushRuleRoute = handle(
  getPushRule,
  ({ requester, params }, services: PushRulesRouteServices) =>
    lookUp(services, requester, params.kind, params.ruleId),
)

function placementQuery(query: URLSearchParams): Result<Placement, ServerError> {
  return ok({ before: query.get('before') ?? undefined, after: query.get('after') ?? undefined })
}

export const putPushRule = defineEndpoint({
  method: 'PUT',
  paths: clientV3Paths('/pushrules/global/:kind/:ruleId'),
  auth: 'required',
  rateLimit: 'push_settings',
  params: RULE_PARAMS,
  query: placementQuery,
  body: (json: JsonObject) => ok(json),
})

export const putPushRuleRoute = handle(
  putPushRule,
  async ({ requester, params, query, body }, services: PushRulesRouteServices) => {
    const { kind, ruleId } = params
    const id = checkNewRuleId(kind, ruleId)
    if (!id.ok) return id
    const fields = parseRuleBody(kind, body)
    if (!fields.ok) return fields
    return changed(
      services.pushRules.change(requester.userId, (ruleset) =>
        putRule(ruleset, kind, ruleId, fields.value, query),
      ),
    )
  },
)

export const deletePushRule = defineEndpoint({
  method: 'DELETE',
  paths: clientV3Paths('/pushrules/global/:kind/:ruleId'),
  auth: 'required',
  params: RULE_PARAMS,
})

export const deletePushRuleRoute = handle(
  deletePushRule,
  ({ requester, params }, services: PushRulesRouteServices) =>
    changed(
      services.pushRules.change(requester.userId, (ruleset) =>
        deleteRule(ruleset, params.kind, params.ruleId),
      ),
    ),
)

export const getPushRuleEnabled = defineEndpoint({
  method: 'GET',
  paths: clientV3Paths('/pushrules/global/:kind/:ruleId/enabled'),
  auth: 'required',
  params: RULE_PARAMS,
})

export const getPushRuleEnabledRoute = handle(
  getPushRuleEnabled,
  async ({ requester, params }, services: PushRulesRouteServices) => {
    const found = await lookUp(services, requester, params.kind, params.ruleId)
    return found.ok ? ok({ enabled: found.value.enabled }) : found
  },
)

function enabledBody(json: JsonObject): Result<boolean, ServerError> {
  const enabled = json['enabled']
  if (enabled === undefined) return err(serverError('M_MISSING_PARAM', 'enabled is required'))
  return typeof enabled === 'boolean' ? ok(enabled) : err(badJson('enabled must be a boolean'))
}

export const putPushRuleEnabled = defineEndpoint({
  method: 'PUT',
  paths: clientV3Paths('/pushrules/global/:kind/:ruleId/enabled'),
  auth: 'required',
  params: RULE_PARAMS,
  body: enabledBody,
})

export const putPushRuleEnabledRoute = handle(
  putPushRuleEnabled,
  ({ requester, params, body }, services: PushRulesRouteServices) =>
    changed(
      services.pushRules.change(requester.userId, (ruleset) =>
        setRuleEnabled(ruleset, params.kind, params.ruleId, body),
      ),
    ),
)

export const getPushRuleActions = defineEndpoint({
  method: 'GET',
  paths: clientV3Paths('/pushrules/global/:kind/:ruleId/actions'),
  auth: 'required',
  params: RULE_PARAMS,
})

export const getPushRuleActionsRoute = handle(
  getPushRuleActions,
  async ({ requester, params }, services: PushRulesRouteServices) => {
    const found = await lookUp(services, requester, params.kind, params.ruleId)
    return found.ok ? ok({ actions: found.value.actions }) : found
  },
)

export const putPushRuleActions = defineEndpoint({
  method: 'PUT',
  paths: clientV3Paths('/pushrules/global/:kind/:ruleId/actions'),
  auth: 'required',
  params: RULE_PARAMS,
  body: (json: JsonObject) => parseActions(json['actions']),
})

export const putPushRuleActionsRoute = handle(
  putPushRuleActions,
  ({ requester, params, body }, services: PushRulesRouteServices) =>
    changed(
      services.pushRules.change(requester.userId, (ruleset) =>
        setRuleActions(ruleset, params.kind, params.ruleId, body),
      ),
    ),
)

/** The push rule routes. */
export const pushRulesRoutes: readonly Route<PushRulesRouteServices>[] = [
  getPushRulesRoute,
  getGlobalPushRulesRoute,
  getPushRuleRoute,
  putPushRuleRoute,
  deletePushRuleRoute,
  getPushRuleEnabledRoute,
  putPushRuleEnabledRoute,
  getPushRuleActionsRoute,
  putPushRuleActionsRoute,
]

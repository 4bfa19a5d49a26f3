/**
 * `GET`/`PUT /_matrix/client/v3/presence/{userId}/status` (and r0): a user's presence
 * (client-server-api §Presence). With presence disabled in the configuration both answer
 * 403 M_FORBIDDEN: setting presence would otherwise seem to work and do nothing, and the GET's
 * 403 ("not allowed to see this user's presence") is the spec's answer for presence one may not
 * see. (MSC1862 proposed the same errcode for servers that turn presence off.)
 */
import { err, ok, type JsonObject, type JsonValue, type Result } from '@rhizome/core'
import { clientV3Paths, defineEndpoint, handle } from '../../http/endpoint.js'
import { badJson, forbidden, serverError, type ServerError } from '../../http/errors.js'
import type { PresenceService } from '../../presence/presence-service.js'
import { PRESENCE_STATES, type PresenceState } from '../../storage/presence-store.js'
import { userIdParam } from '../id-params.js'

/** What the presence endpoints use of the services: undefined when presence is disabled. */
export interface PresenceRouteServices {
  readonly presence: PresenceService | undefined
}

export interface PresenceBody {
  readonly presence: PresenceState
  readonly statusMsg: string | undefined
}

/** `{presence, status_msg?}`; a null status_msg is no message. */
export function parsePresenceBody(body: JsonObject): Result<PresenceBody, ServerError> {
  const presence: JsonValue | undefined = body['presence']
  if (presence === undefined) return err(serverError('M_MISSING_PARAM', 'presence is required'))
  const state = PRESENCE_STATES.find((s) => s === presence)
  if (state === undefined) {
    return err(badJson(`presence must be one of ${PRESENCE_STATES.join(', ')}`))
  }
  const statusMsg: JsonValue | undefined = body['status_msg']
  if (statusMsg !== undefined && statusMsg !== null && typeof statusMsg !== 'string') {
    return err(badJson('status_msg must be a string'))
  }
  return ok({ presence: state, statusMsg: statusMsg ?? undefined })
}

function disabled(): Result<never, ServerError> {
  return err(forbidden('Presence is disabled on this server'))
}

export const getPresenceEndpoint = defineEndpoint({
  method: 'GET',
  paths: clientV3Paths('/presence/:userId/status'),
  auth: 'required',
  params: { userId: userIdParam },
})

export const getPresenceRoute = handle(
  getPresenceEndpoint,
  ({ params, requester }, { presence }: PresenceRouteServices) =>
    presence === undefined
      ? Promise.resolve(disabled())
      : presence.getStatus(requester, params.userId),
)

export const putPresenceEndpoint = defineEndpoint({
  method: 'PUT',
  paths: clientV3Paths('/presence/:userId/status'),
  auth: 'required',
  rateLimit: 'presence',
  params: { userId: userIdParam },
  body: parsePresenceBody,
})

export const putPresenceRoute = handle(
  putPresenceEndpoint,
  async ({ params, body, requester }, { presence }: PresenceRouteServices) => {
    if (presence === undefined) return disabled()
    const set = await presence.setStatus(requester, params.userId, body.presence, body.statusMsg)
    return set.ok ? ok({}) : set
  },
)

export const presenceRoutes = [getPresenceRoute, putPresenceRoute]

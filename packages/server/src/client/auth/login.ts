/**
 * `GET /_matrix/client/v3/login`: the login types this server supports, and
 * `POST /_matrix/client/v3/login`: password login (client-server-api §Login).
 */
import { err, ok, type JsonObject, type Result } from '@rhizome/core'
import type { AccountService, LoginRequest } from '../../accounts/account-service.js'
import { parseLoginIdentifier } from '../../accounts/login-identifier.js'
import type { Config } from '../../config/config.js'
import { clientV3Paths, defineEndpoint, handle } from '../../http/endpoint.js'
import { serverError, type ServerError } from '../../http/errors.js'
import { optionalBoolean, parseDeviceOptions, requiredString } from '../account/request-fields.js'

export const getLoginFlows = defineEndpoint({
  method: 'GET',
  paths: clientV3Paths('/login'),
  auth: 'none',
})

/** Only passwords: no SSO, no login tokens, no application-service logins yet. */
export const getLoginFlowsRoute = handle(getLoginFlows, () =>
  Promise.resolve(ok({ flows: [{ type: 'm.login.password' }] })),
)

export const postLogin = defineEndpoint({
  method: 'POST',
  paths: clientV3Paths('/login'),
  auth: 'none',
  rateLimit: 'login',
  body: parseLoginBody,
})

export const postLoginRoute = handle(
  postLogin,
  async (
    { body, request },
    { accounts, config }: { readonly accounts: AccountService; readonly config: Config },
  ) => {
    const session = await accounts.login(body, { ip: request.ip })
    if (!session.ok) return session
    // No refresh_token and no expires_in_ms, even when the client offers refresh support: the
    // token does not expire (client-server-api §Refreshing access tokens leaves this to servers).
    return ok({
      user_id: session.value.userId,
      access_token: session.value.accessToken,
      device_id: session.value.deviceId,
      home_server: accounts.serverName,
      ...(config.publicBaseurl === undefined
        ? {}
        : { well_known: { 'm.homeserver': { base_url: config.publicBaseurl } } }),
    })
  },
)

export function parseLoginBody(body: JsonObject): Result<LoginRequest, ServerError> {
  const type = requiredString(body, 'type')
  if (!type.ok) return type
  if (type.value !== 'm.login.password') {
    return err(
      serverError('M_UNKNOWN', `Unsupported login type ${JSON.stringify(type.value)}`, {
        status: 400,
      }),
    )
  }
  const identifier = parseLoginIdentifier(body)
  if (!identifier.ok) return identifier
  const password = requiredString(body, 'password')
  if (!password.ok) return password
  const device = parseDeviceOptions(body)
  if (!device.ok) return device
  const refresh = optionalBoolean(body, 'refresh_token')
  if (!refresh.ok) return refresh
  return ok({ identifier: identifier.value, password: password.value, ...device.value })
}

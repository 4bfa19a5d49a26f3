/**
 * `POST /_matrix/client/v3/register`: creates an account, after user-interactive auth, and logs
 * it in (client-server-api §Account registration).
 */
import { err, ok, type JsonObject, type Result } from '@rhizome/core'
import type { AccountService, RegisterRequest } from '../../accounts/account-service.js'
import { parseAuthDict } from '../../accounts/uia/auth-dict.js'
import { clientV3Paths, defineEndpoint, handle } from '../../http/endpoint.js'
import { serverError, type ServerError } from '../../http/errors.js'
import { optionalBoolean, optionalString, parseDeviceOptions } from './request-fields.js'

type AccountKind = RegisterRequest['kind']

export const postRegister = defineEndpoint({
  method: 'POST',
  paths: clientV3Paths('/register'),
  auth: 'none',
  rateLimit: 'registration',
  query: parseRegisterQuery,
  body: (body) => ok(body),
  emptyBody: 'empty-object',
})

export const postRegisterRoute = handle(
  postRegister,
  async ({ query, body, request }, { accounts }: { readonly accounts: AccountService }) => {
    // The kind is checked before the body: a guest registration ignores every body member.
    const parsed = parseRegisterBody(query, body)
    if (!parsed.ok) return parsed
    const registered = await accounts.register(parsed.value, { ip: request.ip })
    if (!registered.ok) return registered
    const { userId, session } = registered.value
    return ok({
      user_id: userId,
      home_server: accounts.serverName,
      ...(session === undefined
        ? {}
        : { access_token: session.accessToken, device_id: session.deviceId }),
    })
  },
)

export function parseRegisterQuery(query: URLSearchParams): Result<AccountKind, ServerError> {
  const kind = query.get('kind') ?? 'user'
  if (kind === 'user' || kind === 'guest') return ok(kind)
  return err(serverError('M_INVALID_PARAM', `Unknown account kind ${JSON.stringify(kind)}`))
}

export function parseRegisterBody(
  kind: AccountKind,
  body: JsonObject,
): Result<RegisterRequest, ServerError> {
  if (kind === 'guest') {
    return ok({
      kind,
      username: undefined,
      password: undefined,
      inhibitLogin: false,
      auth: undefined,
    })
  }
  const username = optionalString(body, 'username')
  if (!username.ok) return username
  const password = optionalString(body, 'password')
  if (!password.ok) return password
  const device = parseDeviceOptions(body)
  if (!device.ok) return device
  const inhibitLogin = optionalBoolean(body, 'inhibit_login')
  if (!inhibitLogin.ok) return inhibitLogin
  const refresh = optionalBoolean(body, 'refresh_token')
  if (!refresh.ok) return refresh
  const auth = parseAuthDict(body)
  if (!auth.ok) return auth
  return ok({
    kind,
    username: username.value,
    password: password.value,
    inhibitLogin: inhibitLogin.value ?? false,
    auth: auth.value,
    ...device.value,
  })
}

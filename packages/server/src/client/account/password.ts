/**
 * `POST /_matrix/client/v3/account/password`: changes the password after m.login.password, and by
 * default logs out the user's other devices (client-server-api §Password management).
 *
 * The spec makes the access token optional, for password resets through an e-mail flow. This
 * server has no such flow, so without a token there is nothing to offer: M_MISSING_TOKEN.
 */
import { ok, type JsonObject, type Result } from '@rhizome/core'
import type { AccountService, ChangePasswordRequest } from '../../accounts/account-service.js'
import { parseAuthDict } from '../../accounts/uia/auth-dict.js'
import { clientV3Paths, defineEndpoint, handle } from '../../http/endpoint.js'
import type { ServerError } from '../../http/errors.js'
import { optionalBoolean, requiredString } from './request-fields.js'

export const postAccountPassword = defineEndpoint({
  method: 'POST',
  paths: clientV3Paths('/account/password'),
  auth: 'required',
  rateLimit: 'login',
  body: parseChangePasswordBody,
})

export const postAccountPasswordRoute = handle(
  postAccountPassword,
  async ({ requester, body }, { accounts }: { readonly accounts: AccountService }) => {
    const changed = await accounts.changePassword(requester, body)
    return changed.ok ? ok({}) : changed
  },
)

export function parseChangePasswordBody(
  body: JsonObject,
): Result<ChangePasswordRequest, ServerError> {
  const newPassword = requiredString(body, 'new_password')
  if (!newPassword.ok) return newPassword
  const logoutDevices = optionalBoolean(body, 'logout_devices')
  if (!logoutDevices.ok) return logoutDevices
  const auth = parseAuthDict(body)
  if (!auth.ok) return auth
  return ok({
    newPassword: newPassword.value,
    logoutDevices: logoutDevices.value ?? true,
    auth: auth.value,
  })
}

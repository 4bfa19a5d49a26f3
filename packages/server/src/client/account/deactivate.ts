/**
 * `POST /_matrix/client/v3/account/deactivate`: after m.login.password, the account is closed for
 * good: its password, devices and tokens are deleted, and it leaves every room it was in and
 * declines its pending invites (client-server-api §Account deactivation).
 *
 * As for password changes, the token is required: without one, this server has no flow to offer.
 */
import { ok, type JsonObject, type Result } from '@rhizome/core'
import type { AccountService, DeactivateRequest } from '../../accounts/account-service.js'
import { parseAuthDict } from '../../accounts/uia/auth-dict.js'
import { clientV3Paths, defineEndpoint, handle } from '../../http/endpoint.js'
import type { ServerError } from '../../http/errors.js'
import { optionalBoolean, optionalString } from './request-fields.js'

export const postAccountDeactivate = defineEndpoint({
  method: 'POST',
  paths: clientV3Paths('/account/deactivate'),
  auth: 'required',
  rateLimit: 'login',
  body: parseDeactivateBody,
  emptyBody: 'empty-object',
})

export const postAccountDeactivateRoute = handle(
  postAccountDeactivate,
  async ({ requester, body }, { accounts }: { readonly accounts: AccountService }) => {
    const done = await accounts.deactivate(requester, body)
    // No third-party identifiers are ever bound here, so there is nothing to unbind: the spec
    // says that is 'success'.
    return done.ok ? ok({ id_server_unbind_result: 'success' }) : done
  },
)

export function parseDeactivateBody(body: JsonObject): Result<DeactivateRequest, ServerError> {
  const idServer = optionalString(body, 'id_server')
  if (!idServer.ok) return idServer
  const erase = optionalBoolean(body, 'erase')
  if (!erase.ok) return erase
  const auth = parseAuthDict(body)
  if (!auth.ok) return auth
  return ok({ auth: auth.value, erase: erase.value ?? false })
}

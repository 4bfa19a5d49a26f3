/**
 * `POST /_matrix/client/v3/logout` and `POST /_matrix/client/v3/logout/all`: the token's device,
 * or all of the user's devices, and their tokens are deleted (client-server-api §Login).
 */
import { ok } from '@rhizome/core'
import type { AccountService } from '../../accounts/account-service.js'
import { clientV3Paths, defineEndpoint, handle } from '../../http/endpoint.js'

interface Needs {
  readonly accounts: AccountService
}

export const postLogout = defineEndpoint({
  method: 'POST',
  paths: clientV3Paths('/logout'),
  auth: 'required',
})

export const postLogoutRoute = handle(postLogout, async ({ requester }, { accounts }: Needs) => {
  await accounts.logout(requester)
  return ok({})
})

export const postLogoutAll = defineEndpoint({
  method: 'POST',
  paths: clientV3Paths('/logout/all'),
  auth: 'required',
})

export const postLogoutAllRoute = handle(
  postLogoutAll,
  async ({ requester }, { accounts }: Needs) => {
    await accounts.logoutAll(requester)
    return ok({})
  },
)

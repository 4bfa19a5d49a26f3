/**
 * `GET /_matrix/client/v3/register/available?username=`: whether a username is valid and free
 * (client-server-api §Account registration).
 */
import { err, ok } from '@rhizome/core'
import type { AccountService } from '../../accounts/account-service.js'
import { clientV3Paths, defineEndpoint, handle } from '../../http/endpoint.js'
import { serverError } from '../../http/errors.js'

export const getRegisterAvailable = defineEndpoint({
  method: 'GET',
  paths: clientV3Paths('/register/available'),
  auth: 'none',
  rateLimit: 'registration',
  query: (query) => {
    const username = query.get('username')
    return username === null
      ? err(serverError('M_MISSING_PARAM', 'username is required'))
      : ok(username)
  },
})

export const getRegisterAvailableRoute = handle(
  getRegisterAvailable,
  async ({ query }, { accounts }: { readonly accounts: AccountService }) => {
    const available = await accounts.usernameAvailable(query)
    return available.ok ? ok({ available: true }) : available
  },
)

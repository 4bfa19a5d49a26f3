/**
 * `GET /_matrix/client/v1/register/m.login.registration_token/validity?token=`: whether a
 * registration token can be used right now (client-server-api §Token-authenticated registration).
 */
import { err, ok } from '@rhizome/core'
import type { AccountService } from '../../accounts/account-service.js'
import { defineEndpoint, handle } from '../../http/endpoint.js'
import { serverError } from '../../http/errors.js'

export const getRegistrationTokenValidity = defineEndpoint({
  method: 'GET',
  paths: ['/_matrix/client/v1/register/m.login.registration_token/validity'],
  auth: 'none',
  // The spec asks for a rate limit here, against guessing tokens.
  rateLimit: 'registration',
  query: (query) => {
    const token = query.get('token')
    return token === null ? err(serverError('M_MISSING_PARAM', 'token is required')) : ok(token)
  },
})

export const getRegistrationTokenValidityRoute = handle(
  getRegistrationTokenValidity,
  async ({ query }, { accounts }: { readonly accounts: AccountService }) => {
    const valid = await accounts.registrationTokenValid(query)
    return valid.ok ? ok({ valid: valid.value }) : valid
  },
)

/**
 * `GET /.well-known/matrix/client`: where clients find this server's client API
 * (client-server-api §Server Discovery, GET /.well-known/matrix/client).
 */
import { err, ok } from '@rhizome/core'
import type { Config } from '../config/config.js'
import { notFound } from '../http/errors.js'
import { defineEndpoint, handle } from '../http/endpoint.js'

export const getWellKnownClient = defineEndpoint({
  method: 'GET',
  paths: ['/.well-known/matrix/client'],
  auth: 'none',
})

/** Without public_baseurl there is nothing to announce, which the spec answers with a 404. */
export const wellKnownClientRoute = handle(
  getWellKnownClient,
  (_input, { config }: { readonly config: Config }) =>
    Promise.resolve(
      config.publicBaseurl === undefined
        ? err(notFound('No client discovery information: public_baseurl is not configured'))
        : ok({ 'm.homeserver': { base_url: config.publicBaseurl } }),
    ),
)

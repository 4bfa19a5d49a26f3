/**
 * Server-server authentication for routes declared with `auth: 'federation'`: the HTTP layer
 * hands the request, as it arrived, to the authenticator the federation code provides
 * (federation/auth/authenticate-federation.ts) and passes the origin on to the route.
 */
import { err, type Result, type ServerName } from '@rhizome/core'
import type { FastifyRequest } from 'fastify'
import type { AuthenticateFederationRequest } from '../federation/auth/authenticate-federation.js'
import { serverError, type ServerError } from './errors.js'

/** Without an authenticator (federation not set up), no server is anyone. */
export const noServers: AuthenticateFederationRequest = () =>
  Promise.resolve(err(serverError('M_UNAUTHORIZED', 'This server does not accept federation')))

export function authenticateServerRequest(
  request: FastifyRequest,
  authenticate: AuthenticateFederationRequest,
): Promise<Result<ServerName, ServerError>> {
  return authenticate({
    method: request.method,
    // The target as the sender wrote and signed it, not a decoded or normalized form.
    uri: request.url,
    authorization: request.headers.authorization,
    body: request.body instanceof Uint8Array ? request.body : undefined,
  })
}

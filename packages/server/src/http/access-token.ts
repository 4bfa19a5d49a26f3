import { err, ok, type Result } from '@rhizome/core'
import { missingToken, type ServerError } from './errors.js'

/**
 * The access token of a request (client-server-api §Using access tokens): from the
 * `Authorization: Bearer` header, or from the deprecated `access_token` query parameter, which
 * servers must still accept. Undefined when the request carries neither; M_MISSING_TOKEN when
 * it carries a malformed header, or tokens both ways, since guessing which one was meant could
 * act for the wrong account.
 */
export function readAccessToken(
  authorization: string | undefined,
  query: URLSearchParams,
): Result<string | undefined, ServerError> {
  const fromQuery = query.getAll('access_token')
  if (fromQuery.length > 1) return err(missingToken('More than one access_token parameter'))
  const queryToken = fromQuery[0]
  if (authorization === undefined) return ok(queryToken === '' ? undefined : queryToken)
  if (queryToken !== undefined) {
    return err(missingToken('Mixing the Authorization header and the access_token parameter'))
  }
  const match = /^Bearer +(\S+) *$/i.exec(authorization)
  if (match === null)
    return err(missingToken('Invalid Authorization header: expected Bearer <token>'))
  return ok(match[1])
}

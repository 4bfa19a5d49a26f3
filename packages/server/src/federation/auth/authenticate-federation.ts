/**
 * Who sent a server-server request (server-server-api §Request Authentication): the X-Matrix
 * header names the origin and its key, and the signature must verify over the request as it
 * arrived.
 */
import {
  err,
  ok,
  type CryptoProvider,
  type JsonObject,
  type Result,
  type ServerName,
} from '@rhizome/core'
import { serverError, type ServerError } from '../../http/errors.js'
import { readJsonObjectBody } from '../../http/json-body.js'
import type { Logger } from '../../logging/logger.js'
import type { ServerKeyLookup } from '../keys/key-fetcher.js'
import { parseXMatrixHeader, verifyRequestSignature } from './x-matrix.js'

/** A request as the HTTP layer received it, before its body is parsed for the route. */
export interface InboundFederationRequest {
  readonly method: string
  /** The request target as sent, from `/_matrix/...` on, query included, undecoded. */
  readonly uri: string
  readonly authorization: string | undefined
  readonly body: Uint8Array | undefined
}

/** The origin server of an authenticated request; 401 M_UNAUTHORIZED when it is not one. */
export type AuthenticateFederationRequest = (
  request: InboundFederationRequest,
) => Promise<Result<ServerName, ServerError>>

export interface FederationAuthOptions {
  /** This server: a request addressed to another destination is refused. */
  readonly serverName: ServerName
  readonly keys: ServerKeyLookup
  readonly crypto: CryptoProvider
  readonly now: () => number
  /**
   * Told of every origin that authenticated, so that a server that was thought down can be
   * retried at once (its outgoing queue woken). Must not throw; anything it throws is logged.
   */
  readonly onAuthenticated?: (origin: ServerName) => void
  readonly logger?: Pick<Logger, 'debug' | 'warn'>
}

export function createFederationAuthenticator(
  options: FederationAuthOptions,
): AuthenticateFederationRequest {
  return async (request) => {
    if (request.authorization === undefined) {
      return err(unauthorized('Missing Authorization header'))
    }
    const credentials = parseXMatrixHeader(request.authorization)
    if (!credentials.ok) return err(unauthorized(credentials.error))
    const { origin, destination, key } = credentials.value
    if (destination !== undefined && destination !== options.serverName) {
      return err(unauthorized(`The request is addressed to ${destination}, not this server`))
    }
    // Signed over the parsed body: a request with a body that is not a JSON object has no
    // signature anyone could check, and is answered as the bad JSON it is.
    let content: JsonObject | undefined
    if (request.body !== undefined && request.body.length > 0) {
      const parsed = readJsonObjectBody(request.body, 'reject')
      if (!parsed.ok) return parsed
      content = parsed.value
    }
    // Request keys must be in current use: old keys only ever sign past events.
    const publicKey = await options.keys.verifyKey(origin, key, options.now())
    if (!publicKey.ok) {
      options.logger?.debug({ origin, key, problem: publicKey.error }, 'origin key not found')
      return err(unauthorized(`No usable key ${key} of ${origin}`))
    }
    const verified = verifyRequestSignature(
      credentials.value,
      {
        method: request.method,
        uri: request.uri,
        destination: options.serverName,
        ...(content === undefined ? {} : { content }),
      },
      publicKey.value,
      options.crypto,
    )
    if (!verified.ok) return err(unauthorized(`Invalid signature from ${origin}`))
    if (options.onAuthenticated !== undefined) {
      try {
        options.onAuthenticated(origin)
      } catch (error) {
        options.logger?.warn({ err: error, origin }, 'onAuthenticated hook failed')
      }
    }
    return ok(origin)
  }
}

function unauthorized(message: string): ServerError {
  return serverError('M_UNAUTHORIZED', message)
}

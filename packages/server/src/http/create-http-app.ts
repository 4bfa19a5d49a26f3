import { randomBytes } from 'node:crypto'
import { createServer as createHttpsServer } from 'node:https'
import {
  fastify,
  LogController,
  type FastifyHttpOptions,
  type FastifyInstance,
  type FastifyServerFactory,
} from 'fastify'
import type { Server } from 'node:http'
import type { AuthenticateFederationRequest } from '../federation/auth/authenticate-federation.js'
import type { Logger } from '../logging/logger.js'
import type { RateLimiter } from '../rate-limit/rate-limiter.js'
import type { Authenticate } from './authenticate.js'
import { CORS_HEADERS, registerCors } from './cors.js'
import type { Route } from './endpoint.js'
import { mapFrameworkError, registerErrorHandling } from './error-handler.js'
import { unrecognized } from './errors.js'
import { sendError } from './send-error.js'
import { registerRoutes } from './register-routes.js'
import { LazyChildLogger } from './lazy-child-logger.js'
import { registerRequestLog } from './request-log.js'
import { registerWebClient } from './web-client.js'

export interface TlsMaterial {
  readonly cert: Buffer
  readonly key: Buffer
}

export interface HttpAppOptions<S> {
  readonly logger: Logger
  readonly routes: readonly Route<S>[]
  readonly services: S
  readonly authenticate: Authenticate
  readonly rateLimiter: RateLimiter
  /** The largest request body in bytes; bigger ones get 413 M_TOO_LARGE. */
  readonly maxBodySize: number
  /** Take the client address from X-Forwarded-For (only behind a trusted reverse proxy). */
  readonly trustProxy?: boolean
  readonly tls?: TlsMaterial
  /** Authenticates requests to `federation` routes (federation/auth). */
  readonly authenticateServer?: AuthenticateFederationRequest
  /** The web app's built files, served at `/` (web-client.ts). */
  readonly webClientDir?: string
}

/** Path parameters hold percent-encoded IDs and state keys, far longer than Fastify's 100. */
const MAX_PARAM_LENGTH = 8192
/**
 * How long a client may take to send a whole request (Fastify's default is no limit, which lets
 * slow senders hold connections open forever). Node's own default; long-polls are unaffected,
 * since they wait after the request has arrived.
 */
const REQUEST_TIMEOUT_MS = 300_000

function noSchemas(): never {
  throw new Error('Rhizome routes carry no Fastify schemas')
}

/**
 * One HTTP(S) server's application: the routes it serves, plus what every response shares (CORS,
 * Matrix errors for anything unserved or failing, a body limit, request logs without secrets).
 * Bodies are read as raw bytes whatever their Content-Type; each endpoint decides how to parse
 * its own (JSON through core's parseJson), so a wrong or missing Content-Type is no error.
 */
export function createHttpApp<S>(options: HttpAppOptions<S>): FastifyInstance {
  const prefix = randomBytes(3).toString('hex')
  let counter = 0
  const tls = options.tls
  const settings: FastifyHttpOptions<Server> = {
    loggerInstance: options.logger,
    logController: new LogController({
      disableRequestLogging: true,
      requestIdLogLabel: 'request_id',
    }),
    genReqId: () => `${prefix}-${(++counter).toString(36)}`,
    childLoggerFactory: (logger, bindings, childOptions) =>
      new LazyChildLogger(logger, bindings, childOptions),
    bodyLimit: options.maxBodySize,
    requestTimeout: REQUEST_TIMEOUT_MS,
    trustProxy: options.trustProxy ?? false,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // Endpoints validate their own input (with Matrix errors) and serialize their own output, so
    // no route has a Fastify schema. Without these, Fastify loads Ajv and fast-json-stringify
    // anyway: some 8 MB of an idle server's memory.
    schemaController: {
      compilersFactory: { buildValidator: noSchemas, buildSerializer: noSchemas },
    },
    return503OnClosing: true,
    // A URL that cannot be decoded is refused before routing, so before the hooks that add the
    // CORS headers: this answer adds them itself.
    frameworkErrors: (error, _request, reply) => {
      void sendError(reply.headers(CORS_HEADERS), mapFrameworkError(error) ?? unrecognized(404))
    },
  }
  if (tls !== undefined) {
    // Fastify's own https option would change the instance's type; the server it serves through
    // is the only difference that matters.
    const serverFactory: FastifyServerFactory = (handler) =>
      createHttpsServer({ cert: tls.cert, key: tls.key }, handler)
    settings.serverFactory = serverFactory
  }
  const app = fastify(settings)
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => {
    done(null, body)
  })
  registerErrorHandling(app)
  registerCors(app)
  registerRequestLog(app)
  registerRoutes(app, options.routes, {
    services: options.services,
    authenticate: options.authenticate,
    rateLimiter: options.rateLimiter,
    ...(options.authenticateServer === undefined
      ? {}
      : { authenticateServer: options.authenticateServer }),
  })
  const webClientDir = options.webClientDir
  if (webClientDir !== undefined) {
    void app.register(async (scope) => {
      await registerWebClient(scope, webClientDir)
    })
  }
  return app
}

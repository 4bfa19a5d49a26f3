import { Readable } from 'node:stream'
import type { ServerName } from '@rhizome/core'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { AuthenticateFederationRequest } from '../federation/auth/authenticate-federation.js'
import type { RateLimiter } from '../rate-limit/rate-limiter.js'
import { readAccessToken } from './access-token.js'
import type { Authenticate, Requester } from './authenticate.js'
import type { HttpMethod, RequestContext, Route } from './endpoint.js'
import { limitExceeded, missingToken, unrecognized } from './errors.js'
import { RawResponse, type StreamedBody } from './raw-response.js'
import { sendError } from './send-error.js'
import { authenticateServerRequest, noServers } from './server-auth.js'

export interface RouteDeps<S> {
  readonly services: S
  readonly authenticate: Authenticate
  readonly rateLimiter: RateLimiter
  /** For `federation` routes; without it they answer 401 M_UNAUTHORIZED. */
  readonly authenticateServer?: AuthenticateFederationRequest
}

/** Methods that some endpoint may use; any of them on a served path with no handler gets 405. */
const METHODS: readonly (HttpMethod | 'PATCH')[] = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH']

/**
 * Registers each route under each of its paths, then a 405 M_UNRECOGNIZED answer for the methods
 * that a served path does not take (with the Allow header RFC 9110 asks of a 405).
 */
export function registerRoutes<S>(
  app: FastifyInstance,
  routes: readonly Route<S>[],
  deps: RouteDeps<S>,
): void {
  const methodsByPath = new Map<string, Set<string>>()
  const streaming: ((on: FastifyInstance) => void)[] = []
  for (const route of routes) {
    for (const path of route.paths) {
      const methods = methodsByPath.get(path) ?? new Set<string>()
      if (methods.has(route.method)) throw new Error(`two routes for ${route.method} ${path}`)
      methods.add(route.method)
      methodsByPath.set(path, methods)
      const register = (on: FastifyInstance): void => {
        on.route({
          method: route.method,
          url: path,
          handler: (request, reply) => serve(route, request, reply, deps),
        })
      }
      if (route.streamBody === true) streaming.push(register)
      else register(app)
    }
  }
  if (streaming.length > 0) {
    // Routes that stream their body get it unread: their own context replaces the buffering
    // parser with one that hands the request stream on, so no size limit applies before the
    // route's own.
    void app.register((child, _options, done) => {
      child.removeAllContentTypeParsers()
      child.addContentTypeParser('*', (_request, payload, parsed) => {
        parsed(null, payload)
      })
      for (const register of streaming) register(child)
      done()
    })
  }
  for (const [path, served] of methodsByPath) {
    const allow = [...served, ...(served.has('GET') ? ['HEAD'] : []), 'OPTIONS'].join(', ')
    const others: string[] = METHODS.filter((m) => !served.has(m))
    // Fastify answers HEAD itself on paths that have a GET.
    if (!served.has('GET')) others.push('HEAD')
    app.route({
      method: others,
      url: path,
      handler: async (_request, reply) =>
        sendError(reply.header('allow', allow), unrecognized(405)),
    })
  }
}

async function serve<S>(
  route: Route<S>,
  request: FastifyRequest,
  reply: FastifyReply,
  deps: RouteDeps<S>,
): Promise<FastifyReply> {
  if (route.headers !== undefined) reply.headers(route.headers)
  const query = new URLSearchParams(queryString(request.url))
  let requester: Requester | undefined
  let origin: ServerName | undefined
  if (route.auth === 'federation') {
    const found = await authenticateServerRequest(request, deps.authenticateServer ?? noServers)
    if (!found.ok) return sendError(reply, found.error)
    origin = found.value
  } else if (route.auth !== 'none') {
    const token = readAccessToken(request.headers.authorization, query)
    if (!token.ok) return sendError(reply, token.error)
    if (token.value !== undefined) {
      const found = await deps.authenticate(token.value, { ip: request.ip })
      if (!found.ok) return sendError(reply, found.error)
      requester = found.value
    } else if (route.auth === 'required') {
      return sendError(reply, missingToken())
    }
  }
  if (route.rateLimit !== undefined) {
    const key =
      requester?.userId ?? (origin === undefined ? `ip:${request.ip}` : `server:${origin}`)
    const decision = await deps.rateLimiter.take(route.rateLimit, key)
    if (!decision.allowed) return sendError(reply, limitExceeded(decision.retryAfterMs))
  }
  const context = requestContext(request, reply)
  const result = await route.run(
    {
      params: stringParams(request.params),
      query,
      body: request.body instanceof Uint8Array ? request.body : undefined,
      ...(route.streamBody === true ? { streamed: streamedBody(request) } : {}),
      requester,
      ...(origin === undefined ? {} : { origin }),
      context,
    },
    deps.services,
  )
  if (!result.ok) return sendError(reply, result.error)
  const value = result.value
  if (value instanceof RawResponse)
    return reply.code(value.status).headers(value.headers).send(value.body)
  return reply.code(200).send(value)
}

/** The body of a streaming route; a request without one (no parser ran) streams nothing. */
function streamedBody(request: FastifyRequest): StreamedBody {
  const length = request.headers['content-length']
  const contentLength = length !== undefined && /^[0-9]+$/.test(length) ? Number(length) : undefined
  return {
    stream: request.body instanceof Readable ? request.body : Readable.from([]),
    contentType: request.headers['content-type'],
    contentLength,
  }
}

/** The request as routes see it; the abort signal is made only for routes that ask for it. */
function requestContext(request: FastifyRequest, reply: FastifyReply): RequestContext {
  let controller: AbortController | undefined
  return {
    id: request.id,
    ip: request.ip,
    log: request.log,
    get signal(): AbortSignal {
      if (controller === undefined) {
        const made = new AbortController()
        controller = made
        const response = reply.raw
        // 'close' also follows a response that was sent in full; only an early one aborts.
        response.once('close', () => {
          if (!response.writableFinished) made.abort()
        })
        if (response.destroyed && !response.writableFinished) made.abort()
      }
      return controller.signal
    },
  }
}

/** Fastify's decoded path parameters, which are all strings. */
function stringParams(params: unknown): Readonly<Record<string, string>> {
  const out: Record<string, string> = {}
  if (typeof params === 'object' && params !== null) {
    for (const [name, value] of Object.entries(params)) {
      if (typeof value === 'string') out[name] = value
    }
  }
  return out
}

function queryString(url: string): string {
  const q = url.indexOf('?')
  return q < 0 ? '' : url.slice(q + 1)
}

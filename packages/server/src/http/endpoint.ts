import { err, ok, type JsonObject, type Result, type ServerName } from '@rhizome/core'
import type { FastifyBaseLogger } from 'fastify'
import type { RateLimitedAction } from '../config/config.js'
import type { Requester } from './authenticate.js'
import { serverError, type ServerError } from './errors.js'
import { readJsonObjectBody, type EmptyBodyPolicy } from './json-body.js'
import type { StreamedBody } from './raw-response.js'

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE'
/**
 * none: the token is ignored; optional: used when present; required: M_MISSING_TOKEN without;
 * federation: a server-server request, signed with X-Matrix (http/server-auth.ts).
 */
export type AuthMode = 'none' | 'optional' | 'required' | 'federation'

/** Turns one raw path parameter into a typed value, or a Matrix error (core's parseRoomId etc.). */
export type ParamParser<T> = (raw: string) => Result<T, ServerError>
export type ParamParsers = Readonly<Record<string, ParamParser<unknown>>>
export type ParsedParams<P extends ParamParsers> = {
  readonly [K in keyof P]: P[K] extends ParamParser<infer T> ? T : never
}
export type RequesterFor<A extends AuthMode> = A extends 'required'
  ? Requester
  : A extends 'optional'
    ? Requester | undefined
    : undefined
export type OriginFor<A extends AuthMode> = A extends 'federation' ? ServerName : undefined

/** No path parameters: no key holds a parser. */
type NoParams = Readonly<Record<string, never>>

/**
 * What an endpoint is, as data: its method and paths (Fastify syntax, `:name` for a parameter),
 * whether it needs an access token, which rate limit applies, and how to parse its parameters,
 * query and JSON body into typed values. The handler sees only the typed values.
 */
export interface EndpointDefinition<
  P extends ParamParsers = NoParams,
  Q = undefined,
  B = undefined,
  A extends AuthMode = AuthMode,
> {
  readonly method: HttpMethod
  readonly paths: readonly string[]
  readonly auth: A
  /** Counted per user when authenticated, otherwise per client address. */
  readonly rateLimit?: RateLimitedAction
  readonly params?: P
  readonly query?: (query: URLSearchParams) => Result<Q, ServerError>
  /** Parses the body, which must be a JSON object (M_NOT_JSON / M_BAD_JSON otherwise). */
  readonly body?: (json: JsonObject) => Result<B, ServerError>
  /** Without it, an empty body where one is parsed is M_NOT_JSON. */
  readonly emptyBody?: EmptyBodyPolicy
}

export interface RequestContext {
  /** The request ID that the log lines of this request carry. */
  readonly id: string
  /** The client address (from X-Forwarded-For only on listeners configured to trust it). */
  readonly ip: string
  readonly log: FastifyBaseLogger
  /**
   * Aborted when the client goes away before its answer is sent, so that work done only for
   * that answer (a long-poll) can stop.
   */
  readonly signal: AbortSignal
}

export interface EndpointInput<P extends ParamParsers, Q, B, A extends AuthMode> {
  readonly params: ParsedParams<P>
  readonly query: Q
  readonly body: B
  readonly requester: RequesterFor<A>
  /** The server that sent a federation request. */
  readonly origin: OriginFor<A>
  readonly request: RequestContext
}

/** A request as the HTTP layer hands it to a route, authenticated but not yet parsed. */
export interface RawRequest {
  readonly params: Readonly<Record<string, string | undefined>>
  readonly query: URLSearchParams
  readonly body: Uint8Array | undefined
  /** The unread body, for routes that take it as a stream (`streamBody`); `body` is then unset. */
  readonly streamed?: StreamedBody
  readonly requester: Requester | undefined
  /** The authenticated origin server, on `federation` routes. */
  readonly origin?: ServerName
  readonly context: RequestContext
}

/** An endpoint bound to its handler, ready to be registered. `S` is what the handler needs. */
export interface Route<S> {
  readonly method: HttpMethod
  readonly paths: readonly string[]
  readonly auth: AuthMode
  readonly rateLimit: RateLimitedAction | undefined
  /** Take the body as an unread stream, whatever its size, rather than as buffered bytes. */
  readonly streamBody?: boolean
  /** Headers for every response of this route, errors included. */
  readonly headers?: Readonly<Record<string, string>>
  readonly run: (request: RawRequest, services: S) => Promise<Result<object, ServerError>>
}

/**
 * Checks the definition (a mistake here is a bug, so it throws at startup) and returns it with
 * its types inferred from the parsers.
 */
export function defineEndpoint<
  A extends AuthMode,
  P extends ParamParsers = NoParams,
  Q = undefined,
  B = undefined,
>(definition: EndpointDefinition<P, Q, B, A>): EndpointDefinition<P, Q, B, A> {
  const declared = Object.keys(definition.params ?? {})
  if (definition.paths.length === 0) throw new Error('an endpoint needs at least one path')
  for (const path of definition.paths) {
    if (!path.startsWith('/')) throw new Error(`endpoint path must start with '/': ${path}`)
    const inPath = [...path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1])
    for (const name of inPath) {
      if (name !== undefined && !declared.includes(name)) {
        throw new Error(`${definition.method} ${path}: no parser for path parameter ${name}`)
      }
    }
    for (const name of declared) {
      if (!inPath.includes(name))
        throw new Error(`${definition.method} ${path}: no :${name} in path`)
    }
  }
  return definition
}

/** Binds a handler to an endpoint: the request is parsed before the handler runs. */
export function handle<S, P extends ParamParsers, Q, B, A extends AuthMode, R extends object>(
  endpoint: EndpointDefinition<P, Q, B, A>,
  handler: (input: EndpointInput<P, Q, B, A>, services: S) => Promise<Result<R, ServerError>>,
): Route<S> {
  return {
    method: endpoint.method,
    paths: endpoint.paths,
    auth: endpoint.auth,
    rateLimit: endpoint.rateLimit,
    run: async (request, services) => {
      const params = parseParams(endpoint.params, request.params)
      if (!params.ok) return params
      // Without a query or body parser, Q and B are `undefined` (the defaults), which TypeScript
      // cannot connect to the parser being absent: these two casts are that connection.
      const query = endpoint.query ? endpoint.query(request.query) : ok(undefined as Q)
      if (!query.ok) return query
      let body: Result<B, ServerError> = ok(undefined as B)
      if (endpoint.body) {
        const json = readJsonObjectBody(request.body, endpoint.emptyBody ?? 'reject')
        body = json.ok ? endpoint.body(json.value) : json
      }
      if (!body.ok) return body
      return handler(
        {
          params: params.value,
          query: query.value,
          body: body.value,
          // The HTTP layer answers M_MISSING_TOKEN before a 'required' route runs without one.
          requester: request.requester as RequesterFor<A>,
          // Likewise, the HTTP layer sets the origin on every 'federation' route.
          origin: request.origin as OriginFor<A>,
          request: request.context,
        },
        services,
      )
    },
  }
}

function parseParams<P extends ParamParsers>(
  parsers: P | undefined,
  raw: Readonly<Record<string, string | undefined>>,
): Result<ParsedParams<P>, ServerError> {
  const parsed: Record<string, unknown> = {}
  if (parsers !== undefined) {
    for (const [name, parse] of Object.entries(parsers)) {
      const value = raw[name]
      if (value === undefined) return err(serverError('M_MISSING_PARAM', `Missing ${name}`))
      const result = parse(value)
      if (!result.ok) return result
      parsed[name] = result.value
    }
  }
  // Every declared parser ran and stored its value under its own name.
  return ok(parsed as ParsedParams<P>)
}

/** The paths of a client-server endpoint: v3 and the r0 alias that older clients still use. */
export function clientV3Paths(suffix: string): readonly string[] {
  return [`/_matrix/client/v3${suffix}`, `/_matrix/client/r0${suffix}`]
}

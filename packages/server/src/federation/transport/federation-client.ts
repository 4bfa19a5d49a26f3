/**
 * Outbound server-server requests: discovery, the address policy, TLS, the X-Matrix signature,
 * JSON both ways, a deadline and a cap on what is read back.
 */
import { isIP } from 'node:net'
import {
  err,
  ok,
  parseJson,
  parseServerName,
  type JsonObject,
  type JsonValue,
  type Result,
  type ServerName,
} from '@rhizome/core'
import type { Dispatcher } from 'undici'
import { LazyAgent, type RequestDispatcher } from './lazy-agent.js'
import type { FederationConfig } from '../../config/config.js'
import type { Logger } from '../../logging/logger.js'
import type { RequestSigner } from '../auth/x-matrix.js'
import { isAllowedAddress, policyLookup, RefusedAddressError } from './address-policy.js'
import { systemDnsResolver, type DnsResolver } from './dns-resolver.js'
import { declaredLength, readLimited } from './read-body.js'
import { ServerDiscovery, type ConnectTarget, type ResolvedServer } from './server-discovery.js'
import { loadTlsTrust } from './tls-trust.js'
import type { WellKnownFetcher } from './well-known.js'
import { createWellKnownFetcher } from './well-known-fetcher.js'

export interface FederationResponse {
  readonly status: number
  readonly body: JsonValue
}

export type FederationFailure =
  /** DNS, connect, TLS, timeout: nothing usable came back. */
  | { readonly kind: 'unreachable'; readonly message: string }
  /** Not attempted: the address is not allowed, or the request itself is malformed. */
  | { readonly kind: 'refused'; readonly message: string }
  /**
   * The server answered, but not with a 2xx JSON body: an error status (with its JSON body, or
   * null if it had none), or a 2xx whose body is not JSON or is larger than the cap.
   */
  | {
      readonly kind: 'http'
      readonly status: number
      readonly body: JsonValue
      readonly message: string
    }

export interface FederationRequestOptions {
  readonly timeoutMs?: number
  readonly signal?: AbortSignal
  readonly query?: Readonly<Record<string, string | readonly string[]>>
}

export interface FederationRequester {
  /**
   * A request signed with X-Matrix; resolves ok for 2xx with the parsed JSON body. `path` starts
   * with `/_matrix/` and has its segments already percent-encoded; PUT and POST send `{}` when no
   * body is given, since the spec requires a JSON object.
   */
  request(
    destination: ServerName,
    method: 'GET' | 'PUT' | 'POST' | 'DELETE',
    path: string,
    body?: JsonObject,
    options?: FederationRequestOptions,
  ): Promise<Result<FederationResponse, FederationFailure>>
  /** An unsigned GET (the key server, /.well-known is internal to discovery). */
  get(
    destination: ServerName,
    path: string,
    options?: FederationRequestOptions,
  ): Promise<Result<FederationResponse, FederationFailure>>
}

/** A 2xx response taken as bytes, whatever its type (media downloads are multipart). */
export interface FederationBytes {
  readonly status: number
  readonly contentType: string | undefined
  readonly body: Uint8Array
}

export interface FederationBytesRequester {
  /** A signed GET whose 2xx body is read as bytes, up to `maxBytes`. */
  requestBytes(
    destination: ServerName,
    path: string,
    options: FederationRequestOptions & { readonly maxBytes: number },
  ): Promise<Result<FederationBytes, FederationFailure>>
}

/** A FederationRequester that owns connections, to be closed at shutdown. */
export interface FederationClient extends FederationRequester, FederationBytesRequester {
  close(): Promise<void>
}

export const DEFAULT_FEDERATION_TIMEOUT_MS = 30_000
/** Large rooms' state (`/state`, `/send_join`) runs to tens of megabytes; this leaves room. */
export const DEFAULT_MAX_RESPONSE_BYTES = 100 * 1024 * 1024
/** An error body is a short JSON object; more than this is dropped (body null). */
export const MAX_ERROR_BODY_BYTES = 64 * 1024
const CONNECT_TIMEOUT_MS = 10_000
/** A path as it goes on the request line: printable ASCII without spaces, from `/` on. */
const REQUEST_PATH = /^\/[\x21-\x7e]*$/
const USER_AGENT = 'Rhizome (Matrix homeserver)'

/** Errors where nothing was sent, so the next address of the same server may be tried. */
const CONNECTION_ERRORS = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
])

export interface FederationClientDependencies {
  /** Our own name: requests to it are refused. */
  readonly serverName: ServerName
  readonly signer: RequestSigner
  readonly discovery: ServerDiscovery
  /** Connects with the TLS settings and the address policy's lookup. */
  readonly dispatcher: RequestDispatcher
  readonly allowPrivateAddresses: boolean
  readonly logger: Logger
  readonly timeoutMs?: number
  readonly maxResponseBytes?: number
}

export class UndiciFederationClient implements FederationClient {
  readonly #deps: FederationClientDependencies
  readonly #timeoutMs: number
  readonly #maxResponseBytes: number

  constructor(deps: FederationClientDependencies) {
    this.#deps = deps
    this.#timeoutMs = deps.timeoutMs ?? DEFAULT_FEDERATION_TIMEOUT_MS
    this.#maxResponseBytes = deps.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES
  }

  request(
    destination: ServerName,
    method: 'GET' | 'PUT' | 'POST' | 'DELETE',
    path: string,
    body?: JsonObject,
    options?: FederationRequestOptions,
  ): Promise<Result<FederationResponse, FederationFailure>> {
    const content = body ?? (method === 'PUT' || method === 'POST' ? {} : undefined)
    return this.#send(destination, method, path, content, true, options, (response, deadline) =>
      this.#readResponse(response, deadline),
    )
  }

  requestBytes(
    destination: ServerName,
    path: string,
    options: FederationRequestOptions & { readonly maxBytes: number },
  ): Promise<Result<FederationBytes, FederationFailure>> {
    return this.#send(destination, 'GET', path, undefined, true, options, (response, deadline) =>
      this.#readBytes(response, deadline, options.maxBytes),
    )
  }

  get(
    destination: ServerName,
    path: string,
    options?: FederationRequestOptions,
  ): Promise<Result<FederationResponse, FederationFailure>> {
    return this.#send(destination, 'GET', path, undefined, false, options, (response, deadline) =>
      this.#readResponse(response, deadline),
    )
  }

  close(): Promise<void> {
    return this.#deps.dispatcher.close()
  }

  async #send<T>(
    destination: ServerName,
    method: 'GET' | 'PUT' | 'POST' | 'DELETE',
    path: string,
    content: JsonObject | undefined,
    signed: boolean,
    options: FederationRequestOptions | undefined,
    read: ResponseReader<T>,
  ): Promise<Result<T, FederationFailure>> {
    if (!REQUEST_PATH.test(path)) {
      return err({
        kind: 'refused',
        message: `the path must start with '/' and be percent-encoded: ${JSON.stringify(path)}`,
      })
    }
    const validName = parseServerName(destination)
    if (!validName.ok) return err({ kind: 'refused', message: validName.error.error })
    // A request to ourselves can only come from a mistake upstream, and would loop back in.
    if (destination === this.#deps.serverName) {
      return err({
        kind: 'refused',
        message: 'a server does not send federation requests to itself',
      })
    }
    const deadline = new Deadline(options?.timeoutMs ?? this.#timeoutMs, options?.signal)
    try {
      const result = await this.#attempt(
        destination,
        method,
        path,
        content,
        signed,
        options,
        deadline,
        read,
      )
      if (!result.ok) {
        const { kind, message } = result.error
        this.#deps.logger.debug(
          { destination, method, path, failure: { kind, message } },
          'federation request failed',
        )
      }
      return result
    } finally {
      deadline.dispose()
    }
  }

  async #attempt<T>(
    destination: ServerName,
    method: 'GET' | 'PUT' | 'POST' | 'DELETE',
    path: string,
    content: JsonObject | undefined,
    signed: boolean,
    options: FederationRequestOptions | undefined,
    deadline: Deadline,
    read: ResponseReader<T>,
  ): Promise<Result<T, FederationFailure>> {
    const uri = path + queryString(options?.query)
    const resolved = await deadline.race(this.#deps.discovery.resolve(destination))
    if (resolved === undefined) return err(deadline.failure())
    if (!resolved.ok) {
      return err({
        kind: 'unreachable',
        message: `cannot resolve ${destination}: ${resolved.error}`,
      })
    }
    const targets = resolved.value.targets.filter((t) =>
      isAllowedAddress(t.address, this.#deps.allowPrivateAddresses),
    )
    if (targets.length === 0) {
      return err({
        kind: 'refused',
        message: `${destination} resolves only to addresses federation may not connect to`,
      })
    }
    const headers = this.#headers(destination, method, uri, content, signed, resolved.value)
    const text = content === undefined ? undefined : JSON.stringify(content)
    let last: FederationFailure = { kind: 'unreachable', message: 'no address to try' }
    for (const [i, target] of targets.entries()) {
      let response: Dispatcher.ResponseData
      try {
        response = await this.#deps.dispatcher.request({
          origin: originOf(target),
          path: uri,
          method,
          headers,
          body: text ?? null,
          signal: deadline.signal,
          headersTimeout: deadline.timeoutMs,
          bodyTimeout: deadline.timeoutMs,
        })
      } catch (e) {
        if (deadline.signal.aborted) return err(deadline.failure())
        last = connectionFailure(e, target)
        if (i < targets.length - 1 && isConnectionError(e)) continue
        return err(last)
      }
      return read(response, deadline)
    }
    return err(last)
  }

  #headers(
    destination: ServerName,
    method: string,
    uri: string,
    content: JsonObject | undefined,
    signed: boolean,
    resolved: ResolvedServer,
  ): Record<string, string> {
    // undici takes the SNI from the Host header's hostname (none for an IP literal), which is
    // what the spec asks for in every discovery outcome.
    const headers: Record<string, string> = {
      host: resolved.host,
      accept: 'application/json',
      'user-agent': USER_AGENT,
    }
    if (content !== undefined) headers['content-type'] = 'application/json'
    if (signed) {
      headers['authorization'] = this.#deps.signer({
        method,
        uri,
        destination,
        ...(content === undefined ? {} : { content }),
      })
    }
    return headers
  }

  async #readBytes(
    response: Dispatcher.ResponseData,
    deadline: Deadline,
    maxBytes: number,
  ): Promise<Result<FederationBytes, FederationFailure>> {
    const status = response.statusCode
    if (status < 200 || status >= 300) {
      // An error status always reads as a failure; the branch only satisfies the types.
      const failed = await this.#readResponse(response, deadline)
      return failed.ok
        ? err({ kind: 'http', status, body: null, message: `status ${status}` })
        : failed
    }
    const raw = await readLimited(response.body, declaredLength(response.headers), maxBytes)
    if (!raw.ok) {
      if (deadline.signal.aborted) return err(deadline.failure())
      return err(
        raw.error.kind === 'failed'
          ? { kind: 'unreachable', message: `reading the response: ${raw.error.message}` }
          : { kind: 'http', status, body: null, message: `response larger than ${maxBytes} bytes` },
      )
    }
    const type = response.headers['content-type']
    return ok({ status, contentType: typeof type === 'string' ? type : undefined, body: raw.value })
  }

  async #readResponse(
    response: Dispatcher.ResponseData,
    deadline: Deadline,
  ): Promise<Result<FederationResponse, FederationFailure>> {
    const status = response.statusCode
    const success = status >= 200 && status < 300
    const limit = success ? this.#maxResponseBytes : MAX_ERROR_BODY_BYTES
    const raw = await readLimited(response.body, declaredLength(response.headers), limit)
    if (!raw.ok) {
      if (deadline.signal.aborted) return err(deadline.failure())
      if (raw.error.kind === 'failed') {
        return err({ kind: 'unreachable', message: `reading the response: ${raw.error.message}` })
      }
      if (success) {
        return err({
          kind: 'http',
          status,
          body: null,
          message: `response larger than ${limit} bytes`,
        })
      }
      return err({ kind: 'http', status, body: null, message: `status ${status}` })
    }
    const body = decodeJson(raw.value)
    if (success) {
      if (body === undefined) {
        return err({ kind: 'http', status, body: null, message: 'response is not JSON' })
      }
      return ok({ status, body })
    }
    return err({ kind: 'http', status, body: body ?? null, message: errorMessage(status, body) })
  }
}

/** Reads a response into what the caller asked for: JSON, or bytes. */
type ResponseReader<T> = (
  response: Dispatcher.ResponseData,
  deadline: Deadline,
) => Promise<Result<T, FederationFailure>>

export interface CreateFederationClientOptions {
  readonly serverName: ServerName
  readonly signer: RequestSigner
  readonly federation: FederationConfig
  readonly logger: Logger
  /** DNS for discovery and for connecting; the system's by default. */
  readonly resolver?: DnsResolver
  readonly now?: () => number
  /** The deadline of a request when its options give none. */
  readonly timeoutMs?: number
  readonly maxResponseBytes?: number
  /** Replaces the HTTPS fetch of `/.well-known/matrix/server` (tests). */
  readonly fetchWellKnown?: WellKnownFetcher
}

/**
 * The federation client, from configuration: reads `extra_ca_files` once, here, and builds one
 * connection pool whose every connection goes through the address policy.
 */
export async function createFederationClient(
  options: CreateFederationClientOptions,
): Promise<Result<FederationClient, string>> {
  const { federation, logger } = options
  const trust = await loadTlsTrust(federation)
  if (!trust.ok) return trust
  if (!federation.verifyTls) {
    logger.warn(
      'federation.verify_tls is off: remote servers are not authenticated (development only)',
    )
  }
  const resolver = options.resolver ?? systemDnsResolver()
  const dispatcher = new LazyAgent(async () => {
    const { Agent } = await import('undici')
    return new Agent({
      connect: {
        ...(trust.value.ca === undefined ? {} : { ca: [...trust.value.ca] }),
        rejectUnauthorized: trust.value.rejectUnauthorized,
        lookup: policyLookup(resolver, federation.allowPrivateAddresses),
        timeout: CONNECT_TIMEOUT_MS,
      },
    })
  })
  const fetchWellKnown =
    options.fetchWellKnown ??
    createWellKnownFetcher({
      dispatcher,
      allowPrivateAddresses: federation.allowPrivateAddresses,
    })
  const discovery = new ServerDiscovery({
    resolver,
    fetchWellKnown,
    ...(options.now === undefined ? {} : { now: options.now }),
  })
  return ok(
    new UndiciFederationClient({
      serverName: options.serverName,
      signer: options.signer,
      discovery,
      dispatcher,
      allowPrivateAddresses: federation.allowPrivateAddresses,
      logger,
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      ...(options.maxResponseBytes === undefined
        ? {}
        : { maxResponseBytes: options.maxResponseBytes }),
    }),
  )
}

/**
 * One request's deadline: its own timeout, or the caller's signal, whichever comes first. Every
 * step (discovery, connecting, reading) is bounded by it.
 */
class Deadline {
  readonly timeoutMs: number
  readonly #controller = new AbortController()
  readonly #timer: NodeJS.Timeout
  readonly #caller: AbortSignal | undefined
  readonly #onCallerAbort = (): void => {
    this.#controller.abort(new Error('the request was cancelled'))
  }
  #timedOut = false

  constructor(timeoutMs: number, caller: AbortSignal | undefined) {
    this.timeoutMs = timeoutMs
    this.#caller = caller
    this.#timer = setTimeout(() => {
      this.#timedOut = true
      this.#controller.abort(new Error(`no response within ${timeoutMs} ms`))
    }, timeoutMs)
    this.#timer.unref()
    if (caller?.aborted === true) this.#onCallerAbort()
    else caller?.addEventListener('abort', this.#onCallerAbort, { once: true })
  }

  get signal(): AbortSignal {
    return this.#controller.signal
  }

  failure(): FederationFailure {
    return {
      kind: 'unreachable',
      message: this.#timedOut
        ? `no response within ${this.timeoutMs} ms`
        : 'the request was cancelled',
    }
  }

  /** `promise`'s value, or undefined if the deadline passes first. */
  race<T>(promise: Promise<T>): Promise<T | undefined> {
    if (this.signal.aborted) return Promise.resolve(undefined)
    return new Promise<T | undefined>((resolve, reject) => {
      const onAbort = (): void => {
        resolve(undefined)
      }
      this.signal.addEventListener('abort', onAbort, { once: true })
      promise.then(
        (value) => {
          this.signal.removeEventListener('abort', onAbort)
          resolve(value)
        },
        (e: unknown) => {
          this.signal.removeEventListener('abort', onAbort)
          reject(e instanceof Error ? e : new Error(String(e)))
        },
      )
    })
  }

  dispose(): void {
    clearTimeout(this.#timer)
    this.#caller?.removeEventListener('abort', this.#onCallerAbort)
  }
}

function originOf(target: ConnectTarget): string {
  const host = isIP(target.address) === 6 ? `[${target.address}]` : target.address
  return `https://${host}:${target.port}`
}

/** `?a=1&b=2&b=3`, percent-encoded as it will be signed and sent; empty without parameters. */
function queryString(query: FederationRequestOptions['query']): string {
  if (query === undefined) return ''
  const pairs: string[] = []
  for (const [name, value] of Object.entries(query)) {
    const values: readonly string[] = typeof value === 'string' ? [value] : value
    for (const v of values) pairs.push(`${encodeURIComponent(name)}=${encodeURIComponent(v)}`)
  }
  return pairs.length === 0 ? '' : `?${pairs.join('&')}`
}

function isConnectionError(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code
  return typeof code === 'string' && CONNECTION_ERRORS.has(code)
}

function connectionFailure(e: unknown, target: ConnectTarget): FederationFailure {
  const message = `${originOf(target)}: ${e instanceof Error ? e.message : String(e)}`
  if (e instanceof RefusedAddressError) return { kind: 'refused', message }
  return { kind: 'unreachable', message }
}

const UTF8 = new TextDecoder('utf-8', { fatal: true })

/** The body as JSON, or undefined when it is not UTF-8 JSON that canonical JSON could carry. */
function decodeJson(bytes: Buffer): JsonValue | undefined {
  let text: string
  try {
    text = UTF8.decode(bytes)
  } catch {
    return undefined
  }
  const parsed = parseJson(text)
  return parsed.ok ? parsed.value : undefined
}

function errorMessage(status: number, body: JsonValue | undefined): string {
  if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
    const errcode = (body as JsonObject)['errcode']
    const error = (body as JsonObject)['error']
    if (typeof errcode === 'string') {
      return typeof error === 'string' ? `${status} ${errcode}: ${error}` : `${status} ${errcode}`
    }
  }
  return `status ${status}`
}

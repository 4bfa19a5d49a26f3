/**
 * Homeservers in one process for the federation query tests: each has its own storage and name,
 * serves the client API (accounts, rooms, keys, profiles, directory, media) and the federation
 * query routes, and reaches the others through a requester that calls their HTTP listeners
 * directly. Inbound federation requests are taken as coming from the server the requester names
 * in its Authorization header, which stands in for X-Matrix (tested on its own in
 * federation/auth).
 */
import { RemoteDeviceLists } from '../e2ee/remote-device-lists.js'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
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
import { nodeCryptoProvider } from '@rhizome/crypto-node'
import { AccountService } from '../accounts/account-service.js'
import { accountRoutes } from '../client/account-routes.js'
import { profileDirectoryRoutes } from '../client/directory/directory-routes.js'
import { keyRoutes } from '../client/keys/keys-routes.js'
import { roomRoutes } from '../client/rooms/room-routes.js'
import { DirectoryService } from '../directory/directory-service.js'
import { E2eeService } from '../e2ee/e2ee-service.js'
import { federationQueryRoutes } from '../federation/queries/federation-query-routes.js'
import { createRemoteMediaFetcher } from '../federation/queries/remote-media.js'
import { createRemoteQueries } from '../federation/queries/remote-queries.js'
import type {
  FederationBytes,
  FederationBytesRequester,
  FederationFailure,
  FederationRequester,
  FederationRequestOptions,
  FederationResponse,
} from '../federation/transport/federation-client.js'
import type { Route } from '../http/endpoint.js'
import { serverError } from '../http/errors.js'
import { MediaFiles } from '../media/media-files.js'
import { mediaRoutes } from '../media/media-routes.js'
import { MediaService } from '../media/media-service.js'
import { ProfileService } from '../profiles/profile-service.js'
import { noRateLimits } from '../rate-limit/rate-limiter.js'
import { createRoomService } from '../rooms/room-service.js'
import type { Storage } from '../storage/interface.js'
import { storedTransactionIds } from '../sync/transaction-id-lookup.js'
import { TEST_HASHER } from './account-test-server.js'
import { httpCaller, type CallHttp } from './http-test-client.js'
import { SIGNING_KEY } from './room-kit.js'
import { testConfig } from './test-config.js'
import { startTestServer, type TestServer } from './test-server.js'

/** The Authorization scheme that names the requesting server in place of a signature. */
const ORIGIN_SCHEME = 'TestOrigin '

export interface QueryServer {
  readonly serverName: ServerName
  readonly server: TestServer
  readonly storage: Storage
  readonly call: CallHttp
  close(): Promise<void>
}

/** Calls the servers of `directory` over HTTP, as each names itself. */
export class LoopbackRequester implements FederationRequester, FederationBytesRequester {
  readonly calls: { destination: ServerName; method: string; path: string }[] = []

  constructor(
    private readonly origin: ServerName,
    private readonly directory: ReadonlyMap<ServerName, string>,
  ) {}

  async request(
    destination: ServerName,
    method: 'GET' | 'PUT' | 'POST' | 'DELETE',
    path: string,
    body?: JsonObject,
    options?: FederationRequestOptions,
  ): Promise<Result<FederationResponse, FederationFailure>> {
    const response = await this.#fetch(destination, method, path, body, options)
    if (!response.ok) return response
    const text = await response.value.text()
    const parsed = text === '' ? undefined : parseJson(text)
    const json: JsonValue = parsed?.ok === true ? parsed.value : null
    const status = response.value.status
    if (status >= 200 && status < 300) return ok({ status, body: json })
    return err({ kind: 'http', status, body: json, message: `status ${status}` })
  }

  get(
    destination: ServerName,
    path: string,
    options?: FederationRequestOptions,
  ): Promise<Result<FederationResponse, FederationFailure>> {
    return this.request(destination, 'GET', path, undefined, options)
  }

  async requestBytes(
    destination: ServerName,
    path: string,
    options: FederationRequestOptions & { readonly maxBytes: number },
  ): Promise<Result<FederationBytes, FederationFailure>> {
    const response = await this.#fetch(destination, 'GET', path, undefined, options)
    if (!response.ok) return response
    const status = response.value.status
    if (status < 200 || status >= 300) {
      const text = await response.value.text()
      const parsed = parseJson(text)
      return err({
        kind: 'http',
        status,
        body: parsed.ok ? parsed.value : null,
        message: `status ${status}`,
      })
    }
    const bytes = new Uint8Array(await response.value.arrayBuffer())
    if (bytes.byteLength > options.maxBytes) {
      return err({ kind: 'http', status, body: null, message: 'too large' })
    }
    return ok({
      status,
      contentType: response.value.headers.get('content-type') ?? undefined,
      body: bytes,
    })
  }

  async #fetch(
    destination: ServerName,
    method: string,
    path: string,
    body: JsonObject | undefined,
    options: FederationRequestOptions | undefined,
  ): Promise<Result<Response, FederationFailure>> {
    this.calls.push({ destination, method, path })
    const base = this.directory.get(destination)
    if (base === undefined) {
      return err({ kind: 'unreachable', message: `${destination} is not reachable` })
    }
    const query = new URLSearchParams()
    for (const [name, value] of Object.entries(options?.query ?? {})) {
      for (const one of typeof value === 'string' ? [value] : value) query.append(name, one)
    }
    const search = query.size === 0 ? '' : `?${query.toString()}`
    try {
      return ok(
        await fetch(`${base}${path}${search}`, {
          method,
          headers: {
            authorization: `${ORIGIN_SCHEME}${this.origin}`,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal: AbortSignal.timeout(options?.timeoutMs ?? 10_000),
        }),
      )
    } catch (error) {
      return err({ kind: 'unreachable', message: String(error) })
    }
  }
}

/**
 * Starts a server named `serverName` on `storage`. Its requester reaches the servers in
 * `directory` (filled in by the caller as servers start); `maxUploadSize` limits media.
 */
export async function startQueryServer(
  storage: Storage,
  serverName: ServerName,
  directory: Map<ServerName, string>,
  options: { readonly maxUploadSize?: number } = {},
): Promise<QueryServer & { readonly requester: LoopbackRequester }> {
  const now = Date.now
  const dataDir = mkdtempSync(join(tmpdir(), 'rhizome-fed-queries-'))
  const config = testConfig(dataDir, {
    server_name: serverName,
    registration: { enabled: true },
  })
  const requester = new LoopbackRequester(serverName, directory)
  const remote = createRemoteQueries(requester)
  const rooms = createRoomService({
    storage,
    serverName,
    signingKey: SIGNING_KEY,
    crypto: nodeCryptoProvider,
    now,
    transactionIds: storedTransactionIds(storage),
  })
  const accounts = new AccountService({
    serverName,
    registration: config.registration,
    accounts: storage.accounts,
    uiaSessions: storage.uiaSessions,
    rateLimiter: noRateLimits,
    now,
    hasher: TEST_HASHER,
  })
  const services = {
    config,
    storage,
    rooms,
    accounts,
    now,
    e2ee: new E2eeService({
      storage,
      serverName,
      crypto: nodeCryptoProvider,
      uia: accounts.uia,
      remote,
      deviceLists: new RemoteDeviceLists({
        storage,
        serverName,
        remote,
        now,
        logger: { debug: () => undefined, warn: () => undefined },
      }),
    }),
    profiles: new ProfileService({ storage, serverName, pipeline: rooms.pipeline, remote }),
    directory: new DirectoryService({
      storage,
      serverName,
      pipeline: rooms.pipeline,
      now,
      remote,
    }),
    media: new MediaService({
      store: storage.media,
      files: new MediaFiles(join(dataDir, 'media')),
      serverName,
      config: { maxUploadSize: options.maxUploadSize ?? 1024 * 1024, freezeLegacyMedia: true },
      now,
      remote: createRemoteMediaFetcher({ requester, allowPrivateAddresses: true }),
    }),
    urlPreviews: undefined,
  }
  const routes: Route<typeof services>[] = [
    ...accountRoutes,
    ...roomRoutes,
    ...keyRoutes,
    ...profileDirectoryRoutes,
    ...mediaRoutes,
    ...federationQueryRoutes,
  ]
  const server = await startTestServer({
    routes,
    services,
    authenticate: (token) => accounts.authenticate(token),
    authenticateServer: (request) => {
      const origin = request.authorization
      const parsed = origin?.startsWith(ORIGIN_SCHEME)
        ? parseServerName(origin.slice(ORIGIN_SCHEME.length))
        : undefined
      return Promise.resolve(
        parsed?.ok === true
          ? ok(parsed.value)
          : err(serverError('M_UNAUTHORIZED', 'No origin header')),
      )
    },
  })
  directory.set(serverName, server.url)
  return {
    serverName,
    server,
    storage,
    requester,
    call: httpCaller(server.url),
    close: async () => {
      server.app.server.closeAllConnections()
      await server.close()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

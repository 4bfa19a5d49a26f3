import { parseUserId, type JsonObject, type UserId } from '@rhizome/core'
import { adminRoutes } from '../admin/admin-routes.js'
import { accountRoutes } from '../client/account-routes.js'
import type { Config } from '../config/config.js'
import type { Route } from '../http/endpoint.js'
import { noRateLimits, type RateLimiter } from '../rate-limit/rate-limiter.js'
import type { AccountStore, Storage } from '../storage/interface.js'
import { openStorage } from '../storage/open-storage.js'
import { startTestServer, type TestServer } from './test-server.js'
import { testConfig } from './test-config.js'
import { AccountService } from '../accounts/account-service.js'
import { scryptHasher } from '../accounts/password-checker.js'
import type { TokenCacheOptions } from '../accounts/token-cache.js'
import type { UiaSessionStore } from '../storage/uia-session-store.js'

/** Cheap scrypt parameters, so that tests which register many users stay fast. */
export const TEST_HASHER = scryptHasher({ N: 2 ** 10, r: 8, p: 1 })

export interface AccountTestOptions {
  /** YAML keys laid over the test configuration (registration, public_baseurl, ...). */
  readonly config?: Record<string, unknown>
  readonly rateLimiter?: RateLimiter
  readonly now?: () => number
  readonly tokenCache?: TokenCacheOptions
  /**
   * Share the stores of another test server, as a second server process would; by default a
   * fresh SQLite database in memory, closed with the server.
   */
  readonly stores?: AccountTestStores
}

export interface AccountTestStores {
  readonly accounts: AccountStore
  readonly uiaSessions: UiaSessionStore
}

export interface HttpResult {
  readonly status: number
  readonly body: Record<string, unknown>
}

export interface Credentials {
  readonly userId: UserId
  readonly accessToken: string
  readonly deviceId: string
}

export interface AccountTestServer {
  readonly server: TestServer
  readonly accounts: AccountService
  readonly stores: AccountTestStores
  readonly config: Config
  call(
    method: string,
    path: string,
    options?: { readonly token?: string; readonly body?: unknown; readonly raw?: string },
  ): Promise<HttpResult>
  /** Registers through the API (dummy flow) and returns the new login. */
  register(username: string, password: string, extra?: JsonObject): Promise<Credentials>
  login(user: string, password: string, extra?: JsonObject): Promise<Credentials>
  close(): Promise<void>
}

/** A fresh SQLite database in memory, with every migration applied. */
export function openTestStorage(): Promise<Storage> {
  return openStorage('sqlite::memory:')
}

/**
 * The account and admin routes over real HTTP, with open registration by default, cheap password
 * hashing and no rate limits unless a test asks for them.
 */
export async function startAccountTestServer(
  options: AccountTestOptions = {},
): Promise<AccountTestServer> {
  const config = testConfig('/nonexistent/rhizome-account-tests', {
    registration: { enabled: true },
    ...options.config,
  })
  let storage: Storage | undefined
  let stores = options.stores
  if (stores === undefined) {
    storage = await openTestStorage()
    stores = { accounts: storage.accounts, uiaSessions: storage.uiaSessions }
  }
  const rateLimiter = options.rateLimiter ?? noRateLimits
  const accounts = new AccountService({
    serverName: config.serverName,
    registration: config.registration,
    accounts: stores.accounts,
    uiaSessions: stores.uiaSessions,
    rateLimiter,
    now: options.now ?? Date.now,
    hasher: TEST_HASHER,
    ...(options.tokenCache === undefined ? {} : { tokenCache: options.tokenCache }),
  })
  const routes: Route<{ readonly accounts: AccountService; readonly config: Config }>[] = [
    ...accountRoutes,
    ...adminRoutes,
  ]
  const server = await startTestServer({
    routes,
    services: { accounts, config },
    authenticate: accounts.authenticate,
    rateLimiter,
  })

  const call: AccountTestServer['call'] = async (method, path, opts = {}) => {
    const headers: Record<string, string> = {}
    if (opts.token !== undefined) headers['authorization'] = `Bearer ${opts.token}`
    let body: string | undefined = opts.raw
    if (opts.body !== undefined) {
      body = JSON.stringify(opts.body)
      headers['content-type'] = 'application/json'
    }
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body }),
    })
    const text = await response.text()
    const parsed: unknown = text === '' ? {} : JSON.parse(text)
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new Error(`${method} ${path}: not a JSON object: ${text}`)
    }
    return { status: response.status, body: parsed as Record<string, unknown> }
  }

  const credentials = (result: HttpResult, what: string): Credentials => {
    const { user_id: userId, access_token: accessToken, device_id: deviceId } = result.body
    if (
      result.status !== 200 ||
      typeof userId !== 'string' ||
      typeof accessToken !== 'string' ||
      typeof deviceId !== 'string'
    ) {
      throw new Error(`${what} failed: ${result.status} ${JSON.stringify(result.body)}`)
    }
    const parsed = parseUserId(userId)
    if (!parsed.ok) throw new Error(`${what}: bad user_id ${userId}`)
    return { userId: parsed.value, accessToken, deviceId }
  }

  return {
    server,
    accounts,
    stores,
    config,
    call,
    register: async (username, password, extra = {}) => {
      const first = await call('POST', '/_matrix/client/v3/register', {
        body: { username, password, ...extra },
      })
      const session = first.body['session']
      if (first.status !== 401 || typeof session !== 'string') {
        throw new Error(`register ${username}: ${first.status} ${JSON.stringify(first.body)}`)
      }
      const done = await call('POST', '/_matrix/client/v3/register', {
        body: { username, password, ...extra, auth: { type: 'm.login.dummy', session } },
      })
      return credentials(done, `register ${username}`)
    },
    login: async (user, password, extra = {}) =>
      credentials(
        await call('POST', '/_matrix/client/v3/login', {
          body: {
            type: 'm.login.password',
            identifier: { type: 'm.id.user', user },
            password,
            ...extra,
          },
        }),
        `login ${user}`,
      ),
    close: async () => {
      await server.close()
      await storage?.close()
    },
  }
}

/** The UIA body for m.login.password as `user`, in `session`. */
export function passwordAuth(user: string, password: string, session?: unknown): JsonObject {
  return {
    type: 'm.login.password',
    identifier: { type: 'm.id.user', user },
    password,
    ...(typeof session === 'string' ? { session } : {}),
  }
}

import type { JsonObject } from '@rhizome/core'
import { adminRoutes } from '../admin/admin-routes.js'
import { accountRoutes } from '../client/account-routes.js'
import type { Config, RegistrationConfig } from '../config/config.js'
import type { Authenticate } from '../http/authenticate.js'
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
import {
  loginCredentials,
  passwordLoginBody,
  registerWithDummyAuth,
  sendRequest,
  type LoginCredentials,
} from './http-test-client.js'
import { FakeAuthenticate } from './fake-authenticate.js'
import { SERVER_NAME } from './room-kit.js'

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

export type Credentials = LoginCredentials

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
    const { status, text } = await sendRequest(server.url, method, path, opts)
    const parsed: unknown = text === '' ? {} : JSON.parse(text)
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new Error(`${method} ${path}: not a JSON object: ${text}`)
    }
    return { status, body: parsed as Record<string, unknown> }
  }

  return {
    server,
    accounts,
    stores,
    config,
    call,
    register: async (username, password, extra = {}) => {
      const done = await registerWithDummyAuth(
        (body) => call('POST', '/_matrix/client/v3/register', { body }),
        { username, password, ...extra },
        (first) => {
          const session = (first.body as Record<string, unknown>)['session']
          if (first.status !== 401 || typeof session !== 'string') {
            throw new Error(`register ${username}: ${first.status} ${JSON.stringify(first.body)}`)
          }
        },
      )
      return loginCredentials(done, `register ${username}`)
    },
    login: async (user, password, extra = {}) =>
      loginCredentials(
        await call('POST', '/_matrix/client/v3/login', {
          body: passwordLoginBody(user, password, extra),
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

export interface AccountsWithGuests {
  readonly accounts: AccountService
  readonly guests: FakeAuthenticate
  /** Guest tokens first, then the account service's. */
  readonly authenticate: Authenticate
}

/**
 * The account service on `storage`, with cheap hashing and no rate limits, beside a
 * FakeAuthenticate for the guests it does not offer.
 */
export function accountsWithGuests(
  storage: Storage,
  registration: RegistrationConfig,
  now: () => number,
): AccountsWithGuests {
  const accounts = new AccountService({
    serverName: SERVER_NAME,
    registration,
    accounts: storage.accounts,
    uiaSessions: storage.uiaSessions,
    rateLimiter: noRateLimits,
    now,
    hasher: TEST_HASHER,
  })
  const guests = new FakeAuthenticate(storage)
  const authenticate: Authenticate = async (token) => {
    const guest = await guests.authenticate(token)
    return guest.ok ? guest : accounts.authenticate(token)
  }
  return { accounts, guests, authenticate }
}

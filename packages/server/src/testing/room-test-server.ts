/**
 * FOR TESTS ONLY. The room endpoints over real HTTP on a given storage, beside the account
 * endpoints: users register and log in through `/register` and `/login` as a client would.
 * Guests, which the account service does not offer, get tokens from a FakeAuthenticate.
 */
import { err, parseUserId, type UserId } from '@rhizome/core'
import { afterEach } from 'vitest'
import { AccountService } from '../accounts/account-service.js'
import { TEST_HASHER } from './account-test-server.js'
import { accountRoutes } from '../client/account-routes.js'
import { roomRoutes } from '../client/rooms/room-routes.js'
import type { Authenticate, Requester } from '../http/authenticate.js'
import type { Route } from '../http/endpoint.js'
import { noRateLimits, type RateLimiter } from '../rate-limit/rate-limiter.js'
import { createRoomService, type RoomService } from '../rooms/room-service.js'
import type { Storage } from '../storage/interface.js'
import { storedTransactionIds } from '../sync/transaction-id-lookup.js'
import { FakeAuthenticate } from './fake-authenticate.js'
import { crypto, SERVER_NAME, SIGNING_KEY } from './room-kit.js'
import { useRoomStorage, type RoomTestStorage } from './room-storages.js'
import { testConfig } from './test-config.js'
import { startTestServer, type TestServer } from './test-server.js'

export interface HttpReply {
  readonly status: number
  readonly body: unknown
}

export interface TestUser {
  readonly userId: UserId
  readonly deviceId: string
  readonly accessToken: string
  readonly requester: Requester
}

export interface RoomTestUsers {
  /**
   * A logged-in user: registered on first use, logged in again (as `deviceId`) afterwards;
   * guests get a token from the fake.
   */
  user(
    localpart: string,
    options?: { readonly deviceId?: string; readonly isGuest?: boolean },
  ): Promise<TestUser>
}

export interface RoomTestServer {
  readonly server: TestServer
  readonly rooms: RoomService
  readonly users: RoomTestUsers
  readonly storage: Storage
  call(
    method: string,
    path: string,
    options?: { readonly user?: TestUser; readonly body?: unknown; readonly raw?: string },
  ): Promise<HttpReply>
  close(): Promise<void>
}

export interface RoomTestOptions {
  readonly rateLimiter?: RateLimiter
  readonly now?: () => number
}

export async function startRoomTestServer(
  storage: Storage,
  options: RoomTestOptions = {},
): Promise<RoomTestServer> {
  const now = options.now ?? Date.now
  const config = testConfig('/nonexistent/rhizome-room-tests', { registration: { enabled: true } })
  const rooms = createRoomService({
    storage,
    serverName: SERVER_NAME,
    signingKey: SIGNING_KEY,
    crypto,
    now,
    transactionIds: storedTransactionIds(storage),
  })
  const accounts = new AccountService({
    serverName: SERVER_NAME,
    registration: config.registration,
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
  const routes: Route<{
    readonly rooms: RoomService
    readonly accounts: AccountService
    readonly config: typeof config
  }>[] = [...roomRoutes, ...accountRoutes]
  const server = await startTestServer({
    routes,
    services: { rooms, accounts, config },
    authenticate,
    ...(options.rateLimiter === undefined ? {} : { rateLimiter: options.rateLimiter }),
  })

  const call: RoomTestServer['call'] = async (method, path, { user, body, raw } = {}) => {
    const headers: Record<string, string> = {}
    if (user !== undefined) headers['authorization'] = `Bearer ${user.accessToken}`
    let payload: string | undefined = raw
    if (body !== undefined) {
      payload = JSON.stringify(body)
      headers['content-type'] = 'application/json'
    }
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers,
      ...(payload === undefined ? {} : { body: payload }),
    })
    const text = await response.text()
    return {
      status: response.status,
      body: text === '' ? undefined : (JSON.parse(text) as unknown),
    }
  }

  const registered = new Set<string>()
  const users: RoomTestUsers = {
    async user(localpart, { deviceId, isGuest = false } = {}) {
      if (isGuest)
        return guests.user(localpart, {
          isGuest: true,
          ...(deviceId === undefined ? {} : { deviceId }),
        })
      const password = `password of ${localpart}`
      const device = deviceId === undefined ? {} : { device_id: deviceId }
      let reply: HttpReply
      if (!registered.has(localpart)) {
        const first = await call('POST', '/_matrix/client/v3/register', {
          body: { username: localpart, password, ...device },
        })
        const session = (first.body as { session?: unknown } | undefined)?.session
        reply = await call('POST', '/_matrix/client/v3/register', {
          body: {
            username: localpart,
            password,
            ...device,
            auth: { type: 'm.login.dummy', session },
          },
        })
        registered.add(localpart)
      } else {
        reply = await call('POST', '/_matrix/client/v3/login', {
          body: {
            type: 'm.login.password',
            identifier: { type: 'm.id.user', user: localpart },
            password,
            ...device,
          },
        })
      }
      return loggedIn(reply, localpart)
    },
  }

  return { server, rooms, users, storage, call, close: () => server.close() }
}

function loggedIn(reply: HttpReply, localpart: string): TestUser {
  const body = reply.body as { user_id?: unknown; access_token?: unknown; device_id?: unknown }
  const userId = typeof body.user_id === 'string' ? parseUserId(body.user_id) : err(undefined)
  if (
    reply.status !== 200 ||
    !userId.ok ||
    typeof body.access_token !== 'string' ||
    typeof body.device_id !== 'string'
  ) {
    throw new Error(`cannot log ${localpart} in: ${reply.status} ${JSON.stringify(reply.body)}`)
  }
  return {
    userId: userId.value,
    deviceId: body.device_id,
    accessToken: body.access_token,
    requester: { userId: userId.value, deviceId: body.device_id, isGuest: false },
  }
}

/** A fresh storage and server for each call, both closed after the test. */
export function useRoomTestServer(
  kind: RoomTestStorage,
  options: RoomTestOptions = {},
): () => Promise<RoomTestServer> {
  const open = useRoomStorage(kind)
  const servers: RoomTestServer[] = []
  // Registered after the storage's hook, so it runs first: servers close before their storage.
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()))
  })
  return async () => {
    const server = await startRoomTestServer(await open(), options)
    servers.push(server)
    return server
  }
}

/**
 * FOR TESTS ONLY. The room endpoints over real HTTP on a given storage, beside the account
 * and key endpoints: users register and log in through `/register` and `/login` as a client would.
 * Guests, which the account service does not offer, get tokens from a FakeAuthenticate.
 */
import { AccountService } from '../accounts/account-service.js'
import { accountsWithGuests } from './account-test-server.js'
import { accountRoutes } from '../client/account-routes.js'
import { roomRoutes } from '../client/rooms/room-routes.js'
import { keyRoutes } from '../client/keys/keys-routes.js'
import { E2eeService } from '../e2ee/e2ee-service.js'
import { nodeCryptoProvider } from '@rhizome/crypto-node'
import type { Route } from '../http/endpoint.js'
import type { RateLimiter } from '../rate-limit/rate-limiter.js'
import type { RoomService } from '../rooms/room-service.js'
import type { Storage } from '../storage/interface.js'
import type { TestUser } from './fake-authenticate.js'
import {
  httpCaller,
  loginCredentials,
  passwordLoginBody,
  registerWithDummyAuth,
  testRoomService,
  useTestServers,
  type CallHttp,
} from './http-test-client.js'
import type { RoomTestStorage } from './room-storages.js'
import { testConfig } from './test-config.js'
import { startTestServer, type TestServer } from './test-server.js'

export type { HttpReply } from './http-test-client.js'
export type { TestUser } from './fake-authenticate.js'

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
  readonly call: CallHttp
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
  const rooms = testRoomService(storage, { now })
  const { accounts, guests, authenticate } = accountsWithGuests(storage, config.registration, now)
  const e2ee = new E2eeService({
    storage,
    serverName: config.serverName,
    crypto: nodeCryptoProvider,
    uia: accounts.uia,
  })
  const routes: Route<{
    readonly rooms: RoomService
    readonly accounts: AccountService
    readonly config: typeof config
    readonly e2ee: E2eeService
  }>[] = [...roomRoutes, ...accountRoutes, ...keyRoutes]
  const server = await startTestServer({
    routes,
    services: { rooms, accounts, config, e2ee },
    authenticate,
    ...(options.rateLimiter === undefined ? {} : { rateLimiter: options.rateLimiter }),
  })

  const call = httpCaller(server.url)

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
      const reply = registered.has(localpart)
        ? await call('POST', '/_matrix/client/v3/login', {
            body: passwordLoginBody(localpart, password, device),
          })
        : await registerWithDummyAuth(
            (body) => call('POST', '/_matrix/client/v3/register', { body }),
            { username: localpart, password, ...device },
          )
      registered.add(localpart)
      const login = loginCredentials(reply, `log ${localpart} in`)
      return {
        ...login,
        requester: { userId: login.userId, deviceId: login.deviceId, isGuest: false },
      }
    },
  }

  return { server, rooms, users, storage, call, close: () => server.close() }
}

/** A fresh storage and server for each call, both closed after the test. */
export function useRoomTestServer(
  kind: RoomTestStorage,
  options: RoomTestOptions = {},
): () => Promise<RoomTestServer> {
  const start = useTestServers(kind, startRoomTestServer)
  return () => start(options)
}

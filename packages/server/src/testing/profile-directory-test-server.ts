/**
 * FOR TESTS ONLY. The profile and directory endpoints over real HTTP, beside the room and account
 * endpoints, on a given storage, with the room service putting profiles into member events as the
 * running server does. Users are made by the account service (so they get its default profile)
 * and logged in directly; guests get tokens from a FakeAuthenticate.
 */
import { afterEach } from 'vitest'
import { AccountService } from '../accounts/account-service.js'
import { accountRoutes } from '../client/account-routes.js'
import { profileDirectoryRoutes } from '../client/directory/directory-routes.js'
import { roomRoutes } from '../client/rooms/room-routes.js'
import { DirectoryService } from '../directory/directory-service.js'
import type { Authenticate } from '../http/authenticate.js'
import type { Route } from '../http/endpoint.js'
import { storedMemberProfiles } from '../profiles/member-profiles.js'
import { ProfileService } from '../profiles/profile-service.js'
import { noRateLimits, type RateLimiter } from '../rate-limit/rate-limiter.js'
import { createRoomService, type RoomService } from '../rooms/room-service.js'
import type { Storage } from '../storage/interface.js'
import { storedTransactionIds } from '../sync/transaction-id-lookup.js'
import { TEST_HASHER } from './account-test-server.js'
import { FakeAuthenticate, type TestUser } from './fake-authenticate.js'
import { crypto, SERVER_NAME, SIGNING_KEY, userId } from './room-kit.js'
import { useRoomStorage, type RoomTestStorage } from './room-storages.js'
import type { HttpReply } from './room-test-server.js'
import { testConfig } from './test-config.js'
import { startTestServer, type TestServer } from './test-server.js'

export type { TestUser } from './fake-authenticate.js'

export interface ProfileDirectoryTestServer {
  readonly server: TestServer
  readonly storage: Storage
  readonly rooms: RoomService
  readonly profiles: ProfileService
  readonly directory: DirectoryService
  /** A user made now (once per localpart) and logged in on a new device. */
  user(
    localpart: string,
    options?: { readonly admin?: boolean; readonly isGuest?: boolean },
  ): Promise<TestUser>
  call(
    method: string,
    path: string,
    options?: { readonly user?: TestUser; readonly body?: unknown; readonly raw?: string },
  ): Promise<HttpReply>
  close(): Promise<void>
}

export interface ProfileDirectoryTestOptions {
  /** None by default. */
  readonly rateLimiter?: RateLimiter
}

export async function startProfileDirectoryTestServer(
  storage: Storage,
  options: ProfileDirectoryTestOptions = {},
): Promise<ProfileDirectoryTestServer> {
  const now = Date.now
  const config = testConfig('/nonexistent/rhizome-directory-tests', {
    registration: { enabled: true },
  })
  const rooms = createRoomService({
    storage,
    serverName: SERVER_NAME,
    signingKey: SIGNING_KEY,
    crypto,
    now,
    transactionIds: storedTransactionIds(storage),
    profile: storedMemberProfiles(storage),
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
  const profiles = new ProfileService({
    storage,
    serverName: SERVER_NAME,
    pipeline: rooms.pipeline,
  })
  const directory = new DirectoryService({
    storage,
    serverName: SERVER_NAME,
    pipeline: rooms.pipeline,
    now,
  })
  const guests = new FakeAuthenticate(storage)
  const authenticate: Authenticate = async (token) => {
    const guest = await guests.authenticate(token)
    return guest.ok ? guest : accounts.authenticate(token)
  }
  const services = { rooms, accounts, config, profiles, directory }
  const routes: Route<typeof services>[] = [
    ...roomRoutes,
    ...accountRoutes,
    ...profileDirectoryRoutes,
  ]
  const server = await startTestServer({
    routes,
    services,
    authenticate,
    ...(options.rateLimiter === undefined ? {} : { rateLimiter: options.rateLimiter }),
  })

  const call: ProfileDirectoryTestServer['call'] = async (
    method,
    path,
    { user, body, raw } = {},
  ) => {
    const headers: Record<string, string> = {}
    if (user !== undefined) headers['authorization'] = `Bearer ${user.accessToken}`
    let payload: string | undefined = raw
    if (body !== undefined) {
      payload = JSON.stringify(body)
      headers['content-type'] = 'application/json'
    }
    if (payload !== undefined && headers['content-type'] === undefined) {
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

  const user: ProfileDirectoryTestServer['user'] = async (localpart, options = {}) => {
    if (options.isGuest === true) return guests.user(localpart, { isGuest: true })
    const id = userId(localpart)
    if ((await storage.accounts.getUser(id)) === undefined) {
      const created = await accounts.createAccount({
        userId: id,
        password: undefined,
        admin: options.admin ?? false,
      })
      if (!created.ok) throw new Error(created.error.error)
    }
    const session = await accounts.startSession(id, {})
    return {
      userId: id,
      deviceId: session.deviceId,
      accessToken: session.accessToken,
      requester: { userId: id, deviceId: session.deviceId, isGuest: false },
    }
  }

  return {
    server,
    storage,
    rooms,
    profiles,
    directory,
    user,
    call,
    close: () => server.close(),
  }
}

/** A fresh storage and server for each call, both closed after the test. */
export function useProfileDirectoryTestServer(
  kind: RoomTestStorage,
  options: ProfileDirectoryTestOptions = {},
): () => Promise<ProfileDirectoryTestServer> {
  const open = useRoomStorage(kind)
  const servers: ProfileDirectoryTestServer[] = []
  // Registered after the storage's hook, so it runs first: servers close before their storage.
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()))
  })
  return async () => {
    const server = await startProfileDirectoryTestServer(await open(), options)
    servers.push(server)
    return server
  }
}

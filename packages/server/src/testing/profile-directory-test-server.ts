/**
 * FOR TESTS ONLY. The profile and directory endpoints over real HTTP, beside the room and account
 * endpoints, on a given storage, with the room service putting profiles into member events as the
 * running server does. Users are made by the account service (so they get its default profile)
 * and logged in directly; guests get tokens from a FakeAuthenticate.
 */
import { accountRoutes } from '../client/account-routes.js'
import { profileDirectoryRoutes } from '../client/directory/directory-routes.js'
import { roomRoutes } from '../client/rooms/room-routes.js'
import { DirectoryService } from '../directory/directory-service.js'
import type { Route } from '../http/endpoint.js'
import { storedMemberProfiles } from '../profiles/member-profiles.js'
import { ProfileService } from '../profiles/profile-service.js'
import type { RateLimiter } from '../rate-limit/rate-limiter.js'
import type { RoomService } from '../rooms/room-service.js'
import type { Storage } from '../storage/interface.js'
import { accountsWithGuests } from './account-test-server.js'
import type { TestUser } from './fake-authenticate.js'
import { httpCaller, testRoomService, useTestServers, type CallHttp } from './http-test-client.js'
import { SERVER_NAME, userId } from './room-kit.js'
import type { RoomTestStorage } from './room-storages.js'
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
  readonly call: CallHttp
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
  const rooms = testRoomService(storage, { now, profile: storedMemberProfiles(storage) })
  const { accounts, guests, authenticate } = accountsWithGuests(storage, config.registration, now)
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

  // Raw bodies are labelled JSON too, so malformed JSON reaches the JSON parser.
  const call = httpCaller(server.url, { rawAsJson: true })

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
  const start = useTestServers(kind, startProfileDirectoryTestServer)
  return () => start(options)
}

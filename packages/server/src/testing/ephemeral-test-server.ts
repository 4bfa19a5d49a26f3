/**
 * FOR TESTS ONLY. The room, sync, account data, tag, typing and presence endpoints over real HTTP
 * on a given storage, with the typing and presence services wired as the composition root wires
 * them, and users whose tokens a FakeAuthenticate hands out.
 */
import { accountDataRoutes } from '../client/account-data/account-data.js'
import { tagRoutes } from '../client/account-data/tags.js'
import { presenceRoutes } from '../client/presence/presence.js'
import { roomRoutes } from '../client/rooms/room-routes.js'
import { syncRoute } from '../client/sync/sync.js'
import { typingRoute } from '../client/typing/typing.js'
import type { Route } from '../http/endpoint.js'
import { PresenceService, type PresenceTimings } from '../presence/presence-service.js'
import type { RoomService } from '../rooms/room-service.js'
import type { Storage } from '../storage/interface.js'
import { SyncService } from '../sync/sync-service.js'
import { SyncWakeups } from '../sync/sync-wakeups.js'
import { TypingService } from '../typing/typing-service.js'
import { FakeAuthenticate } from './fake-authenticate.js'
import { httpCaller, testRoomService, useTestServers, type CallHttp } from './http-test-client.js'
import type { RoomTestStorage } from './room-storages.js'
import { startTestServer, type TestServer } from './test-server.js'

export interface EphemeralTestServices {
  readonly rooms: RoomService
  readonly storage: Storage
  readonly sync: SyncService
  readonly typing: TypingService
  readonly presence: PresenceService | undefined
}

export interface EphemeralTestOptions {
  /** false: presence disabled, as `presence.enabled: false` configures it. Default on. */
  readonly presence?: boolean
  readonly presenceTimings?: Partial<PresenceTimings>
  /** The wall clock of the services (default Date.now). */
  readonly now?: () => number
}

export interface EphemeralTestServer extends EphemeralTestServices {
  readonly server: TestServer
  readonly users: FakeAuthenticate
  readonly wakeups: SyncWakeups
  readonly call: CallHttp
  close(): Promise<void>
}

export async function startEphemeralTestServer(
  storage: Storage,
  options: EphemeralTestOptions = {},
): Promise<EphemeralTestServer> {
  const now = options.now ?? Date.now
  const rooms = testRoomService(storage, { now })
  const presence =
    options.presence === false
      ? undefined
      : new PresenceService({
          storage,
          now,
          ...(options.presenceTimings === undefined ? {} : { timings: options.presenceTimings }),
        })
  const typing = new TypingService({
    storage,
    now,
    ...(presence === undefined
      ? {}
      : {
          onActivity: (userId) => {
            presence.userActive(userId)
          },
        }),
  })
  const wakeups = new SyncWakeups(storage.streams.notifier)
  const sync = new SyncService({
    storage,
    serializer: rooms.serializer,
    pdus: rooms.pipeline.pdus,
    wakeups,
    now,
    ...(presence === undefined ? {} : { presence }),
  })
  const users = new FakeAuthenticate(storage)
  const routes: Route<EphemeralTestServices>[] = [
    ...roomRoutes,
    syncRoute,
    ...accountDataRoutes,
    ...tagRoutes,
    typingRoute,
    ...presenceRoutes,
  ]
  const services = { rooms, storage, sync, typing, presence }
  const server = await startTestServer<EphemeralTestServices>({
    routes,
    services,
    authenticate: users.authenticate,
  })
  return {
    ...services,
    server,
    users,
    wakeups,
    call: httpCaller(server.url),
    async close() {
      wakeups.close()
      await server.close()
      await Promise.all([typing.close(), presence?.close()])
    },
  }
}

/** A fresh storage and server for each call, both closed after the test. */
export function useEphemeralTestServer(
  kind: RoomTestStorage,
): (options?: EphemeralTestOptions) => Promise<EphemeralTestServer> {
  return useTestServers(kind, startEphemeralTestServer)
}

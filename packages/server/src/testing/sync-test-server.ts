/**
 * FOR TESTS ONLY. The room, sync, filter and account data endpoints over real HTTP, on a given
 * storage, with users whose tokens a FakeAuthenticate hands out. Storage calls can be counted.
 */
import { accountDataRoutes } from '../client/account-data/account-data.js'
import { capabilitiesRoute } from '../client/capabilities.js'
import { getFilterRoute, postFilterRoute } from '../client/filters/filters.js'
import { roomRoutes } from '../client/rooms/room-routes.js'
import { syncRoute } from '../client/sync/sync.js'
import type { Route } from '../http/endpoint.js'
import type { RoomService } from '../rooms/room-service.js'
import type { Storage } from '../storage/interface.js'
import { SyncService } from '../sync/sync-service.js'
import { SyncWakeups } from '../sync/sync-wakeups.js'
import { FakeAuthenticate } from './fake-authenticate.js'
import { httpCaller, testRoomService, useTestServers, type CallHttp } from './http-test-client.js'
import type { RoomTestStorage } from './room-storages.js'
import { startTestServer, type TestServer } from './test-server.js'

export interface SyncTestServices {
  readonly rooms: RoomService
  readonly storage: Storage
  readonly sync: SyncService
}

export interface SyncTestServer {
  readonly server: TestServer
  readonly rooms: RoomService
  readonly users: FakeAuthenticate
  readonly storage: Storage
  readonly sync: SyncService
  readonly wakeups: SyncWakeups
  /** Storage method calls since the last reset, by `store.method`. */
  readonly calls: StorageCalls
  readonly call: CallHttp
  close(): Promise<void>
}

export class StorageCalls {
  readonly counts = new Map<string, number>()
  total(): number {
    let sum = 0
    for (const n of this.counts.values()) sum += n
    return sum
  }
  reset(): void {
    this.counts.clear()
  }
  record(name: string): void {
    this.counts.set(name, (this.counts.get(name) ?? 0) + 1)
  }
}

const COUNTED = [
  'accounts',
  'rooms',
  'events',
  'state',
  'accountData',
  'filters',
  'streams',
  'sync',
]

/** The storage with each sub-store method call recorded in `calls` (the notifier is not). */
export function countingStorage(storage: Storage, calls: StorageCalls): Storage {
  const wrapStore = (name: string, store: object): object =>
    new Proxy(store, {
      get(target, key, receiver) {
        const value: unknown = Reflect.get(target, key, receiver)
        if (typeof value !== 'function' || typeof key !== 'string') return value
        return (...args: unknown[]) => {
          calls.record(`${name}.${key}`)
          return (value as (...a: unknown[]) => unknown).apply(target, args)
        }
      },
    })
  return new Proxy(storage, {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver)
      if (typeof key === 'string' && COUNTED.includes(key) && typeof value === 'object' && value) {
        return wrapStore(key, value)
      }
      return typeof value === 'function'
        ? (value as (...a: unknown[]) => unknown).bind(target)
        : value
    },
  })
}

export async function startSyncTestServer(storage: Storage): Promise<SyncTestServer> {
  const calls = new StorageCalls()
  const counted = countingStorage(storage, calls)
  const rooms = testRoomService(storage)
  const wakeups = new SyncWakeups(storage.streams.notifier)
  const sync = new SyncService({
    storage: counted,
    serializer: rooms.serializer,
    pdus: rooms.pipeline.pdus,
    wakeups,
  })
  const users = new FakeAuthenticate(storage)
  const routes: Route<SyncTestServices>[] = [
    ...roomRoutes,
    syncRoute,
    postFilterRoute,
    getFilterRoute,
    capabilitiesRoute,
    ...accountDataRoutes,
  ]
  const server = await startTestServer<SyncTestServices>({
    routes,
    services: { rooms, storage, sync },
    authenticate: users.authenticate,
  })
  return {
    server,
    rooms,
    users,
    storage,
    sync,
    wakeups,
    calls,
    call: httpCaller(server.url),
    async close() {
      wakeups.close()
      await server.close()
    },
  }
}

/** A fresh storage and server for each call, both closed after the test. */
export function useSyncTestServer(kind: RoomTestStorage): () => Promise<SyncTestServer> {
  const start = useTestServers(kind, startSyncTestServer)
  return () => start()
}

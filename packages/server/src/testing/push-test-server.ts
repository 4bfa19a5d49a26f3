/**
 * FOR TESTS ONLY. Rooms, sync, receipts, read markers, push rules and notifications over real
 * HTTP on a given storage, with a push processor following the stream as the server runs it.
 */
import { accountDataRoutes } from '../client/account-data/account-data.js'
import { getFilterRoute, postFilterRoute } from '../client/filters/filters.js'
import { getNotificationsRoute } from '../client/notifications/notifications.js'
import { pushRulesRoutes } from '../client/push-rules/push-rules.js'
import { receiptRoutes } from '../client/receipts/receipt-routes.js'
import { roomRoutes } from '../client/rooms/room-routes.js'
import { syncRoute } from '../client/sync/sync.js'
import type { Route } from '../http/endpoint.js'
import { PushProcessor, type PushProcessorOptions } from '../push/push-processor.js'
import { PushRulesService } from '../push/push-rules-service.js'
import { PushCounts } from '../push/unread-counts.js'
import { ReceiptService } from '../receipts/receipt-service.js'
import type { RoomService } from '../rooms/room-service.js'
import type { Storage } from '../storage/interface.js'
import { SyncService } from '../sync/sync-service.js'
import { SyncWakeups } from '../sync/sync-wakeups.js'
import { FakeAuthenticate } from './fake-authenticate.js'
import { httpCaller, testRoomService, useTestServers, type CallHttp } from './http-test-client.js'
import { SERVER_NAME } from './room-kit.js'
import type { RoomTestStorage } from './room-storages.js'
import { startTestServer, type TestServer } from './test-server.js'

export interface PushTestServices {
  readonly rooms: RoomService
  readonly storage: Storage
  readonly sync: SyncService
  readonly receipts: ReceiptService
  readonly pushRules: PushRulesService
}

export interface PushTestServer {
  readonly server: TestServer
  readonly rooms: RoomService
  readonly users: FakeAuthenticate
  readonly storage: Storage
  readonly processor: PushProcessor
  readonly call: CallHttp
  close(): Promise<void>
}

export async function startPushTestServer(
  storage: Storage,
  processorOptions: Partial<PushProcessorOptions> = {},
): Promise<PushTestServer> {
  const rooms = testRoomService(storage)
  const wakeups = new SyncWakeups(storage.streams.notifier)
  const processor = new PushProcessor({
    storage,
    serverName: SERVER_NAME,
    now: Date.now,
    ...processorOptions,
  })
  processor.start()
  const sync = new SyncService({
    storage,
    serializer: rooms.serializer,
    pdus: rooms.pipeline.pdus,
    wakeups,
    unread: new PushCounts(storage),
  })
  const users = new FakeAuthenticate(storage)
  const routes: Route<PushTestServices>[] = [
    ...roomRoutes,
    syncRoute,
    postFilterRoute,
    getFilterRoute,
    ...accountDataRoutes,
    ...receiptRoutes,
    ...pushRulesRoutes,
    getNotificationsRoute,
  ]
  const server = await startTestServer<PushTestServices>({
    routes,
    services: {
      rooms,
      storage,
      sync,
      receipts: new ReceiptService(storage, Date.now),
      pushRules: new PushRulesService(storage.accountData),
    },
    authenticate: users.authenticate,
  })
  return {
    server,
    rooms,
    users,
    storage,
    processor,
    call: httpCaller(server.url),
    async close() {
      wakeups.close()
      await server.close()
      await processor.close()
    },
  }
}

/** A fresh storage and server for each call, both closed after the test. */
export function usePushTestServer(
  kind: RoomTestStorage,
): (options?: Partial<PushProcessorOptions>) => Promise<PushTestServer> {
  return useTestServers(kind, startPushTestServer)
}

/**
 * FOR TESTS ONLY. Rooms, sync, receipts, read markers, push rules and notifications over real
 * HTTP on a given storage, with a push processor following the stream as the server runs it.
 */
import { afterEach } from 'vitest'
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
import { createRoomService, type RoomService } from '../rooms/room-service.js'
import type { Storage } from '../storage/interface.js'
import { SyncService } from '../sync/sync-service.js'
import { SyncWakeups } from '../sync/sync-wakeups.js'
import { storedTransactionIds } from '../sync/transaction-id-lookup.js'
import { FakeAuthenticate, type TestUser } from './fake-authenticate.js'
import type { HttpReply } from './room-test-server.js'
import { crypto, SERVER_NAME, SIGNING_KEY } from './room-kit.js'
import { useRoomStorage, type RoomTestStorage } from './room-storages.js'
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
  call(
    method: string,
    path: string,
    options?: { readonly user?: TestUser; readonly body?: unknown; readonly raw?: string },
  ): Promise<HttpReply>
  close(): Promise<void>
}

export async function startPushTestServer(
  storage: Storage,
  processorOptions: Partial<PushProcessorOptions> = {},
): Promise<PushTestServer> {
  const rooms = createRoomService({
    storage,
    serverName: SERVER_NAME,
    signingKey: SIGNING_KEY,
    crypto,
    now: Date.now,
    transactionIds: storedTransactionIds(storage),
  })
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
    unread: new PushCounts(storage, processor),
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
    async call(method, path, { user, body, raw } = {}) {
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
    },
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
  const open = useRoomStorage(kind)
  const servers: PushTestServer[] = []
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()))
  })
  return async (options) => {
    const server = await startPushTestServer(await open(), options)
    servers.push(server)
    return server
  }
}

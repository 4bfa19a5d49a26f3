import { mkdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import {
  err,
  ok,
  type CryptoProvider,
  type Result,
  type RoomId,
  type RoomVersionRules,
  type ServerName,
} from '@rhizome/core'
import { nodeCryptoProvider } from '@rhizome/crypto-node'
import { E2eeFederation } from '../e2ee/e2ee-federation.js'
import { E2eeService } from '../e2ee/e2ee-service.js'
import { RemoteDeviceLists } from '../e2ee/remote-device-lists.js'
import { INBOUND_MESSAGE_ID_RETENTION_MS } from '../e2ee/inbound-e2ee-edus.js'
import { createEduHandlers } from '../federation/edu/edu-handlers.js'
import { EduOutbox } from '../federation/edu/edu-outbox.js'
import { setUpFederation } from '../federation/federation-setup.js'
import { receiveOutOfBandEvent } from '../federation/membership/out-of-band-receiver.js'
import { createRoomFederation } from '../federation/room-federation.js'
import { createRemoteMediaFetcher } from '../federation/queries/remote-media.js'
import { createRemoteQueries } from '../federation/queries/remote-queries.js'
import type { FastifyInstance } from 'fastify'
import { createAccountService } from '../accounts/create-account-service.js'
import {
  DEVICE_SEEN_INTERVAL_MS,
  DEVICE_SEEN_MAX_DEVICES,
  DeviceActivity,
} from '../accounts/device-activity.js'
import type { Config, DatabaseConfig, ListenerConfig } from '../config/config.js'
import type { Authenticate } from '../http/authenticate.js'
import { createHttpApp, type TlsMaterial } from '../http/create-http-app.js'
import { defaultWebClientDir, hasWebClient } from '../http/web-client.js'
import { createServerKeyPublisher } from '../keys/server-keys.js'
import { loadOrCreateSigningKey } from '../keys/signing-key-file.js'
import { DirectoryService } from '../directory/directory-service.js'
import type { Logger } from '../logging/logger.js'
import { MediaFiles } from '../media/media-files.js'
import { MediaService } from '../media/media-service.js'
import { UrlPreviewService } from '../media/url-preview/url-preview-service.js'
import { createMemoryRateLimiter } from '../rate-limit/memory-rate-limiter.js'
import { presenceFederation } from '../presence/presence-federation.js'
import { PresenceService } from '../presence/presence-service.js'
import { storedMemberProfiles } from '../profiles/member-profiles.js'
import { ProfileService } from '../profiles/profile-service.js'
import { PushProcessor } from '../push/push-processor.js'
import { HttpPusher } from '../push/http-pusher.js'
import { PushRulesService } from '../push/push-rules-service.js'
import { PushCounts } from '../push/unread-counts.js'
import { receiptFederation } from '../receipts/receipt-federation.js'
import { ReceiptService } from '../receipts/receipt-service.js'
import { partDeactivatedUsers, partFromAllRooms } from '../rooms/part-deactivated.js'
import { createRoomService } from '../rooms/room-service.js'
import { PduLoader } from '../rooms/pdu-loader.js'
import { backfillRoom } from '../federation/history/request-backfill.js'
import type { Storage } from '../storage/interface.js'
import { openStorage } from '../storage/open-storage.js'
import { SyncService } from '../sync/sync-service.js'
import { SyncWakeups } from '../sync/sync-wakeups.js'
import { storedTransactionIds } from '../sync/transaction-id-lookup.js'
import { SweepTimer } from '../timers/sweep-timer.js'
import { typingFederation } from '../typing/typing-federation.js'
import { TypingService } from '../typing/typing-service.js'
import { describeDatabase } from './describe-database.js'
import { routesFor } from './routes.js'
import type { Services } from './services.js'

export interface StartOptions {
  readonly crypto?: CryptoProvider
  readonly now?: () => number
}

export interface BoundListener {
  readonly listener: ListenerConfig
  /** The port actually bound (differs from the configured one when that is 0). */
  readonly port: number
  /** http(s)://host:port/ of this listener. */
  readonly url: string
}

export interface RunningHomeserver {
  readonly config: Config
  readonly listeners: readonly BoundListener[]
  /** Stops accepting connections and waits for requests in flight. */
  close(): Promise<void>
}

/** How often a closing server drops connections that have gone idle. */
const CLOSE_SWEEP_MS = 50
/** How long in-flight requests get to finish when the server closes. */
const CLOSE_GRACE_MS = 10_000
/** How often media IDs reserved by /create that lapsed without content are forgotten. */
const HOURLY_SWEEP_MS = 60 * 60 * 1000

/**
 * The composition root: builds every service from the configuration, wires them into one HTTP
 * application per listener and starts listening. Anything that can fail (TLS files, the data
 * directory, the signing key, a port in use) fails before the server is reachable, and whatever
 * was already listening is closed again: the server starts whole or not at all.
 */
export async function startHomeserver(
  config: Config,
  logger: Logger,
  options: StartOptions = {},
): Promise<Result<RunningHomeserver, string>> {
  const crypto = options.crypto ?? nodeCryptoProvider
  const now = options.now ?? Date.now

  const tls = await readTlsFiles(config.listeners)
  if (!tls.ok) return tls
  try {
    await mkdir(config.dataDir, { recursive: true, mode: 0o700 })
  } catch (e) {
    return err(`data_dir: cannot create ${config.dataDir}: ${messageOf(e)}`)
  }
  const keys = await loadOrCreateSigningKey(config.signingKeyPath, crypto)
  if (!keys.ok) return err(`signing_key_path: ${keys.error}`)
  if (keys.value.created) {
    logger.info(
      { path: config.signingKeyPath, key_id: keys.value.active.keyId },
      'created a new signing key',
    )
  }
  if (keys.value.readableByOthers) {
    logger.warn(
      { path: config.signingKeyPath },
      'the signing key file is readable by other users: chmod 600 it',
    )
  }

  let storage: Storage
  try {
    storage = await openStorage(databaseUrl(config.database), { logger, now })
  } catch (e) {
    return err(`database: cannot open ${describeDatabase(config.database)}: ${messageOf(e)}`)
  }

  const serverKeys = createServerKeyPublisher(
    { serverName: config.serverName, active: keys.value.active, others: keys.value.others },
    crypto,
    now,
  )
  const federation = await setUpFederation({
    config,
    storage,
    signingKey: keys.value.active,
    otherKeys: keys.value.others,
    serverKeys,
    crypto,
    now,
    logger,
  })
  if (!federation.ok) {
    await storage.close()
    return federation
  }

  // Asking other servers for what a client wants of theirs. With federation off, nothing is
  // asked: other servers' users, aliases and media are not found.
  const remote = config.federation.enabled
    ? { remote: createRemoteQueries(federation.value.requester) }
    : {}
  // Other servers' users' device lists, kept so that their keys are served at once, and while
  // their servers are down.
  const remoteDeviceLists =
    remote.remote === undefined
      ? undefined
      : new RemoteDeviceLists({
          storage,
          serverName: config.serverName,
          remote: remote.remote,
          now,
          logger,
        })

  // Rooms shared with other servers: joins through them, and this server's events sent out.
  const { sender, requester } = federation.value
  // This server's users' device and key changes, and to-device messages, for other servers.
  const e2eeFederation =
    sender === undefined
      ? undefined
      : new E2eeFederation({ storage, serverName: config.serverName, sender, logger })
  // This server's users' typing, public receipts and presence, for the servers in their rooms.
  const eduOutbox =
    sender === undefined
      ? undefined
      : new EduOutbox({ storage, serverName: config.serverName, sender, logger })
  const roomFederation = createRoomFederation({
    storage,
    serverName: config.serverName,
    sender,
    remoteJoin: config.federation.enabled
      ? {
          storage,
          requester,
          keys: federation.value.keys.fetcher,
          crypto,
          serverName: config.serverName,
          signingKey: keys.value.active,
          now,
          logger,
        }
      : undefined,
    remote: config.federation.enabled ? createRemoteQueries(requester) : undefined,
    logger,
    ...(config.federation.enabled
      ? {
          backfill: (roomId: RoomId, limit: number) =>
            backfillRoom(
              {
                storage,
                pdus: new PduLoader(storage.events),
                crypto,
                keys: federation.value.keys.fetcher,
                requester,
                serverName: config.serverName,
                logger,
                ...(sender === undefined
                  ? {}
                  : { isBackingOff: (server: ServerName) => sender.isBackingOff(server) }),
              },
              roomId,
              limit,
            ),
        }
      : {}),
  })
  const rooms = createRoomService({
    storage,
    serverName: config.serverName,
    signingKey: keys.value.active,
    crypto,
    now,
    transactionIds: storedTransactionIds(storage),
    profile: storedMemberProfiles(storage),
    federation: roomFederation,
  })
  const roomRules = (roomId: RoomId): Promise<RoomVersionRules | undefined> =>
    rooms.pipeline.roomRules(roomId)
  // Subscribed before any request reads a stream position, so no wake-up is lost.
  const wakeups = new SyncWakeups(storage.streams.notifier)
  // Push rules are evaluated after commit, off the send path (push/push-processor.ts).
  const pusher = new HttpPusher({ storage, logger })
  pusher.start()
  const pushProcessor = new PushProcessor({
    storage,
    serverName: config.serverName,
    now,
    logger,
    pusher,
  })
  pushProcessor.start()
  const rateLimiter = createMemoryRateLimiter(config.rateLimiting, now)
  const deviceActivity = new DeviceActivity({
    record: (userId, deviceId, ts, ip) =>
      storage.accounts.recordDeviceSeen(userId, deviceId, ts, ip),
    now,
    intervalMs: DEVICE_SEEN_INTERVAL_MS,
    maxDevices: DEVICE_SEEN_MAX_DEVICES,
    onError: (error) => {
      logger.warn({ err: error }, 'could not record when a device was last seen')
    },
  })
  const parting = { rooms, storage, log: logger }
  const accounts = createAccountService(config, storage, rateLimiter, now, {
    deviceActivity,
    afterDeactivation: async (userId) => {
      await partFromAllRooms(userId, parting)
    },
    afterDevicesDeleted: async (userId, deviceIds) => {
      await e2eeFederation?.devicesDeleted(userId, deviceIds)
    },
    // The E2EE service comes later (it needs this one's UIA); renames happen only once serving.
    afterDeviceRenamed: (userId, deviceId) => services.e2ee.deviceRenamed(userId, deviceId),
  })
  const presence = config.presence.enabled
    ? new PresenceService({
        storage,
        now,
        logger,
        ...(eduOutbox === undefined ? {} : { federation: presenceFederation(eduOutbox, now) }),
      })
    : undefined
  const typing = new TypingService({
    storage,
    now,
    logger,
    ...(eduOutbox === undefined ? {} : { federation: typingFederation(eduOutbox) }),
    ...(presence === undefined
      ? {}
      : {
          onActivity: (userId) => {
            presence.userActive(userId)
          },
        }),
  })
  presence?.start()
  typing.start()
  const media = new MediaService({
    store: storage.media,
    files: new MediaFiles(join(config.dataDir, 'media')),
    serverName: config.serverName,
    config: config.media,
    now,
    ...(config.federation.enabled
      ? {
          remote: createRemoteMediaFetcher({
            requester: federation.value.bytesRequester,
            allowPrivateAddresses: config.federation.allowPrivateAddresses,
          }),
        }
      : {}),
  })
  // Hourly housekeeping: media IDs from /create never uploaded to, and the message IDs of
  // other servers' to-device messages once no resend of them can come.
  const hourlySweep = new SweepTimer({
    run: async () => {
      await media.sweepLapsed().catch((error: unknown) => {
        logger.warn({ err: error }, 'could not forget lapsed media IDs')
      })
      await storage.toDevice
        .forgetInboundIds(now() - INBOUND_MESSAGE_ID_RETENTION_MS)
        .catch((error: unknown) => {
          logger.warn({ err: error }, 'could not forget old to-device message IDs')
        })
      return undefined
    },
    intervalMs: HOURLY_SWEEP_MS,
    now,
    onError: (error) => {
      logger.warn({ err: error }, 'the hourly sweep failed')
    },
  })
  hourlySweep.start()
  const services: Services = {
    config,
    now,
    accounts,
    serverKeys,
    keyNotary: federation.value.keys.keyNotary,
    federationReceiver: {
      storage,
      pdus: rooms.pipeline.pdus,
      crypto,
      keys: federation.value.keys.fetcher,
      roomRules,
      requester,
      logger,
      outOfBand: (pdu) =>
        receiveOutOfBandEvent(
          { storage, crypto, keys: federation.value.keys.fetcher, serverName: config.serverName },
          pdu,
        ),
      edus: createEduHandlers({
        storage,
        now,
        logger,
        serverName: config.serverName,
        typing,
        presenceEnabled: config.presence.enabled,
        ...(remoteDeviceLists === undefined ? {} : { deviceLists: remoteDeviceLists }),
      }),
    },
    federationHistory: { storage, pdus: rooms.pipeline.pdus, serverName: config.serverName, now },
    residentJoin: {
      storage,
      pdus: rooms.pipeline.pdus,
      crypto,
      keys: federation.value.keys.fetcher,
      serverName: config.serverName,
      signingKey: keys.value.active,
      now,
      roomRules,
      forward: roomFederation.forward,
    },
    rooms,
    storage,
    sync: new SyncService({
      storage,
      serializer: rooms.serializer,
      pdus: rooms.pipeline.pdus,
      wakeups,
      now,
      unread: new PushCounts(storage),
      ...(presence === undefined ? {} : { presence }),
    }),
    typing,
    presence,
    pushRules: new PushRulesService(storage.accountData),
    receipts: new ReceiptService(
      storage,
      now,
      eduOutbox === undefined ? undefined : receiptFederation(eduOutbox),
    ),
    httpPusher: pusher,
    e2ee: new E2eeService({
      storage,
      serverName: config.serverName,
      crypto,
      uia: accounts.uia,
      logger,
      ...remote,
      ...(remoteDeviceLists === undefined ? {} : { deviceLists: remoteDeviceLists }),
      ...(e2eeFederation === undefined ? {} : { federation: e2eeFederation }),
    }),
    media,
    urlPreviews: config.media.urlPreviewEnabled
      ? new UrlPreviewService({
          media,
          allowPrivateAddresses: config.media.urlPreviewAllowPrivateAddresses,
          now,
        })
      : undefined,
    profiles: new ProfileService({
      storage,
      serverName: config.serverName,
      pipeline: rooms.pipeline,
      ...remote,
    }),
    directory: new DirectoryService({
      storage,
      serverName: config.serverName,
      pipeline: rooms.pipeline,
      now,
      ...remote,
    }),
  }
  const authenticate: Authenticate = accounts.authenticate

  const apps: FastifyInstance[] = []
  let background: Promise<unknown> = Promise.resolve()
  const closeAll = async (): Promise<void> => {
    // Long-polling /sync requests answer now, or closing would wait out their timeouts.
    wakeups.close()
    // A connection busy when closing began goes idle once its response is sent, and keep-alive
    // would then hold it (and so the shutdown) open for its idle timeout: close connections as
    // they go idle, and after a grace period close whatever is left.
    const sweep = setInterval(() => {
      for (const app of apps) app.server.closeIdleConnections()
    }, CLOSE_SWEEP_MS)
    const deadline = setTimeout(() => {
      for (const app of apps) app.server.closeAllConnections()
    }, CLOSE_GRACE_MS)
    try {
      await Promise.allSettled(apps.map((app) => app.close()))
    } finally {
      clearInterval(sweep)
      clearTimeout(deadline)
    }
    // Requests in flight have finished, and background work is waited for: nothing uses the
    // database any more.
    await background
    await Promise.all([
      typing.close(),
      presence?.close(),
      pushProcessor.close(),
      hourlySweep.close(),
    ])
    await eduOutbox?.settled()
    await pusher.close()
    await federation.value.close()
    await storage.close()
  }
  const webClientDir = config.webClient.dir ?? defaultWebClientDir()
  const webClient = config.webClient.enabled && hasWebClient(webClientDir)
  if (config.webClient.enabled && !webClient) {
    logger.warn(
      { dir: webClientDir },
      'the web app is not built here (npm run build), so / serves nothing',
    )
  }
  const bound: BoundListener[] = []
  for (const [i, listener] of config.listeners.entries()) {
    const material = tls.value[i]
    let app: FastifyInstance
    try {
      app = createHttpApp({
        logger,
        routes: routesFor(listener.resources),
        services,
        authenticate,
        rateLimiter,
        authenticateServer: federation.value.keys.authenticateServer,
        maxBodySize: config.http.maxJsonBodySize,
        trustProxy: listener.xForwarded,
        ...(material === undefined ? {} : { tls: material }),
        ...(webClient && listener.resources.includes('client') ? { webClientDir } : {}),
      })
      apps.push(app)
      await app.listen({ host: listener.bind, port: listener.port })
    } catch (e) {
      // A certificate that does not parse fails here too, as does a port already in use.
      await closeAll()
      return err(
        `listeners[${i}]: cannot listen on ${listener.bind}:${listener.port}: ${messageOf(e)}`,
      )
    }
    const address = app.server.address()
    const port = typeof address === 'object' && address !== null ? address.port : listener.port
    const host = listener.bind.includes(':') ? `[${listener.bind}]` : listener.bind
    const url = `${listener.tls === undefined ? 'http' : 'https'}://${host}:${port}/`
    bound.push({ listener, port, url })
    logger.info({ url, resources: listener.resources }, 'listening')
  }

  logger.info(
    { server_name: config.serverName, database: describeDatabase(config.database) },
    'homeserver started',
  )
  if (config.registration.enabled && !config.registration.registrationTokenRequired) {
    logger.warn('registration is open: anyone who can reach this server can create an account')
  }
  // Deactivations that a crash or a restart interrupted are finished beside the serving.
  // So is what is queued for other servers: delivering it tells them this server is back.
  background = Promise.all([
    partDeactivatedUsers(parting).catch((error: unknown) => {
      logger.warn({ err: error }, 'could not finish parting deactivated users from their rooms')
    }),
    federation.value.start().catch((error: unknown) => {
      logger.warn({ err: error }, 'could not start delivering queued federation traffic')
    }),
  ])
  return ok({ config, listeners: bound, close: closeAll })
}

/** The storage URL (storage/storage-url.ts) of the configured database. */
function databaseUrl(database: DatabaseConfig): string {
  return database.kind === 'sqlite' ? `sqlite:${database.path}` : database.url
}

/** Each listener's certificate and key, read before anything starts. */
async function readTlsFiles(
  listeners: readonly ListenerConfig[],
): Promise<Result<(TlsMaterial | undefined)[], string>> {
  const out: (TlsMaterial | undefined)[] = []
  for (const [i, listener] of listeners.entries()) {
    if (listener.tls === undefined) {
      out.push(undefined)
      continue
    }
    const cert = await readOrExplain(
      listener.tls.certificatePath,
      `listeners[${i}].tls.certificate`,
    )
    if (!cert.ok) return cert
    const key = await readOrExplain(listener.tls.keyPath, `listeners[${i}].tls.key`)
    if (!key.ok) return key
    out.push({ cert: cert.value, key: key.value })
  }
  return ok(out)
}

async function readOrExplain(path: string, key: string): Promise<Result<Buffer, string>> {
  try {
    return ok(await readFile(path))
  } catch (e) {
    return err(`${key}: cannot read ${path}: ${messageOf(e)}`)
  }
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e)
}

/**
 * Federation's moving parts, built from the configuration in dependency order: the request
 * signer, the client (which signs with it), the key fetcher and notary with the inbound
 * authenticator (which fetch through the client), and the sender (which sends through the client
 * and hears from the authenticator when a server is back). With federation switched off there is
 * no client and no sender: the notary answers from what it has, and nothing leaves the server.
 */
import { hostname } from 'node:os'
import { err, ok, type CryptoProvider, type Result, type SigningKey } from '@rhizome/core'
import type { Config } from '../config/config.js'
import type { ServerKeyPublisher } from '../keys/server-keys.js'
import type { Logger } from '../logging/logger.js'
import type { Storage } from '../storage/interface.js'
import { createRequestSigner } from './auth/x-matrix.js'
import { createFederationKeys, type FederationKeys } from './keys/federation-keys.js'
import { createFederationSender, type FederationSender } from './sender/federation-sender.js'
import {
  createFederationClient,
  type FederationBytesRequester,
  type FederationClient,
  type FederationFailure,
  type FederationRequester,
} from './transport/federation-client.js'

export interface FederationSetup {
  readonly keys: FederationKeys
  /** Undefined when federation is off. */
  readonly sender: FederationSender | undefined
  readonly requester: FederationRequester
  /** Signed requests whose answers are bytes (remote media); refuses when federation is off. */
  readonly bytesRequester: FederationBytesRequester
  /** Delivers what is queued (a restarted server telling the others it is back). */
  start(): Promise<void>
  close(): Promise<void>
}

export interface FederationSetupDeps {
  readonly config: Config
  readonly storage: Storage
  readonly signingKey: SigningKey
  readonly otherKeys: readonly SigningKey[]
  readonly serverKeys: ServerKeyPublisher
  readonly crypto: CryptoProvider
  readonly now: () => number
  readonly logger: Logger
}

/** Answers every request with `refused`: federation is switched off. */
const SWITCHED_OFF: FederationRequester = {
  request: () => Promise.resolve(refused()),
  get: () => Promise.resolve(refused()),
}

const SWITCHED_OFF_BYTES: FederationBytesRequester = {
  requestBytes: () => Promise.resolve(refused()),
}

function refused(): Result<never, FederationFailure> {
  return err({ kind: 'refused', message: 'federation is switched off in the configuration' })
}

export async function setUpFederation(
  deps: FederationSetupDeps,
): Promise<Result<FederationSetup, string>> {
  const { config, storage, crypto, now, logger } = deps
  const { serverName } = config
  let client: FederationClient | undefined
  if (config.federation.enabled) {
    const created = await createFederationClient({
      serverName,
      signer: createRequestSigner(serverName, deps.signingKey, crypto),
      federation: config.federation,
      logger,
      now,
    })
    if (!created.ok) return err(`federation: ${created.error}`)
    client = created.value
  }
  const requester = client ?? SWITCHED_OFF
  let sender: FederationSender | undefined
  const keys = createFederationKeys({
    serverName,
    signingKey: deps.signingKey,
    otherKeys: deps.otherKeys,
    serverKeys: deps.serverKeys,
    requester,
    store: storage.remoteKeys,
    trustedKeyServers: config.federation.trustedKeyServers ?? [],
    crypto,
    now,
    // Hearing from a server is the sign that it is back: its queue goes out at once.
    onAuthenticated: (origin) => {
      if (sender !== undefined) void sender.markAlive(origin)
    },
    logger,
  })
  if (client !== undefined) {
    sender = createFederationSender({
      serverName,
      owner: workerIdentity(config),
      queue: storage.federationQueue,
      requester: client,
      logger,
      now,
    })
  }
  let closing: Promise<void> | undefined
  return ok({
    keys,
    sender,
    requester,
    bytesRequester: client ?? SWITCHED_OFF_BYTES,
    start: async () => {
      await sender?.start()
    },
    // Closing twice (a failed start closes what it opened, then its caller may close again)
    // closes once: the client's connection pool refuses a second close.
    close: () => {
      closing ??= (async () => {
        await sender?.close()
        await client?.close()
      })()
      return closing
    },
  })
}

/**
 * This worker among those sharing a database: its host and the addresses it listens on, which no
 * two running workers share, and which stay the same when the worker restarts.
 */
function workerIdentity(config: Config): string {
  const listeners = config.listeners.map((l) => `${l.bind}:${l.port}`).join(',')
  return `${hostname()}/${listeners}`
}

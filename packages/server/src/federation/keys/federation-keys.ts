/**
 * The key fetcher, the notary and the inbound authenticator, built together from what they share.
 * The request signer is made on its own (createRequestSigner) because the federation client
 * needs it before it exists, and this needs the client.
 */
import type { CryptoProvider, ServerName, SigningKey } from '@rhizome/core'
import type { ServerKeyPublisher } from '../../keys/server-keys.js'
import type { Logger } from '../../logging/logger.js'
import {
  createFederationAuthenticator,
  type AuthenticateFederationRequest,
} from '../auth/authenticate-federation.js'
import type { FederationRequester } from '../transport/federation-client.js'
import { createKeyFetcher, type KeyFetcher } from './key-fetcher.js'
import { createKeyNotary, type KeyNotary } from './key-notary.js'
import type { RemoteKeyStore } from './remote-key-store.js'

export interface FederationKeysOptions {
  readonly serverName: ServerName
  /** The key this server signs with now. */
  readonly signingKey: SigningKey
  /** Further keys of this server that others may still use to verify it. */
  readonly otherKeys?: readonly SigningKey[]
  readonly serverKeys: ServerKeyPublisher
  readonly requester: Pick<FederationRequester, 'get' | 'request'>
  readonly store: RemoteKeyStore
  /** `federation.trusted_key_servers`. */
  readonly trustedKeyServers: readonly ServerName[]
  readonly crypto: CryptoProvider
  readonly now: () => number
  /** See FederationAuthOptions.onAuthenticated. */
  readonly onAuthenticated?: (origin: ServerName) => void
  readonly logger?: Pick<Logger, 'debug' | 'warn'>
}

export interface FederationKeys {
  readonly fetcher: KeyFetcher
  readonly keyNotary: KeyNotary
  readonly authenticateServer: AuthenticateFederationRequest
}

export function createFederationKeys(options: FederationKeysOptions): FederationKeys {
  const { serverName, crypto, now, logger } = options
  const fetcher = createKeyFetcher({
    serverName,
    ownKeys: [options.signingKey, ...(options.otherKeys ?? [])],
    requester: options.requester,
    store: options.store,
    trustedKeyServers: options.trustedKeyServers,
    crypto,
    now,
    ...(logger === undefined ? {} : { logger }),
  })
  const keyNotary = createKeyNotary({
    serverName,
    signingKey: options.signingKey,
    serverKeys: options.serverKeys,
    fetcher,
    store: options.store,
    crypto,
    now,
  })
  const authenticateServer = createFederationAuthenticator({
    serverName,
    keys: fetcher,
    crypto,
    now,
    ...(options.onAuthenticated === undefined ? {} : { onAuthenticated: options.onAuthenticated }),
    ...(logger === undefined ? {} : { logger }),
  })
  return { fetcher, keyNotary, authenticateServer }
}

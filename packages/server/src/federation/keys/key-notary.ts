/**
 * This server as a notary (server-server-api §Querying Keys Through Another Server): other
 * servers' key responses, from the cache or fetched from them, countersigned with our key.
 */
import {
  isJsonObject,
  signJson,
  type CryptoProvider,
  type JsonObject,
  type ServerName,
  type SigningKey,
} from '@rhizome/core'
import type { ServerKeyPublisher } from '../../keys/server-keys.js'
import type { KeyFetcher } from './key-fetcher.js'
import type { RemoteKeyResponse, RemoteKeyStore } from './remote-key-store.js'

/** How soon a server that was just asked for its keys is asked again, whatever the query says. */
export const NOTARY_REFETCH_INTERVAL_MS = 60_000

/** What one server's keys are wanted for. */
export interface NotaryCriteria {
  /** The key IDs asked about; empty for all keys. */
  readonly keyIds: readonly string[]
  /** The responses should be valid until at least then (the spec: now when not given). */
  readonly minimumValidUntilTs: number
}

export interface KeyNotary {
  /**
   * A countersigned key response for each server that has one: cached, or fetched when the cache
   * is not valid long enough, lacks a key asked about, or is past half its lifetime. A server that
   * cannot be reached is answered from the cache, and left out when nothing is cached.
   */
  query(criteria: ReadonlyMap<ServerName, NotaryCriteria>): Promise<readonly JsonObject[]>
}

export interface KeyNotaryOptions {
  readonly serverName: ServerName
  /** The key this server countersigns with. */
  readonly signingKey: SigningKey
  /** This server's own published keys, answered when it is itself asked about. */
  readonly serverKeys: ServerKeyPublisher
  readonly fetcher: Pick<KeyFetcher, 'fetchDirect'>
  readonly store: Pick<RemoteKeyStore, 'getResponse'>
  readonly crypto: CryptoProvider
  readonly now: () => number
}

export function createKeyNotary(options: KeyNotaryOptions): KeyNotary {
  /** When each server was last asked, so that a flood of queries cannot make us flood it. */
  const lastAsked = new Map<ServerName, number>()
  const inFlight = new Map<ServerName, Promise<RemoteKeyResponse | undefined>>()

  const fetchFresh = (serverName: ServerName): Promise<RemoteKeyResponse | undefined> => {
    const running = inFlight.get(serverName)
    if (running !== undefined) return running
    lastAsked.set(serverName, options.now())
    const flight = options.fetcher
      .fetchDirect(serverName)
      .then((fetched) => (fetched.ok ? fetched.value : undefined))
      .finally(() => inFlight.delete(serverName))
    inFlight.set(serverName, flight)
    return flight
  }

  const responseFor = async (
    serverName: ServerName,
    criteria: NotaryCriteria,
  ): Promise<JsonObject | undefined> => {
    if (serverName === options.serverName) return options.serverKeys.current()
    const now = options.now()
    let response = await options.store.getResponse(serverName)
    const asked = lastAsked.get(serverName)
    const mayAsk = asked === undefined || now - asked >= NOTARY_REFETCH_INTERVAL_MS
    if (mayAsk && needsRefresh(response, criteria, now)) {
      forgetOldAsks(lastAsked, now)
      response = (await fetchFresh(serverName)) ?? response
    }
    if (response === undefined) return undefined
    return signJson(response.response, options.serverName, options.signingKey, options.crypto)
  }

  return {
    async query(criteria) {
      const answers = await Promise.all(
        [...criteria].map(([serverName, wanted]) => responseFor(serverName, wanted)),
      )
      return answers.filter((answer): answer is JsonObject => answer !== undefined)
    },
  }
}

function needsRefresh(
  cached: RemoteKeyResponse | undefined,
  criteria: NotaryCriteria,
  now: number,
): boolean {
  if (cached === undefined) return true
  if (cached.validUntilTs < criteria.minimumValidUntilTs) return true
  // The spec asks notaries to cache a response for half its lifetime.
  if (now >= cached.fetchedTs + (cached.validUntilTs - cached.fetchedTs) / 2) return true
  return criteria.keyIds.some((keyId) => !publishes(cached.response, keyId))
}

function publishes(response: JsonObject, keyId: string): boolean {
  for (const field of ['verify_keys', 'old_verify_keys']) {
    const keys = response[field]
    if (isJsonObject(keys) && Object.hasOwn(keys, keyId)) return true
  }
  return false
}

function forgetOldAsks(lastAsked: Map<ServerName, number>, now: number): void {
  if (lastAsked.size < 1024) return
  for (const [serverName, at] of lastAsked) {
    if (now - at >= NOTARY_REFETCH_INTERVAL_MS) lastAsked.delete(serverName)
  }
}

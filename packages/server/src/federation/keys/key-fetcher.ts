/**
 * Other servers' signing keys, on demand (server-server-api §Retrieving server keys): from the
 * store when it has a key valid for long enough, else from the server's own key server, else from
 * the configured notaries, else from the notaries the caller names (the server that handed over
 * the events being checked, which must have checked them itself and so holds their keys: a room
 * stays joinable and readable while one of its servers is down). Everything fetched is checked
 * before it is stored.
 */
import {
  decodeBase64,
  err,
  isJsonObject,
  ok,
  verifyJsonSignature,
  type CryptoProvider,
  type JsonObject,
  type Result,
  type RoomVersionRules,
  type ServerName,
  type SigningKey,
} from '@rhizome/core'
import type { Logger } from '../../logging/logger.js'
import type { FederationRequester } from '../transport/federation-client.js'
import { keysToStore, verifyKeyResponse, type VerifiedKeyResponse } from './key-response.js'
import type { RemoteKeyResponse, RemoteKeyStore, RemoteVerifyKey } from './remote-key-store.js'

/** How long a server whose key could not be found is not asked again for it. */
export const DEFAULT_NEGATIVE_CACHE_MS = 60_000
/** Key servers answer from memory; one that takes longer than this is treated as down. */
export const DEFAULT_KEY_FETCH_TIMEOUT_MS = 10_000

export interface ServerKeyLookup {
  /**
   * The public key `keyId` of `serverName`, provided the key is valid until at least
   * `minimumValidUntilTs` (see minimumValidUntilForEvent; the current time for requests). When
   * neither the server nor the configured notaries have it, `notaries` are asked. The error says
   * why not, for logs: unknown key, unreachable server, bad response.
   */
  verifyKey(
    serverName: ServerName,
    keyId: string,
    minimumValidUntilTs: number,
    notaries?: readonly ServerName[],
  ): Promise<Result<Uint8Array, string>>
}

export interface KeyFetcher extends ServerKeyLookup {
  /**
   * Asks `serverName`'s own key server for its keys, and stores them once verified. For the
   * notary, which must not relay other notaries' word.
   */
  fetchDirect(serverName: ServerName): Promise<Result<RemoteKeyResponse, string>>
}

export interface KeyFetcherOptions {
  /** This server: its keys are answered from `ownKeys`, never fetched. */
  readonly serverName: ServerName
  readonly ownKeys: readonly SigningKey[]
  readonly requester: Pick<FederationRequester, 'get' | 'request'>
  readonly store: RemoteKeyStore
  /** Notaries to ask when a server's own key server does not answer (`trusted_key_servers`). */
  readonly trustedKeyServers: readonly ServerName[]
  readonly crypto: CryptoProvider
  readonly now: () => number
  readonly negativeCacheMs?: number
  readonly timeoutMs?: number
  readonly logger?: Pick<Logger, 'debug' | 'warn'>
}

/**
 * What an event's signing key must be valid until (room version specifications, §Signing key
 * validity period): the event's `origin_server_ts` from room version 5 on; before that
 * `valid_until_ts` is ignored, so every known key will do.
 */
export function minimumValidUntilForEvent(rules: RoomVersionRules, originServerTs: number): number {
  return rules.eventFormat.enforceKeyValidity ? originServerTs : 0
}

export function createKeyFetcher(options: KeyFetcherOptions): KeyFetcher {
  return new CachingKeyFetcher(options)
}

class CachingKeyFetcher implements KeyFetcher {
  readonly #options: KeyFetcherOptions
  readonly #negativeCacheMs: number
  readonly #timeoutMs: number
  /** One fetch per server at a time; later askers wait for it (`#fetch`). */
  readonly #inFlight = new Map<ServerName, Promise<void>>()
  /** `server \n keyId` → until when a failed lookup is not retried. */
  readonly #failedUntil = new Map<string, number>()
  readonly #ownKeys: ReadonlyMap<string, Uint8Array>

  constructor(options: KeyFetcherOptions) {
    this.#options = options
    this.#negativeCacheMs = options.negativeCacheMs ?? DEFAULT_NEGATIVE_CACHE_MS
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_KEY_FETCH_TIMEOUT_MS
    this.#ownKeys = new Map(options.ownKeys.map((key) => [key.keyId, key.publicKey]))
  }

  verifyKey(
    serverName: ServerName,
    keyId: string,
    minimumValidUntilTs: number,
    notaries: readonly ServerName[] = [],
  ): Promise<Result<Uint8Array, string>> {
    const all = [...new Set([...this.#options.trustedKeyServers, ...notaries])]
    return this.#lookup(serverName, keyId, minimumValidUntilTs, all)
  }

  async fetchDirect(serverName: ServerName): Promise<Result<RemoteKeyResponse, string>> {
    const fetched = await this.#fetchOwn(serverName)
    if (!fetched.ok) return fetched
    const stored = keysToStore(fetched.value, this.#options.now())
    await this.#options.store.storeResponse(stored.response, stored.keys)
    return ok(stored.response)
  }

  async #lookup(
    serverName: ServerName,
    keyId: string,
    minimumValidUntilTs: number,
    notaries: readonly ServerName[],
  ): Promise<Result<Uint8Array, string>> {
    if (serverName === this.#options.serverName) {
      const own = this.#ownKeys.get(keyId)
      return own === undefined ? err(`this server has no key ${keyId}`) : ok(own)
    }
    const known = await this.#stored(serverName, keyId, minimumValidUntilTs)
    if (known !== undefined) return ok(known)
    // Other notaries may know what these did not: a failure holds for the same ones only.
    const failureKey = `${serverName}\n${keyId}\n${notaries.join(',')}`
    const failedUntil = this.#failedUntil.get(failureKey)
    const now = this.#options.now()
    if (failedUntil !== undefined) {
      if (now < failedUntil) {
        return err(`no key ${keyId} of ${serverName} (not asking again so soon)`)
      }
      this.#failedUntil.delete(failureKey)
    }
    let attempt = await this.#fetch(serverName, keyId, minimumValidUntilTs, notaries)
    let fetched = await this.#stored(serverName, keyId, minimumValidUntilTs)
    if (fetched === undefined && attempt.joined) {
      // The fetch joined was for another key or validity, and may not have asked for this one.
      attempt = await this.#fetch(serverName, keyId, minimumValidUntilTs, notaries)
      fetched = await this.#stored(serverName, keyId, minimumValidUntilTs)
    }
    if (fetched !== undefined) return ok(fetched)
    const problems = attempt.problems
    this.#forgetExpiredFailures(now)
    this.#failedUntil.set(failureKey, this.#options.now() + this.#negativeCacheMs)
    const why = problems.length > 0 ? `: ${problems.join('; ')}` : ''
    return err(`no key ${keyId} of ${serverName} valid until ${minimumValidUntilTs}${why}`)
  }

  async #stored(
    serverName: ServerName,
    keyId: string,
    minimumValidUntilTs: number,
  ): Promise<Uint8Array | undefined> {
    const [key] = await this.#options.store.getKeys(serverName, [keyId])
    if (key === undefined || key.validUntilTs < minimumValidUntilTs) return undefined
    return publicKeyOf(key)
  }

  /**
   * Fetches and stores `serverName`'s keys, joining a fetch already under way rather than
   * starting another. Returns whether it joined one, and what went wrong along the way.
   */
  async #fetch(
    serverName: ServerName,
    keyId: string,
    minimumValidUntilTs: number,
    notaries: readonly ServerName[],
  ): Promise<{ readonly joined: boolean; readonly problems: readonly string[] }> {
    const running = this.#inFlight.get(serverName)
    if (running !== undefined) {
      await running
      return { joined: true, problems: [] }
    }
    const problems: string[] = []
    const work = this.#fetchAndStore(serverName, keyId, minimumValidUntilTs, notaries, problems)
    const flight = work.finally(() => this.#inFlight.delete(serverName))
    this.#inFlight.set(serverName, flight)
    await flight
    return { joined: false, problems }
  }

  async #fetchAndStore(
    serverName: ServerName,
    keyId: string,
    minimumValidUntilTs: number,
    notaries: readonly ServerName[],
    problems: string[],
  ): Promise<void> {
    const direct = await this.#fetchOwn(serverName)
    if (direct.ok) {
      const stored = keysToStore(direct.value, this.#options.now())
      await this.#options.store.storeResponse(stored.response, stored.keys)
      if (satisfies(stored.keys, keyId, minimumValidUntilTs)) return
      problems.push(`${serverName} does not publish ${keyId} valid until ${minimumValidUntilTs}`)
    } else {
      problems.push(direct.error)
      this.#options.logger?.debug({ serverName, problem: direct.error }, 'key server fetch failed')
    }
    for (const notary of notaries) {
      if (notary === serverName || notary === this.#options.serverName) continue
      const relayed = await this.#fetchViaNotary(notary, serverName, keyId, minimumValidUntilTs)
      if (!relayed.ok) {
        problems.push(relayed.error)
        this.#options.logger?.warn({ serverName, notary, problem: relayed.error }, 'notary failed')
        continue
      }
      let found = false
      for (const response of relayed.value) {
        const stored = keysToStore(response, this.#options.now())
        await this.#options.store.storeResponse(stored.response, stored.keys)
        found ||= satisfies(stored.keys, keyId, minimumValidUntilTs)
      }
      if (found) return
    }
  }

  /** GET /_matrix/key/v2/server from the server itself, checked. */
  async #fetchOwn(serverName: ServerName): Promise<Result<VerifiedKeyResponse, string>> {
    const answer = await this.#options.requester.get(serverName, '/_matrix/key/v2/server', {
      timeoutMs: this.#timeoutMs,
    })
    if (!answer.ok) return err(`${serverName}'s key server: ${answer.error.message}`)
    const verified = verifyKeyResponse(answer.value.body, serverName, this.#options.crypto)
    if (!verified.ok) return err(`${serverName}'s key server: ${verified.error}`)
    return verified
  }

  /**
   * POST /_matrix/key/v2/query to `notary`: every response it returns for `serverName` must be
   * signed by `serverName` (checked as if fetched directly) and by the notary, whose own key is
   * fetched directly. Responses for other servers are ignored.
   */
  async #fetchViaNotary(
    notary: ServerName,
    serverName: ServerName,
    keyId: string,
    minimumValidUntilTs: number,
  ): Promise<Result<readonly VerifiedKeyResponse[], string>> {
    const query: JsonObject = {
      server_keys: {
        [serverName]: { [keyId]: { minimum_valid_until_ts: minimumValidUntilTs } },
      },
    }
    const answer = await this.#options.requester.request(
      notary,
      'POST',
      '/_matrix/key/v2/query',
      query,
      { timeoutMs: this.#timeoutMs },
    )
    if (!answer.ok) return err(`notary ${notary}: ${answer.error.message}`)
    const body = answer.value.body
    const list = isJsonObject(body) ? body['server_keys'] : undefined
    if (!Array.isArray(list)) return err(`notary ${notary}: the answer has no server_keys array`)
    const verified: VerifiedKeyResponse[] = []
    const problems: string[] = []
    for (const entry of list as readonly unknown[]) {
      if (!isJsonObject(entry) || entry['server_name'] !== serverName) continue
      const checked = verifyKeyResponse(entry, serverName, this.#options.crypto)
      if (!checked.ok) {
        problems.push(checked.error)
        continue
      }
      const countersigned = await this.#notarySigned(notary, entry)
      if (!countersigned.ok) {
        problems.push(countersigned.error)
        continue
      }
      verified.push(checked.value)
    }
    if (verified.length === 0) {
      const why = problems.length > 0 ? problems.join('; ') : `no keys of ${serverName}`
      return err(`notary ${notary}: ${why}`)
    }
    return ok(verified)
  }

  /** Whether `notary` signed `entry` with a key of its own that verifies. */
  async #notarySigned(notary: ServerName, entry: JsonObject): Promise<Result<void, string>> {
    const signatures = entry['signatures']
    const byNotary = isJsonObject(signatures) ? signatures[notary] : undefined
    if (!isJsonObject(byNotary)) return err(`notary ${notary} did not sign the keys it relayed`)
    for (const notaryKeyId of Object.keys(byNotary)) {
      const key = await this.#lookup(notary, notaryKeyId, this.#options.now(), [])
      if (!key.ok) continue
      const checked = verifyJsonSignature(
        entry,
        notary,
        notaryKeyId,
        key.value,
        this.#options.crypto,
      )
      if (checked.ok) return ok(undefined)
    }
    return err(`notary ${notary}'s signature on the keys it relayed does not verify`)
  }

  #forgetExpiredFailures(now: number): void {
    // Keeps the map from growing with every server that was ever down.
    if (this.#failedUntil.size < 1024) return
    for (const [key, until] of this.#failedUntil) {
      if (until <= now) this.#failedUntil.delete(key)
    }
  }
}

function satisfies(
  keys: readonly RemoteVerifyKey[],
  keyId: string,
  minimumValidUntilTs: number,
): boolean {
  return keys.some((key) => key.keyId === keyId && key.validUntilTs >= minimumValidUntilTs)
}

function publicKeyOf(key: RemoteVerifyKey): Uint8Array | undefined {
  const decoded = decodeBase64(key.key, { allowTrailingBits: true })
  return decoded.ok ? decoded.value : undefined
}

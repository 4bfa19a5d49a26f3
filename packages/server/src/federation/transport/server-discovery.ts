/**
 * Server discovery (server-server-api §Resolving server names): from a server name to the
 * addresses to connect to, the `Host` header to send and the name the certificate must be valid
 * for. The steps are taken in the spec's order; only `/.well-known` answers are cached, as the
 * spec asks (DNS answers are left to the system resolver, which knows their TTLs).
 */
import {
  err,
  ok,
  splitServerName,
  type Result,
  type ServerName,
  type ServerNameParts,
} from '@rhizome/core'
import type { DnsResolver, SrvRecord } from './dns-resolver.js'
import {
  delegatedServerName,
  failureLifetimeMs,
  wellKnownLifetimeMs,
  type WellKnownFetcher,
  type WellKnownResponse,
} from './well-known.js'

/** The port of a server name without one, when no SRV record names another. */
export const DEFAULT_FEDERATION_PORT = 8448

export interface ConnectTarget {
  /** An IP address, as DNS or the server name gave it. */
  readonly address: string
  readonly port: number
}

export interface ResolvedServer {
  /** Where to connect, best first. */
  readonly targets: readonly ConnectTarget[]
  /** The `Host` header to send. */
  readonly host: string
  /**
   * The name sent as SNI, which the certificate must be valid for; undefined when the server is
   * named by an IP literal, whose certificate must be valid for that address and which gets no SNI.
   */
  readonly tlsServerName: string | undefined
}

export interface ServerDiscoveryOptions {
  readonly resolver: DnsResolver
  readonly fetchWellKnown: WellKnownFetcher
  readonly now?: () => number
  /** For the weighted choice among SRV records of equal priority (RFC 2782). */
  readonly random?: () => number
  /** The most hostnames whose `/.well-known` answer is kept. */
  readonly maxCachedHosts?: number
}

interface CachedDelegation {
  /** Undefined: the request failed or was not a valid delegation. */
  readonly delegated: ServerName | undefined
  readonly expiresAt: number
  /** Failures in a row so far, for the back-off. */
  readonly failures: number
}

const DEFAULT_MAX_CACHED_HOSTS = 10_000

export class ServerDiscovery {
  readonly #resolver: DnsResolver
  readonly #fetchWellKnown: WellKnownFetcher
  readonly #now: () => number
  readonly #random: () => number
  readonly #maxCachedHosts: number
  readonly #cache = new Map<string, CachedDelegation>()
  /** One `/.well-known` request per hostname at a time, however many requests wait on it. */
  readonly #inFlight = new Map<string, Promise<ServerName | undefined>>()

  constructor(options: ServerDiscoveryOptions) {
    this.#resolver = options.resolver
    this.#fetchWellKnown = options.fetchWellKnown
    this.#now = options.now ?? Date.now
    this.#random = options.random ?? Math.random
    this.#maxCachedHosts = options.maxCachedHosts ?? DEFAULT_MAX_CACHED_HOSTS
  }

  async resolve(serverName: ServerName): Promise<Result<ResolvedServer, string>> {
    const parts = splitServerName(serverName)
    // Steps 1 and 2: an IP literal, or a hostname with an explicit port, is used as it is.
    const direct = await this.#resolveWithoutDelegation(serverName, parts)
    if (direct !== undefined) return direct
    // Step 3: a delegation, which is itself resolved by steps 3.1-3.5.
    const delegated = await this.#delegation(parts.host)
    if (delegated !== undefined) {
      const delegatedParts = splitServerName(delegated)
      const viaDelegation = await this.#resolveWithoutDelegation(delegated, delegatedParts)
      if (viaDelegation !== undefined) return viaDelegation
      return this.#resolveBareHostname(delegatedParts.host)
    }
    // Steps 4-6: SRV records of the name itself, then its own addresses.
    return this.#resolveBareHostname(parts.host)
  }

  /** Forget every cached `/.well-known` answer. */
  clearCache(): void {
    this.#cache.clear()
  }

  /** Steps 1/3.1 and 2/3.2, or undefined when the name is a hostname without a port. */
  async #resolveWithoutDelegation(
    name: ServerName,
    parts: ServerNameParts,
  ): Promise<Result<ResolvedServer, string> | undefined> {
    if (parts.kind !== 'dns') {
      return ok({
        targets: [{ address: parts.host, port: parts.port ?? DEFAULT_FEDERATION_PORT }],
        host: name,
        tlsServerName: undefined,
      })
    }
    if (parts.port === undefined) return undefined
    const port = parts.port
    const addresses = await this.#addresses(parts.host)
    if (!addresses.ok) return addresses
    return ok({
      targets: addresses.value.map((address) => ({ address, port })),
      host: name,
      tlsServerName: parts.host,
    })
  }

  /** Steps 3.3-3.5 and 4-6: SRV `_matrix-fed._tcp`, then `_matrix._tcp`, then port 8448. */
  async #resolveBareHostname(hostname: string): Promise<Result<ResolvedServer, string>> {
    for (const service of ['_matrix-fed._tcp', '_matrix._tcp']) {
      const records = await this.#resolver.resolveSrv(`${service}.${hostname}`)
      if (!records.ok) return records
      if (records.value.length === 0) continue
      const targets = await this.#srvTargets(records.value)
      if (!targets.ok) return err(`${service}.${hostname}: ${targets.error}`)
      return ok({ targets: targets.value, host: hostname, tlsServerName: hostname })
    }
    const addresses = await this.#addresses(hostname)
    if (!addresses.ok) return addresses
    return ok({
      targets: addresses.value.map((address) => ({ address, port: DEFAULT_FEDERATION_PORT })),
      host: hostname,
      tlsServerName: hostname,
    })
  }

  async #addresses(hostname: string): Promise<Result<readonly string[], string>> {
    const found = await this.#resolver.lookupAddresses(hostname)
    if (!found.ok) return found
    if (found.value.length === 0) return err(`${hostname} has no address`)
    return found
  }

  /** The addresses of the SRV targets in RFC 2782 order; targets that do not resolve are skipped. */
  async #srvTargets(records: readonly SrvRecord[]): Promise<Result<ConnectTarget[], string>> {
    // A lone record whose target is "." says the service is decidedly not offered here.
    if (records.length === 1 && (records[0]?.name === '.' || records[0]?.name === '')) {
      return err('the SRV record says the service is not available')
    }
    const targets: ConnectTarget[] = []
    const problems: string[] = []
    for (const record of orderSrv(records, this.#random)) {
      const name = record.name.endsWith('.') ? record.name.slice(0, -1) : record.name
      if (name === '') continue
      const addresses = await this.#resolver.lookupAddresses(name)
      if (!addresses.ok) {
        problems.push(addresses.error)
        continue
      }
      for (const address of addresses.value) targets.push({ address, port: record.port })
    }
    if (targets.length === 0) {
      return err(problems[0] ?? 'no SRV target has an address')
    }
    return ok(targets)
  }

  /** The delegated server name of `hostname`, from the cache or a fresh request. */
  async #delegation(hostname: string): Promise<ServerName | undefined> {
    const key = hostname.toLowerCase()
    const cached = this.#cache.get(key)
    if (cached !== undefined && cached.expiresAt > this.#now()) return cached.delegated
    const pending = this.#inFlight.get(key)
    if (pending !== undefined) return pending
    const request = this.#fetchDelegation(key, hostname, cached?.failures ?? 0).finally(() => {
      this.#inFlight.delete(key)
    })
    this.#inFlight.set(key, request)
    return request
  }

  async #fetchDelegation(
    key: string,
    hostname: string,
    failuresSoFar: number,
  ): Promise<ServerName | undefined> {
    let response: Result<WellKnownResponse, string>
    try {
      response = await this.#fetchWellKnown(hostname)
    } catch (e) {
      // A fetcher that throws has failed like one that returns an error, and is remembered so.
      response = err(e instanceof Error ? e.message : String(e))
    }
    const delegated = response.ok ? delegatedServerName(response.value) : undefined
    const now = this.#now()
    if (response.ok && delegated !== undefined) {
      this.#remember(key, {
        delegated,
        expiresAt: now + wellKnownLifetimeMs(response.value, now),
        failures: 0,
      })
    } else {
      const failures = failuresSoFar + 1
      this.#remember(key, {
        delegated: undefined,
        expiresAt: now + failureLifetimeMs(failures),
        failures,
      })
    }
    return delegated
  }

  #remember(key: string, entry: CachedDelegation): void {
    this.#cache.delete(key)
    this.#cache.set(key, entry)
    // A Map iterates in insertion order, so the first key is the one refreshed longest ago.
    while (this.#cache.size > this.#maxCachedHosts) {
      const oldest = this.#cache.keys().next()
      if (oldest.done === true) break
      this.#cache.delete(oldest.value)
    }
  }
}

/**
 * RFC 2782 order: lowest priority first; within one priority, a random pick weighted by `weight`,
 * where a weight of 0 still gets a small chance.
 */
export function orderSrv(records: readonly SrvRecord[], random: () => number): SrvRecord[] {
  const byPriority = new Map<number, SrvRecord[]>()
  for (const record of records) {
    const group = byPriority.get(record.priority)
    if (group === undefined) byPriority.set(record.priority, [record])
    else group.push(record)
  }
  const ordered: SrvRecord[] = []
  for (const priority of [...byPriority.keys()].sort((a, b) => a - b)) {
    const remaining = [...(byPriority.get(priority) ?? [])]
    while (remaining.length > 0) {
      const total = remaining.reduce((sum, r) => sum + r.weight + 1, 0)
      let pick = random() * total
      let index = remaining.findIndex((r) => (pick -= r.weight + 1) < 0)
      if (index < 0) index = remaining.length - 1
      ordered.push(...remaining.splice(index, 1))
    }
  }
  return ordered
}

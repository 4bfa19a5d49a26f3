import type { UserId } from '@rhizome/core'
import type { Requester } from '../http/authenticate.js'

export interface TokenCacheOptions {
  /**
   * How long a positive lookup is trusted. This is the bound on how long a token deleted by
   * another process (a logout on another worker) keeps working in this one; deletions made
   * through this process evict at once.
   */
  readonly ttlMs: number
  /** The most tokens held; the oldest entry goes first when it is full. */
  readonly maxEntries: number
}

export const DEFAULT_TOKEN_CACHE: TokenCacheOptions = { ttlMs: 5_000, maxEntries: 10_000 }

interface Entry {
  readonly requester: Requester
  readonly expiresAt: number
}

/**
 * Recently seen access tokens (by hash) and whom they belong to, so that a busy client costs one
 * database lookup every few seconds instead of one per request. Only valid tokens are cached: an
 * unknown token always reaches the database, so a token created on another process works at once.
 */
export class AccessTokenCache {
  private readonly entries = new Map<string, Entry>()

  constructor(
    private readonly options: TokenCacheOptions,
    private readonly now: () => number,
  ) {}

  get size(): number {
    return this.entries.size
  }

  get(tokenHash: string): Requester | undefined {
    const entry = this.entries.get(tokenHash)
    if (entry === undefined) return undefined
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(tokenHash)
      return undefined
    }
    return entry.requester
  }

  set(tokenHash: string, requester: Requester): void {
    if (this.options.maxEntries <= 0 || this.options.ttlMs <= 0) return
    this.entries.delete(tokenHash)
    while (this.entries.size >= this.options.maxEntries) {
      // Maps iterate in insertion order, so the first key is the oldest entry.
      const oldest = this.entries.keys().next()
      if (oldest.done === true) break
      this.entries.delete(oldest.value)
    }
    this.entries.set(tokenHash, { requester, expiresAt: this.now() + this.options.ttlMs })
  }

  /** Forgets the tokens of the user's devices in `deviceIds`, or of all devices but `keep`. */
  evict(
    userId: UserId,
    which: { readonly deviceIds: readonly string[] } | { readonly keep?: string },
  ): void {
    const only = 'deviceIds' in which ? new Set(which.deviceIds) : undefined
    const keep = 'keep' in which ? which.keep : undefined
    for (const [hash, entry] of this.entries) {
      const { requester } = entry
      if (requester.userId !== userId) continue
      const deviceId = requester.deviceId ?? ''
      if (only !== undefined ? only.has(deviceId) : deviceId !== keep) this.entries.delete(hash)
    }
  }
}

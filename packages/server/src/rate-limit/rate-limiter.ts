import type { RateLimitedAction } from '../config/config.js'

export type RateLimitDecision =
  { readonly allowed: true } | { readonly allowed: false; readonly retryAfterMs: number }

/**
 * Counts requests per action and key (a user ID, or a client address for requests without one).
 * Asynchronous so that an implementation shared by several workers, kept in the database, can
 * replace the in-memory one without changing its callers.
 */
export interface RateLimiter {
  /** Spends one request for `key` under `action`, or says how long to wait before one is free. */
  take(action: RateLimitedAction, key: string): Promise<RateLimitDecision>
}

const ALLOWED: RateLimitDecision = { allowed: true }

/** For configurations with rate limiting turned off. */
export const noRateLimits: RateLimiter = {
  take: () => Promise.resolve(ALLOWED),
}

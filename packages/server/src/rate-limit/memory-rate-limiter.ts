import type { RateLimitedAction, RateLimitingConfig, RateLimitRule } from '../config/config.js'
import { DEFAULTS } from '../config/defaults.js'
import { noRateLimits, type RateLimitDecision, type RateLimiter } from './rate-limiter.js'

interface Bucket {
  readonly action: RateLimitedAction
  tokens: number
  updatedAt: number
}

/** Buckets are swept once there are this many (and then at twice the count left after a sweep). */
const FIRST_SWEEP_AT = 10_000

/**
 * A token bucket per action and key, in this process's memory: each bucket holds up to
 * `burstCount` tokens and regains `perSecond` of them each second; a request spends one. Buckets
 * that have filled up again hold no information and are dropped in occasional sweeps, so memory
 * stays proportional to the keys seen recently.
 */
export function createMemoryRateLimiter(
  config: RateLimitingConfig,
  now: () => number = Date.now,
): RateLimiter {
  if (!config.enabled) return noRateLimits
  const buckets = new Map<string, Bucket>()
  let sweepAt = FIRST_SWEEP_AT
  const ruleFor = (action: RateLimitedAction): RateLimitRule =>
    config.rules[action] ?? DEFAULTS.rateLimits[action]

  const refill = (bucket: Bucket, at: number): void => {
    const rule = ruleFor(bucket.action)
    const elapsed = Math.max(0, at - bucket.updatedAt)
    bucket.tokens = Math.min(rule.burstCount, bucket.tokens + (elapsed * rule.perSecond) / 1000)
    bucket.updatedAt = at
  }

  const sweep = (at: number): void => {
    for (const [id, bucket] of buckets) {
      refill(bucket, at)
      if (bucket.tokens >= ruleFor(bucket.action).burstCount) buckets.delete(id)
    }
    sweepAt = Math.max(FIRST_SWEEP_AT, buckets.size * 2)
  }

  const take = (action: RateLimitedAction, key: string): RateLimitDecision => {
    const at = now()
    if (buckets.size >= sweepAt) sweep(at)
    const rule = ruleFor(action)
    const id = `${action}\n${key}`
    let bucket = buckets.get(id)
    if (bucket === undefined) {
      bucket = { action, tokens: rule.burstCount, updatedAt: at }
      buckets.set(id, bucket)
    } else {
      refill(bucket, at)
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1
      return { allowed: true }
    }
    return {
      allowed: false,
      retryAfterMs: Math.ceil(((1 - bucket.tokens) * 1000) / rule.perSecond),
    }
  }

  return { take: (action, key) => Promise.resolve(take(action, key)) }
}

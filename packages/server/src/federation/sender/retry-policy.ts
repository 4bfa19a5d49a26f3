/**
 * How long a destination that failed waits before it is tried again: exponential backoff from
 * `initialMs`, multiplied after each further failure, never longer than `maxMs`. The cap is kept
 * short (an hour by default) because a server that was down is usually back well within it, and
 * it is recognised sooner still when it sends us a request (FederationSender.markAlive).
 */
export interface RetryPolicy {
  readonly initialMs: number
  readonly maxMs: number
  readonly multiplier: number
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  initialMs: 10_000,
  maxMs: 60 * 60 * 1000,
  multiplier: 2,
}

/** The wait after a failure, given the wait before it (0 when the destination was healthy). */
export function nextRetryInterval(previousMs: number, policy: RetryPolicy): number {
  if (previousMs <= 0) return Math.min(policy.initialMs, policy.maxMs)
  const grown = Math.round(previousMs * policy.multiplier)
  return Math.min(policy.maxMs, Math.max(policy.initialMs, grown))
}

/** When a destination with this schedule may be tried: now, if it is healthy. */
export function retryDueAt(retry: { retryLastTs: number; retryInterval: number }): number {
  return retry.retryInterval > 0 ? retry.retryLastTs + retry.retryInterval : 0
}

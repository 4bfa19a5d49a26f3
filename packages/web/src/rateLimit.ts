/** How long a rate-limited request asks to wait, or undefined if it was not rate-limited. */
export function retryAfterMs(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  const { errcode, data } = error as { errcode?: unknown; data?: unknown }
  const body = typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : {}
  if (errcode !== 'M_LIMIT_EXCEEDED' && body['errcode'] !== 'M_LIMIT_EXCEEDED') return undefined
  const wait = body['retry_after_ms']
  return typeof wait === 'number' && wait >= 0 ? wait : 1000
}

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Runs a request, waiting and trying again when the homeserver says to slow down, as long as
 * the wait stays short enough for someone watching a sign-in button.
 */
export async function withRateLimitRetry<T>(
  request: () => Promise<T>,
  wait: (ms: number) => Promise<void> = sleep,
  { attempts = 4, maxWaitMs = 15_000 } = {},
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await request()
    } catch (error) {
      const ms = retryAfterMs(error)
      if (ms === undefined || ms > maxWaitMs || attempt >= attempts) throw error
      await wait(ms)
    }
  }
}

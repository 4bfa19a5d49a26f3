/**
 * Decides whether a failed send should stay in the outbox. Network failures, rate limits and
 * server errors pass; a request the server understood and refused (4xx) will never succeed.
 */
export function isRetryableSendError(error: unknown): boolean {
  if (error instanceof PermanentSendError) return false
  if (typeof error !== 'object' || error === null) return true
  const { name, httpStatus } = error as { name?: unknown; httpStatus?: unknown }
  if (name === 'ConnectionError' || name === 'TypeError' || name === 'AbortError') return true
  if (typeof httpStatus !== 'number') return true
  return httpStatus === 429 || httpStatus >= 500
}

/** A send that can never succeed, whatever the network does. */
export class PermanentSendError extends Error {
  override readonly name = 'PermanentSendError'
}

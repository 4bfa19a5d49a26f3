import { MatrixError } from 'matrix-js-sdk'
import { describe, expect, it } from 'vitest'
import { retryAfterMs, withRateLimitRetry } from './rateLimit'

const limited = (ms: number) =>
  new MatrixError({ errcode: 'M_LIMIT_EXCEEDED', error: 'slow down', retry_after_ms: ms }, 429)

describe('withRateLimitRetry', () => {
  it('waits as asked and tries again', async () => {
    const waits: number[] = []
    let calls = 0
    const result = await withRateLimitRetry(
      () => (++calls < 3 ? Promise.reject(limited(4500)) : Promise.resolve('ok')),
      (ms) => {
        waits.push(ms)
        return Promise.resolve()
      },
    )
    expect(result).toBe('ok')
    expect(waits).toEqual([4500, 4500])
  })

  it('gives up on long waits, other errors and too many attempts', async () => {
    const noWait = () => Promise.resolve()
    const long = limited(60_000)
    await expect(withRateLimitRetry(() => Promise.reject(long), noWait)).rejects.toBe(long)
    const other = new MatrixError({ errcode: 'M_FORBIDDEN' }, 403)
    await expect(withRateLimitRetry(() => Promise.reject(other), noWait)).rejects.toBe(other)
    let calls = 0
    await expect(
      withRateLimitRetry(() => {
        calls++
        return Promise.reject(limited(10))
      }, noWait),
    ).rejects.toBeInstanceOf(MatrixError)
    expect(calls).toBe(4)
  })

  it('reads the wait from the error', () => {
    expect(retryAfterMs(limited(1234))).toBe(1234)
    expect(retryAfterMs(new Error('x'))).toBeUndefined()
  })
})

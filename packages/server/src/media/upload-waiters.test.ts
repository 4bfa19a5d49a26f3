import { describe, expect, it } from 'vitest'
import { UploadWaiters } from './upload-waiters.js'

describe('UploadWaiters', () => {
  it('wakes waiters on announcement, timeout or abort', async () => {
    const waiters = new UploadWaiters()
    const started = Date.now()
    const woken = waiters.wait('a', 10_000, undefined)
    waiters.announce('b')
    waiters.announce('a')
    await woken
    expect(Date.now() - started).toBeLessThan(5_000)

    const timed = Date.now()
    await waiters.wait('c', 30, undefined)
    expect(Date.now() - timed).toBeGreaterThanOrEqual(25)

    const controller = new AbortController()
    const aborted = waiters.wait('d', 10_000, controller.signal)
    controller.abort()
    await aborted
    await waiters.wait('e', 10_000, AbortSignal.abort())
  })
})

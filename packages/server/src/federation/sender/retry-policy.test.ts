import { describe, expect, it } from 'vitest'
import { DEFAULT_RETRY_POLICY, nextRetryInterval, retryDueAt } from './retry-policy.js'

describe('nextRetryInterval', () => {
  const policy = { initialMs: 1_000, maxMs: 10_000, multiplier: 3 }

  it('starts at the initial wait and multiplies it up to the cap', () => {
    const waits: number[] = []
    let wait = 0
    for (let i = 0; i < 5; i++) {
      wait = nextRetryInterval(wait, policy)
      waits.push(wait)
    }
    expect(waits).toEqual([1_000, 3_000, 9_000, 10_000, 10_000])
  })

  it('never goes below the initial wait, e.g. after a shorter wait asked for by the server', () => {
    expect(nextRetryInterval(10, policy)).toBe(1_000)
  })

  it('has an hour as its default cap', () => {
    let wait = 0
    for (let i = 0; i < 40; i++) wait = nextRetryInterval(wait, DEFAULT_RETRY_POLICY)
    expect(wait).toBe(3_600_000)
  })
})

describe('retryDueAt', () => {
  it('is now for a healthy destination, and after the wait for a failed one', () => {
    expect(retryDueAt({ retryLastTs: 0, retryInterval: 0 })).toBe(0)
    expect(retryDueAt({ retryLastTs: 5_000, retryInterval: 2_000 })).toBe(7_000)
  })
})

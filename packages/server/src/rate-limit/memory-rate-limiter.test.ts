import { describe, expect, it } from 'vitest'
import type { RateLimitingConfig } from '../config/config.js'
import { DEFAULTS } from '../config/defaults.js'
import { createMemoryRateLimiter } from './memory-rate-limiter.js'
import { noRateLimits } from './rate-limiter.js'

const config: RateLimitingConfig = {
  enabled: true,
  rules: {
    login: { perSecond: 0.5, burstCount: 3 },
    registration: { perSecond: 1, burstCount: 1 },
    message: { perSecond: 10, burstCount: 2 },
    report: { perSecond: 1, burstCount: 1 },
  },
}

function clock(start = 1_000_000) {
  let t = start
  return { now: () => t, advance: (ms: number) => (t += ms) }
}

describe('createMemoryRateLimiter', () => {
  it('allows a burst, then refuses with the time until the next token', async () => {
    const time = clock()
    const limiter = createMemoryRateLimiter(config, time.now)
    for (let i = 0; i < 3; i++)
      expect(await limiter.take('login', 'ip:1')).toEqual({ allowed: true })
    expect(await limiter.take('login', 'ip:1')).toEqual({ allowed: false, retryAfterMs: 2000 })
    time.advance(500)
    expect(await limiter.take('login', 'ip:1')).toEqual({ allowed: false, retryAfterMs: 1500 })
    time.advance(1500)
    expect(await limiter.take('login', 'ip:1')).toEqual({ allowed: true })
    expect((await limiter.take('login', 'ip:1')).allowed).toBe(false)
  })

  it('gives an action left out of the rules its default rule', async () => {
    const time = clock()
    const limiter = createMemoryRateLimiter(config, time.now)
    const burst = DEFAULTS.rateLimits.media_upload.burstCount
    for (let i = 0; i < burst; i++) {
      expect((await limiter.take('media_upload', '@a:x')).allowed).toBe(true)
    }
    expect((await limiter.take('media_upload', '@a:x')).allowed).toBe(false)
  })

  it('refills at most to the burst size', async () => {
    const time = clock()
    const limiter = createMemoryRateLimiter(config, time.now)
    await limiter.take('message', '@a:x')
    time.advance(60_000)
    expect((await limiter.take('message', '@a:x')).allowed).toBe(true)
    expect((await limiter.take('message', '@a:x')).allowed).toBe(true)
    expect(await limiter.take('message', '@a:x')).toEqual({ allowed: false, retryAfterMs: 100 })
  })

  it('keeps keys and actions apart', async () => {
    const limiter = createMemoryRateLimiter(config, clock().now)
    expect((await limiter.take('registration', 'ip:1')).allowed).toBe(true)
    expect((await limiter.take('registration', 'ip:1')).allowed).toBe(false)
    expect((await limiter.take('registration', 'ip:2')).allowed).toBe(true)
    expect((await limiter.take('login', 'ip:1')).allowed).toBe(true)
  })

  it('survives a clock that goes backwards', async () => {
    const time = clock()
    const limiter = createMemoryRateLimiter(config, time.now)
    await limiter.take('registration', 'k')
    time.advance(-10_000)
    expect((await limiter.take('registration', 'k')).allowed).toBe(false)
  })

  it('forgets idle keys, so memory stays bounded, without forgetting busy ones', async () => {
    const time = clock()
    const limiter = createMemoryRateLimiter(config, time.now)
    expect((await limiter.take('registration', 'busy')).allowed).toBe(true)
    for (let i = 0; i < 10_000; i++) await limiter.take('message', `idle-${i}`)
    time.advance(100)
    // The sweep that this take triggers drops the refilled idle buckets but keeps the busy one,
    // which has had only 0.1 s of its 1 s refill.
    expect((await limiter.take('registration', 'busy')).allowed).toBe(false)
    time.advance(1000)
    expect((await limiter.take('registration', 'busy')).allowed).toBe(true)
  })

  it('is a no-op when rate limiting is disabled', async () => {
    const limiter = createMemoryRateLimiter({ ...config, enabled: false })
    expect(limiter).toBe(noRateLimits)
    for (let i = 0; i < 10; i++)
      expect(await limiter.take('registration', 'k')).toEqual({ allowed: true })
  })
})

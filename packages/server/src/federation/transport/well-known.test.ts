import { describe, expect, it } from 'vitest'
import {
  DEFAULT_WELL_KNOWN_LIFETIME_MS,
  delegatedServerName,
  failureLifetimeMs,
  FIRST_FAILURE_LIFETIME_MS,
  MAX_FAILURE_LIFETIME_MS,
  MAX_WELL_KNOWN_LIFETIME_MS,
  MIN_WELL_KNOWN_LIFETIME_MS,
  wellKnownLifetimeMs,
  type WellKnownResponse,
} from './well-known.js'

const NOW = Date.parse('2026-11-28T12:00:00Z')
const HOUR = 3_600_000

function response(extra: Partial<WellKnownResponse>): WellKnownResponse {
  return { status: 200, body: '{"m.server":"delegated.example:443"}', ...extra }
}

describe('delegatedServerName', () => {
  it('reads m.server from a 200 JSON object', () => {
    expect(delegatedServerName(response({}))).toBe('delegated.example:443')
    expect(delegatedServerName(response({ body: '{"m.server":"[::1]"}' }))).toBe('[::1]')
  })

  it('treats every other answer as no delegation', () => {
    for (const bad of [
      response({ status: 404 }),
      response({ status: 500, body: '{"m.server":"x.example"}' }),
      response({ body: 'not json' }),
      response({ body: '["m.server"]' }),
      response({ body: '{}' }),
      response({ body: '{"m.server":42}' }),
      response({ body: '{"m.server":"bad name!"}' }),
      response({ body: '{"m.server":"x.example:99999"}' }),
      response({ body: '{"m.server":"a.example","m.server":"b.example"}' }),
    ]) {
      expect(delegatedServerName(bad)).toBeUndefined()
    }
  })
})

describe('wellKnownLifetimeMs', () => {
  it('defaults to 24 hours without caching headers', () => {
    expect(wellKnownLifetimeMs(response({}), NOW)).toBe(DEFAULT_WELL_KNOWN_LIFETIME_MS)
    expect(DEFAULT_WELL_KNOWN_LIFETIME_MS).toBe(24 * HOUR)
  })

  it('follows max-age, clamped to 5 minutes .. 48 hours', () => {
    expect(wellKnownLifetimeMs(response({ cacheControl: 'public, max-age=7200' }), NOW)).toBe(
      2 * HOUR,
    )
    expect(wellKnownLifetimeMs(response({ cacheControl: 'max-age=10' }), NOW)).toBe(
      MIN_WELL_KNOWN_LIFETIME_MS,
    )
    expect(wellKnownLifetimeMs(response({ cacheControl: 'max-age=999999999' }), NOW)).toBe(
      MAX_WELL_KNOWN_LIFETIME_MS,
    )
    expect(wellKnownLifetimeMs(response({ cacheControl: 'no-store' }), NOW)).toBe(
      MIN_WELL_KNOWN_LIFETIME_MS,
    )
  })

  it('prefers max-age to Expires, and reads Expires against Date or the clock', () => {
    const expires = new Date(NOW + 3 * HOUR).toUTCString()
    expect(wellKnownLifetimeMs(response({ cacheControl: 'max-age=3600', expires }), NOW)).toBe(HOUR)
    expect(wellKnownLifetimeMs(response({ expires }), NOW)).toBe(3 * HOUR)
    const date = new Date(NOW - HOUR).toUTCString()
    expect(wellKnownLifetimeMs(response({ expires, date }), NOW)).toBe(4 * HOUR)
    expect(wellKnownLifetimeMs(response({ expires: 'garbage' }), NOW)).toBe(
      MIN_WELL_KNOWN_LIFETIME_MS,
    )
  })
})

describe('failureLifetimeMs', () => {
  it('backs off exponentially from 10 minutes up to an hour', () => {
    expect(failureLifetimeMs(1)).toBe(FIRST_FAILURE_LIFETIME_MS)
    expect(failureLifetimeMs(2)).toBe(2 * FIRST_FAILURE_LIFETIME_MS)
    expect(failureLifetimeMs(3)).toBe(4 * FIRST_FAILURE_LIFETIME_MS)
    expect(failureLifetimeMs(4)).toBe(MAX_FAILURE_LIFETIME_MS)
    expect(failureLifetimeMs(100)).toBe(MAX_FAILURE_LIFETIME_MS)
  })
})

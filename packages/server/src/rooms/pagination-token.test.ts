import { describe, expect, it } from 'vitest'
import { formatTimelineToken, parseTimelineToken } from './pagination-token.js'

describe('timeline tokens', () => {
  it('round-trips positions', () => {
    for (const position of [0, 1, 42, -7, 9_007_199_254_740_991]) {
      expect(parseTimelineToken(formatTimelineToken(position), 'from')).toEqual({
        ok: true,
        value: position,
      })
    }
    expect(formatTimelineToken(-5)).toBe('t-5')
  })

  it.each(['', 't', 's1', 't01', 't-0', 't--1', 't-01', 't1.5', 't99999999999999999', 'T1', 't1 '])(
    'refuses %j with M_INVALID_PARAM naming the parameter',
    (raw) => {
      const parsed = parseTimelineToken(raw, 'from')
      expect(parsed).toMatchObject({ ok: false, error: { errcode: 'M_INVALID_PARAM' } })
      if (!parsed.ok) expect(parsed.error.error).toContain('from')
    },
  )
})

import { describe, expect, it } from 'vitest'
import { formatSyncToken, parseSyncToken } from './sync-token.js'

describe('sync tokens', () => {
  it('round-trips positions', () => {
    for (const position of [0, 1, 42, 1_000_000, Number.MAX_SAFE_INTEGER]) {
      const token = formatSyncToken(position)
      expect(token).toBe(`t${position}`)
      expect(parseSyncToken(token)).toEqual({ ok: true, value: position })
    }
  })

  it('refuses to format what is not a position (a bug)', () => {
    expect(() => formatSyncToken(-1)).toThrow()
    expect(() => formatSyncToken(1.5)).toThrow()
    expect(() => formatSyncToken(Number.NaN)).toThrow()
  })

  it.each([
    '',
    's',
    't',
    '42',
    't-1',
    't01',
    't1.5',
    't 1',
    ' t1',
    't1 ',
    'T1',
    't1e3',
    't0x10',
    's1',
    't99999999999999999',
    't9007199254740993',
    `t${'9'.repeat(1000)}`,
    't１',
  ])('rejects %j with M_INVALID_PARAM', (raw) => {
    const parsed = parseSyncToken(raw)
    expect(parsed.ok).toBe(false)
    if (!parsed.ok) {
      expect(parsed.error.errcode).toBe('M_INVALID_PARAM')
      expect(parsed.error.error).toContain('since')
    }
  })

  it('is the /messages token, so a next_batch can page /messages', async () => {
    const { parseTimelineToken } = await import('../rooms/pagination-token.js')
    expect(parseTimelineToken(formatSyncToken(17), 'from')).toEqual({ ok: true, value: 17 })
  })
})

import { describe, expect, it } from 'vitest'
import { readAccessToken } from './access-token.js'

const q = (s: string) => new URLSearchParams(s)

describe('readAccessToken', () => {
  it('reads the Bearer header, any case of the scheme', () => {
    expect(readAccessToken('Bearer abc', q(''))).toEqual({ ok: true, value: 'abc' })
    expect(readAccessToken('bearer abc', q(''))).toEqual({ ok: true, value: 'abc' })
  })

  it('reads the deprecated query parameter', () => {
    expect(readAccessToken(undefined, q('access_token=xyz&a=1'))).toEqual({
      ok: true,
      value: 'xyz',
    })
  })

  it('is undefined when there is no token, or an empty parameter', () => {
    expect(readAccessToken(undefined, q('a=1'))).toEqual({ ok: true, value: undefined })
    expect(readAccessToken(undefined, q('access_token='))).toEqual({ ok: true, value: undefined })
  })

  it('refuses other schemes, empty Bearer and mixtures with M_MISSING_TOKEN', () => {
    for (const [header, query] of [
      ['Basic dXNlcjpwdw==', ''],
      ['X-Matrix origin=a,key="k",sig="s"', ''],
      ['Bearer', ''],
      ['Bearer a b', ''],
      ['Bearer abc', 'access_token=abc'],
      [undefined, 'access_token=a&access_token=b'],
    ] as const) {
      const result = readAccessToken(header, q(query))
      expect(result.ok).toBe(false)
      expect(!result.ok && result.error.errcode).toBe('M_MISSING_TOKEN')
    }
  })
})

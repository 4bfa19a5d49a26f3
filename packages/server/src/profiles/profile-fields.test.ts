import { describe, expect, it } from 'vitest'
import { checkProfileValue, isMxcUri } from './profile-fields.js'

describe('profile field values', () => {
  it('accepts mxc URIs with a server name and a media ID only', () => {
    expect(isMxcUri('mxc://example.org/abc_DEF-123')).toBe(true)
    expect(isMxcUri('mxc://[::1]:8448/abc')).toBe(true)
    for (const bad of [
      'https://example.org/a',
      'mxc://example.org',
      'mxc://example.org/',
      'mxc://example.org/a/b',
      'mxc://example.org/a.png',
      'mxc:///abc',
      'mxc://bad host/abc',
    ]) {
      expect({ bad, ok: isMxcUri(bad) }).toEqual({ bad, ok: false })
    }
  })

  it('clears a field with an empty string, and limits lengths', () => {
    expect(checkProfileValue('displayname', '')).toEqual({ ok: true, value: undefined })
    expect(checkProfileValue('avatar_url', '')).toEqual({ ok: true, value: undefined })
    expect(checkProfileValue('displayname', 'Ädelheid 🐇')).toEqual({
      ok: true,
      value: 'Ädelheid 🐇',
    })
    expect(checkProfileValue('displayname', '🐇'.repeat(256)).ok).toBe(true)
    const long = checkProfileValue('displayname', 'a'.repeat(257))
    expect(long.ok ? undefined : long.error.errcode).toBe('M_INVALID_PARAM')
    const url = checkProfileValue('avatar_url', 'http://example.org/x')
    expect(url.ok ? undefined : url.error.errcode).toBe('M_INVALID_PARAM')
  })
})

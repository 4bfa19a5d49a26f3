import { describe, expect, it } from 'vitest'
import { redactUrl } from './redact-url.js'

describe('redactUrl', () => {
  it('leaves URLs without credentials alone', () => {
    expect(redactUrl('/_matrix/client/versions')).toBe('/_matrix/client/versions')
    expect(redactUrl('/sync?since=s1&timeout=3000')).toBe('/sync?since=s1&timeout=3000')
  })

  it('replaces the value of every credential parameter, however it is spelled', () => {
    expect(redactUrl('/sync?access_token=abc&since=1')).toBe(
      '/sync?access_token=[redacted]&since=1',
    )
    expect(redactUrl('/x?a=1&access%5Ftoken=abc')).toBe('/x?a=1&access%5Ftoken=[redacted]')
    expect(redactUrl('/x?access_token=a&access_token=b')).toBe(
      '/x?access_token=[redacted]&access_token=[redacted]',
    )
    expect(redactUrl('/login?loginToken=t')).toBe('/login?loginToken=[redacted]')
    expect(redactUrl('/validity?token=t')).toBe('/validity?token=[redacted]')
    expect(redactUrl('/r?refresh_token')).toBe('/r?refresh_token=[redacted]')
  })

  it('copes with malformed escapes', () => {
    expect(redactUrl('/x?%E0%A4%A=1&access_token=z')).toBe('/x?%E0%A4%A=1&access_token=[redacted]')
  })
})

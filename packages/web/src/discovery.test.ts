import { describe, expect, it } from 'vitest'
import { resolveHomeserver, type Fetcher } from './discovery'

function answering(table: Record<string, unknown>): Fetcher & { asked: string[] } {
  const asked: string[] = []
  const fetcher = (url: string) => {
    asked.push(url)
    const body = table[url]
    return Promise.resolve({ ok: body !== undefined, json: () => Promise.resolve(body) })
  }
  return Object.assign(fetcher, { asked })
}

describe('resolveHomeserver', () => {
  it('uses the page origin when the field is empty', async () => {
    const fetcher = answering({})
    expect(await resolveHomeserver('  ', 'http://127.0.0.1:8008/', fetcher)).toBe(
      'http://127.0.0.1:8008',
    )
    expect(fetcher.asked).toEqual([])
  })

  it('takes a full URL as the base URL without discovery', async () => {
    const fetcher = answering({})
    expect(await resolveHomeserver('https://hs.example.org/', 'x', fetcher)).toBe(
      'https://hs.example.org',
    )
    expect(fetcher.asked).toEqual([])
  })

  it('follows .well-known for a server name', async () => {
    const fetcher = answering({
      'https://example.org/.well-known/matrix/client': {
        'm.homeserver': { base_url: 'https://matrix.example.org/' },
      },
    })
    expect(await resolveHomeserver('example.org', 'x', fetcher)).toBe('https://matrix.example.org')
  })

  it('falls back to https://name when discovery fails or is malformed', async () => {
    expect(await resolveHomeserver('example.org', 'x', answering({}))).toBe('https://example.org')
    const malformed = answering({
      'https://example.org/.well-known/matrix/client': { 'm.homeserver': { base_url: 7 } },
    })
    expect(await resolveHomeserver('example.org', 'x', malformed)).toBe('https://example.org')
    const throwing: Fetcher = () => Promise.reject(new TypeError('offline'))
    expect(await resolveHomeserver('example.org', 'x', throwing)).toBe('https://example.org')
  })
})

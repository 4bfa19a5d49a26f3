import { Buffer } from 'node:buffer'
import { createHash } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { EventIdFormat } from '../room-versions/rules.js'
import { parseEventId } from './event-id.js'

/** A `$`-hash event ID in the given alphabet, from Node's own sha256 and base64. */
function hashId(seed: string, encoding: 'base64' | 'base64url'): string {
  return `$${createHash('sha256').update(seed).digest(encoding).replace(/=+$/, '')}`
}

// Examples from rooms/v3.md and rooms/fragments/v4-event-ids.md
const V3_EXAMPLE = '$CD66HAED5npg6074c6pDtLKalHjVfYb2q4Q3LZgrW6o'
const V3_CLIENT_EXAMPLE = '$acR1l0raoZnm60CBwAVgqbZqoO/mYU81xysh1u7XcJk'
const V4_EXAMPLE = '$Rqnc-F-dvnEYJTyHq_iKxU2bZ1CI92-kuZq3a5lr5Zg'

function firstStandardOnly(): string {
  for (let i = 0; ; i++) {
    const id = hashId(String(i), 'base64')
    if (/[+/]/.test(id)) return id
  }
}

const STANDARD_ONLY = firstStandardOnly()
const URL_SAFE_ONLY = STANDARD_ONLY.replaceAll('+', '-').replaceAll('/', '_')

function outcome(raw: string, format?: EventIdFormat): string {
  const result = parseEventId(raw, format)
  if (result.ok) {
    expect(result.value).toBe(raw)
    return 'ok'
  }
  expect(result.error.errcode).toBe('M_INVALID_PARAM')
  return result.error.error
}

describe('parseEventId', () => {
  it.each([
    // [id, origin-assigned, reference-hash-standard, reference-hash-url-safe, no format]
    ['$abc:example.org', 'ok', 'hash', 'url', 'ok'],
    ['$:example.org', 'ok', 'hash', 'url', 'ok'],
    ['$1234567890abcdef:matrix.org:8448', 'ok', 'hash', 'url', 'ok'],
    ['$abc:[::1]:8448', 'ok', 'hash', 'url', 'ok'],
    ['$Ünï cödé\u0001:example.org', 'ok', 'hash', 'url', 'ok'],
    [V3_EXAMPLE, 'colon', 'ok', 'ok', 'ok'],
    [V3_CLIENT_EXAMPLE, 'colon', 'ok', 'url', 'ok'],
    [V4_EXAMPLE, 'colon', 'hash', 'ok', 'ok'],
    [STANDARD_ONLY, 'colon', 'ok', 'url', 'ok'],
    [URL_SAFE_ONLY, 'colon', 'hash', 'ok', 'ok'],
  ])('%j', (raw, origin, standard, urlSafe, any) => {
    const expected = (code: string): RegExp | string =>
      code === 'ok'
        ? 'ok'
        : code === 'colon'
          ? /event ID has no ':' before a server name/
          : code === 'hash'
            ? /is not '\$' and a base64 sha256 hash/
            : /is not '\$' and a URL-safe base64 sha256 hash/
    const check = (got: string, code: string): void => {
      const want = expected(code)
      if (typeof want === 'string') expect(got).toBe(want)
      else expect(got).toMatch(want)
    }
    check(outcome(raw, 'origin-assigned'), origin)
    check(outcome(raw, 'reference-hash-standard'), standard)
    check(outcome(raw, 'reference-hash-url-safe'), urlSafe)
    check(outcome(raw), any)
  })

  it.each([
    ['', /must start with '\$'/],
    ['abc:example.org', /must start with '\$'/],
    ['!abc:example.org', /must start with '\$'/],
    ['$', /neither '\$opaque:server' nor/],
    ['$abc', /neither '\$opaque:server' nor/],
    [V4_EXAMPLE.slice(0, -1), /neither/],
    [`${V4_EXAMPLE}A`, /neither/],
    [`${V4_EXAMPLE}=`, /neither/],
    // 'h' leaves non-zero bits after the 32nd byte: no hash encodes to it.
    [`${V4_EXAMPLE.slice(0, -1)}h`, /neither/],
    // '+' and '-' together belong to neither alphabet.
    [`$+-${V4_EXAMPLE.slice(3)}`, /neither/],
    [`$${'é'.repeat(43)}`, /neither/],
    ['$abc:', /server name is empty/],
    ['$abc:bad host', /server name has a hostname character/],
    ['$a\u0000b:example.org', /localpart contains NUL or a lone surrogate/],
    ['$a\uD800:example.org', /localpart contains NUL or a lone surrogate/],
  ])('rejects %j without a format', (raw, message) => {
    expect(outcome(raw)).toMatch(message)
  })

  it('rejects a missing sigil the same way for every format', () => {
    for (const format of [
      'origin-assigned',
      'reference-hash-standard',
      'reference-hash-url-safe',
    ] as const) {
      expect(outcome(V4_EXAMPLE.slice(1), format)).toMatch(/must start with '\$'/)
    }
  })

  it('limits origin-assigned IDs to 255 bytes, counted in UTF-8', () => {
    const ofBytes = (n: number, fill: string, size: number): string => {
      const rest = n - '$'.length - ':example.org'.length
      return `$${'a'.repeat(rest % size)}${fill.repeat(Math.floor(rest / size))}:example.org`
    }
    for (const [fill, size] of [
      ['a', 1],
      ['é', 2],
      ['\u{1F600}', 4],
    ] as const) {
      expect(Buffer.byteLength(ofBytes(254, fill, size))).toBe(254)
      expect(outcome(ofBytes(254, fill, size), 'origin-assigned')).toBe('ok')
      expect(outcome(ofBytes(255, fill, size))).toBe('ok')
      expect(outcome(ofBytes(256, fill, size))).toMatch(/event ID is longer than 255 bytes/)
    }
  })

  it('accepts every hash in its alphabet and rejects it in the other when they differ', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (bytes) => {
        const standard = `$${Buffer.from(bytes).toString('base64').replace(/=+$/, '')}`
        const urlSafe = `$${Buffer.from(bytes).toString('base64url')}`
        expect(outcome(standard, 'reference-hash-standard')).toBe('ok')
        expect(outcome(urlSafe, 'reference-hash-url-safe')).toBe('ok')
        expect(outcome(standard)).toBe('ok')
        expect(outcome(urlSafe)).toBe('ok')
        expect(outcome(urlSafe, 'reference-hash-standard') === 'ok').toBe(urlSafe === standard)
        expect(outcome(standard, 'origin-assigned')).not.toBe('ok')
      }),
    )
  })

  it('returns an error, not a throw, for a value that is not a string', () => {
    for (const value of [undefined, null, 42, {}, [V4_EXAMPLE]] as unknown[]) {
      const result = parseEventId(value as string)
      expect(result.ok).toBe(false)
      if (!result.ok) expect(result.error.error).toBe('event ID must be a string')
    }
  })
})

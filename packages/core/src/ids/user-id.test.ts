import { Buffer } from 'node:buffer'
import { describe, expect, expectTypeOf, it } from 'vitest'
import type { Result } from '../errors/result.js'
import type { ServerName, UserId } from './types.js'
import {
  isCompliantLocalpart,
  isStrictLocalpart,
  parseUserId,
  userIdLocalpart,
  userIdServerName,
} from './user-id.js'

function valid(raw: string): UserId {
  const result = parseUserId(raw)
  if (!result.ok) throw new Error(`expected ${JSON.stringify(raw)} to parse: ${result.error.error}`)
  return result.value
}

function problem(raw: string): string {
  const result = parseUserId(raw)
  if (result.ok) throw new Error(`expected ${JSON.stringify(raw)} to be rejected`)
  expect(result.error.errcode).toBe('M_INVALID_PARAM')
  return result.error.error
}

/** `@` + as many `fill` as fit, topped up with `a`, + `:example.org`: `bytes` in UTF-8 in all. */
function userIdOfBytes(bytes: number, fill = 'a', fillBytes = 1): string {
  const rest = bytes - '@'.length - ':example.org'.length
  return `@${'a'.repeat(rest % fillBytes)}${fill.repeat(Math.floor(rest / fillBytes))}:example.org`
}

describe('parseUserId', () => {
  it.each([
    '@alice:example.org',
    '@a:b',
    '@alice.bob_c=d-e/f+g:matrix.org',
    '@0123:example.org:8448',
    '@alice:1.2.3.4',
    '@alice:[::1]:8448',
    '@alice:[1234:5678::abcd]',
    // The historical grammar: any code point but ':' and NUL, empty included.
    '@:example.org',
    '@Alice:example.org',
    '@al ice:example.org',
    '@a*b#c!d$e@f:example.org',
    '@tab\there:example.org',
    '@ctrl\u0001\u007f:example.org',
    '@ünïcödé:example.org',
    '@\u{1F600}:example.org',
    '@\uFFFF:example.org',
  ])('accepts %j', (raw) => {
    expect(valid(raw)).toBe(raw)
  })

  it.each([
    ['', /must start with '@'/],
    ['alice:example.org', /must start with '@'/],
    ['#alice:example.org', /must start with '@'/],
    [' @alice:example.org', /must start with '@'/],
    ['@', /no ':' before a server name/],
    ['@alice', /no ':' before a server name/],
    ['@alice:', /server name is empty/],
    ['@alice:exa mple.org', /server name has a hostname character/],
    ['@alice:example.org:', /server name has a port that is not 1 to 5 digits/],
    ['@alice:example.org:0', /server name has a port outside 1-65535/],
    ['@alice:example.org:65536', /server name has a port outside 1-65535/],
    ['@a:b:c:d', /server name has a port that is not 1 to 5 digits/],
    ['@alice:[::1', /server name has a '\[' without a closing '\]'/],
    ['@al\u0000ice:example.org', /localpart contains NUL or a lone surrogate/],
    ['@\uD800:example.org', /localpart contains NUL or a lone surrogate/],
    ['@a\uDC00b:example.org', /localpart contains NUL or a lone surrogate/],
    ['@\uDE00\uD83D:example.org', /localpart contains NUL or a lone surrogate/],
  ])('rejects %j', (raw, message) => {
    expect(problem(raw)).toMatch(message)
  })

  it('limits the whole ID to 255 bytes, counted in UTF-8', () => {
    expect(valid(userIdOfBytes(254))).toHaveLength(254)
    expect(valid(userIdOfBytes(255))).toHaveLength(255)
    expect(problem(userIdOfBytes(256))).toMatch(/user ID is longer than 255 bytes/)
    // Multi-byte characters: the code-unit length is well under 255 in each case.
    for (const [fill, size] of [
      ['é', 2],
      ['\u4e2d', 3],
      ['\u{1F600}', 4],
    ] as const) {
      const atLimit = valid(userIdOfBytes(255, fill, size))
      expect(Buffer.byteLength(atLimit)).toBe(255)
      expect(atLimit.length).toBeLessThan(200)
      expect(problem(userIdOfBytes(256, fill, size))).toMatch(/longer than 255 bytes/)
    }
    expect(problem(`@${'a'.repeat(1_000_000)}:example.org`)).toMatch(/longer than 255/)
  })

  it('returns an error, not a throw, for a value that is not a string', () => {
    for (const value of [undefined, null, 42, {}, ['@a:b']] as unknown[]) {
      const result = parseUserId(value as string)
      expect(result.ok).toBe(false)
      if (!result.ok) expect(result.error.error).toBe('user ID must be a string')
    }
  })

  it('brands its result, and a plain string is not a UserId', () => {
    expectTypeOf(parseUserId).returns.toEqualTypeOf<Result<UserId>>()
    expectTypeOf<string>().not.toExtend<UserId>()
    expectTypeOf<UserId>().toExtend<string>()
  })
})

describe('userIdLocalpart and userIdServerName', () => {
  it.each([
    ['@alice:example.org', 'alice', 'example.org'],
    ['@:example.org', '', 'example.org'],
    ['@a:example.org:8448', 'a', 'example.org:8448'],
    ['@a:[::1]:8448', 'a', '[::1]:8448'],
    ['@ü:x', 'ü', 'x'],
  ])('splits %j', (raw, localpart, server) => {
    const id = valid(raw)
    expect(userIdLocalpart(id)).toBe(localpart)
    expect(userIdServerName(id)).toBe(server)
    expectTypeOf(userIdServerName(id)).toEqualTypeOf<ServerName>()
  })
})

describe('isStrictLocalpart', () => {
  it.each(['alice', 'a', '0123456789', 'a.b_c=d-e/f+g', '._=-/+', 'z'.repeat(300)])(
    'accepts %j',
    (localpart) => {
      expect(isStrictLocalpart(localpart)).toBe(true)
    },
  )

  it.each([
    '',
    'Alice',
    'A',
    'a b',
    'a:b',
    'a*b',
    'a#b',
    'a@b',
    'é',
    'a\n',
    'a\u0000',
    '\u{1F600}',
  ])('rejects %j', (localpart) => {
    expect(isStrictLocalpart(localpart)).toBe(false)
  })
})

describe('isCompliantLocalpart', () => {
  it.each(['alice', 'Alice', '!#$%&*', '~', 'a.b_c'])('accepts %j', (localpart) => {
    expect(isCompliantLocalpart(localpart)).toBe(true)
  })

  it.each(['', ' ', 'a b', 'a:b', 'é', '\u007f', 'a\u0001', '\u{1F600}'])(
    'rejects %j',
    (localpart) => {
      expect(isCompliantLocalpart(localpart)).toBe(false)
    },
  )
})

import { isIP } from 'node:net'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parseServerName, splitServerName } from './server-name.js'
import type { ServerName } from './types.js'

function valid(raw: string): ServerName {
  const result = parseServerName(raw)
  if (!result.ok) throw new Error(`expected ${JSON.stringify(raw)} to parse: ${result.error.error}`)
  return result.value
}

function problem(raw: string): string {
  const result = parseServerName(raw)
  if (result.ok) throw new Error(`expected ${JSON.stringify(raw)} to be rejected`)
  expect(result.error.errcode).toBe('M_INVALID_PARAM')
  return result.error.error
}

describe('parseServerName', () => {
  it.each([
    // The examples of appendices §Server Name
    'matrix.org',
    'matrix.org:8888',
    '1.2.3.4',
    '1.2.3.4:1234',
    '[1234:5678::abcd]',
    '[1234:5678::abcd]:5678',
    // Ports
    'example.org:1',
    'example.org:8448',
    'example.org:65535',
    'example.org:00080',
    // DNS names: the grammar allows any run of letters, digits, '-' and '.'
    'localhost',
    'a',
    'MATRIX.ORG',
    'Matrix.Org:8448',
    'example.com.',
    'a..b',
    '-a-',
    '.',
    'xn--bcher-kva.example',
    '1.2.3',
    '1.2.3.4.5',
    '1.2.3.4.',
    '1234.1.1.1',
    '999',
    // IPv4 literals
    '0.0.0.0',
    '255.255.255.255',
    '01.002.003.004',
    // IPv6 literals (RFC 3513 §2.2)
    '[::]',
    '[::1]',
    '[::1]:8448',
    '[1::]',
    '[1:2:3:4:5:6:7:8]',
    '[1:2:3:4:5:6:7::]',
    '[::2:3:4:5:6:7:8]',
    '[1:2:3::6:7:8]',
    '[FEDC:BA98:7654:3210:FEDC:BA98:7654:3210]',
    '[1080:0:0:0:8:800:200C:417A]',
    '[0000:0000:0000:0000:0000:0000:0000:0001]',
    '[::13.1.68.3]',
    '[::FFFF:129.144.52.38]',
    '[0:0:0:0:0:FFFF:129.144.52.38]',
    '[1:2:3:4:5:6:1.2.3.4]',
    '[0000:0000:0000:0000:0000:ffff:255.255.255.255]',
  ])('accepts %j', (raw) => {
    expect(valid(raw)).toBe(raw)
  })

  it.each([
    ['', /is empty/],
    [':8448', /empty hostname/],
    ['example.org:', /port that is not 1 to 5 digits/],
    ['example.org:123456', /port that is not 1 to 5 digits/],
    ['example.org:-1', /port that is not 1 to 5 digits/],
    ['example.org:+1', /port that is not 1 to 5 digits/],
    ['example.org:80a', /port that is not 1 to 5 digits/],
    ['example.org:8448:1', /port that is not 1 to 5 digits/],
    ['example.org: 80', /port that is not 1 to 5 digits/],
    ['example.org:0', /port outside 1-65535/],
    ['example.org:00000', /port outside 1-65535/],
    ['example.org:65536', /port outside 1-65535/],
    ['example.org:99999', /port outside 1-65535/],
    ['exa mple.org', /hostname character/],
    ['ex_ample.org', /hostname character/],
    ['exämple.org', /hostname character/],
    ['example.org/path', /hostname character/],
    [' example.org', /hostname character/],
    ['example.org\n', /hostname character/],
    ['example.org\u0000', /hostname character/],
    ['example.\u{1F600}', /hostname character/],
    ['::1', /empty hostname/],
    ['::1]', /empty hostname/],
    ['1::', /port that is not 1 to 5 digits/],
    ['256.1.1.1', /IPv4 literal with a number above 255/],
    ['1.2.3.999', /IPv4 literal with a number above 255/],
    ['300.300.300.300:8448', /IPv4 literal with a number above 255/],
    ['[::1', /without a closing '\]'/],
    ['[', /without a closing '\]'/],
    ['[::1]]', /not ':port'/],
    ['[::1]x', /not ':port'/],
    ['[::1].com', /not ':port'/],
    ['[::1]:', /port that is not 1 to 5 digits/],
    ['[::1]:0', /port outside 1-65535/],
    ['[::1]:65536', /port outside 1-65535/],
    ['[[::1]]', /invalid IPv6 literal/],
    ['[]', /invalid IPv6 literal/],
    ['[:]', /invalid IPv6 literal/],
    ['[1]', /invalid IPv6 literal/],
    ['[:::]', /invalid IPv6 literal/],
    ['[:::1]', /invalid IPv6 literal/],
    ['[1:::2]', /invalid IPv6 literal/],
    ['[1::2::3]', /invalid IPv6 literal/],
    ['[:1::]', /invalid IPv6 literal/],
    ['[1:]', /invalid IPv6 literal/],
    ['[::1:]', /invalid IPv6 literal/],
    ['[1:2:3:4:5:6:7]', /invalid IPv6 literal/],
    ['[1:2:3:4:5:6:7:8:9]', /invalid IPv6 literal/],
    ['[1:2:3:4:5:6:7:8::]', /invalid IPv6 literal/],
    ['[::1:2:3:4:5:6:7:8]', /invalid IPv6 literal/],
    ['[12345::]', /invalid IPv6 literal/],
    ['[::g]', /invalid IPv6 literal/],
    ['[fe80::1%eth0]', /invalid IPv6 literal/],
    ['[example.org]', /invalid IPv6 literal/],
    ['[1.2.3.4]', /invalid IPv6 literal/],
    ['[::1.2.3]', /invalid IPv6 literal/],
    ['[::1.2.3.256]', /invalid IPv6 literal/],
    ['[::1.2.3.4:5]', /invalid IPv6 literal/],
    ['[::1.2.3.4.5]', /invalid IPv6 literal/],
    ['[1.2.3.4::]', /invalid IPv6 literal/],
    ['[1:2:3:4:5:6:7:1.2.3.4]', /invalid IPv6 literal/],
    ['[::1a.2.3.4]', /invalid IPv6 literal/],
    ['[0000:0000:0000:0000:0000:0000:0000:0000:0]', /invalid IPv6 literal/],
    ['[00000000000000000000000000000000000000000000::]', /invalid IPv6 literal/],
  ])('rejects %j', (raw, message) => {
    expect(problem(raw)).toMatch(message)
  })

  it('limits the whole name, port included, to 255 bytes', () => {
    expect(valid('a'.repeat(254))).toHaveLength(254)
    expect(valid('a'.repeat(255))).toHaveLength(255)
    expect(problem('a'.repeat(256))).toMatch(/longer than 255 bytes/)
    expect(valid(`${'a'.repeat(249)}:65535`)).toHaveLength(255)
    expect(problem(`${'a'.repeat(250)}:65535`)).toMatch(/longer than 255 bytes/)
    expect(problem('a'.repeat(1_000_000))).toMatch(/longer than 255 bytes/)
  })

  it('quotes the input in the error, cut short when long', () => {
    expect(problem('a b')).toBe(
      `server name has a hostname character other than A-Z, a-z, 0-9, '-' and '.': "a b"`,
    )
    expect(problem(`[${'1'.repeat(300)}`)).toMatch(/: "\[1{63}"…$/)
  })

  it('returns an error, not a throw, for a value that is not a string', () => {
    for (const value of [undefined, null, 42, {}, ['example.org']] as unknown[]) {
      const result = parseServerName(value as string)
      expect(result.ok).toBe(false)
      if (!result.ok) expect(result.error.error).toBe('server name must be a string')
    }
  })

  it('agrees with Node on which bracketed literals are IPv6 addresses', () => {
    const hexGroup = fc.stringMatching(/^[0-9a-fA-F]{1,4}$/)
    const ipv6ish = fc
      .tuple(
        fc.array(fc.oneof(hexGroup, fc.constant('')), { minLength: 1, maxLength: 10 }),
        fc.option(fc.ipV4(), { nil: undefined }),
      )
      .map(([groups, v4]) => (v4 === undefined ? groups.join(':') : `${groups.join(':')}:${v4}`))
    fc.assert(
      fc.property(fc.oneof(ipv6ish, fc.ipV6()), (address) => {
        // Node accepts a dotted quad after a bare '::' prefix the same way RFC 3513 does.
        expect(parseServerName(`[${address}]`).ok).toBe(isIP(address) === 6)
      }),
      { numRuns: 2000 },
    )
  })

  it('agrees with Node on dotted quads', () => {
    fc.assert(
      fc.property(fc.ipV4(), (address) => {
        expect(splitServerName(valid(address))).toEqual({ host: address, kind: 'ipv4' })
      }),
    )
  })
})

describe('splitServerName', () => {
  it.each([
    ['matrix.org', { host: 'matrix.org', kind: 'dns' }],
    ['matrix.org:8888', { host: 'matrix.org', port: 8888, kind: 'dns' }],
    ['Example.COM.:1', { host: 'Example.COM.', port: 1, kind: 'dns' }],
    ['example.org:00080', { host: 'example.org', port: 80, kind: 'dns' }],
    ['1.2.3', { host: '1.2.3', kind: 'dns' }],
    ['1.2.3.4', { host: '1.2.3.4', kind: 'ipv4' }],
    ['1.2.3.4:1234', { host: '1.2.3.4', port: 1234, kind: 'ipv4' }],
    ['010.000.0.01:65535', { host: '10.0.0.1', port: 65535, kind: 'ipv4' }],
    ['[1234:5678::abcd]', { host: '1234:5678::abcd', kind: 'ipv6' }],
    ['[1234:5678::abcd]:5678', { host: '1234:5678::abcd', port: 5678, kind: 'ipv6' }],
    ['[::1]:8448', { host: '::1', port: 8448, kind: 'ipv6' }],
    ['[::FFFF:1.2.3.4]', { host: '::FFFF:1.2.3.4', kind: 'ipv6' }],
  ])('splits %j', (raw, parts) => {
    expect(splitServerName(valid(raw))).toEqual(parts)
  })

  it('leaves no port key when there is no port', () => {
    expect('port' in splitServerName(valid('example.org'))).toBe(false)
  })
})

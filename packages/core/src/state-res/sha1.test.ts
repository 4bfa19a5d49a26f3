import { createHash } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { sha1 } from './sha1.js'

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex')

describe('sha1', () => {
  it('matches the FIPS 180 examples', () => {
    const ascii = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'))
    expect(hex(sha1(ascii('abc')))).toBe('a9993e364706816aba3e25717850c26c9cd0d89d')
    expect(hex(sha1(ascii('')))).toBe('da39a3ee5e6b4b0d3255bfef95601890afd80709')
    expect(hex(sha1(ascii('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')))).toBe(
      '84983e441c3bd26ebaae4aa1f95129e5e54670f1',
    )
  })

  it('matches node:crypto on every length around the block boundaries', () => {
    for (let length = 0; length < 200; length++) {
      const bytes = new Uint8Array(length).map((_, i) => (i * 31 + length) & 0xff)
      expect(hex(sha1(bytes))).toBe(createHash('sha1').update(bytes).digest('hex'))
    }
  })

  it('matches node:crypto on random input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1000 }), (bytes) => {
        expect(hex(sha1(bytes))).toBe(createHash('sha1').update(bytes).digest('hex'))
      }),
    )
  })
})

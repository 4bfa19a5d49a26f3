import { Buffer } from 'node:buffer'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { Result } from '../errors/result.js'
import {
  decodeBase64,
  decodeBase64Url,
  encodeBase64,
  encodeBase64Url,
  isUnpaddedBase64,
} from './base64.js'

const ascii = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'))
const unpad = (s: string): string => s.replace(/=+$/, '')

function decoded(result: Result<Uint8Array>): Uint8Array {
  if (!result.ok) throw new Error(`expected bytes, got ${result.error.error}`)
  return result.value
}

function failure(result: Result<Uint8Array>): string {
  if (result.ok) throw new Error('expected an error')
  expect(result.error.errcode).toBe('M_INVALID_PARAM')
  return result.error.error
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'

describe('encodeBase64', () => {
  // appendices §Unpadded Base64
  it.each([
    ['', ''],
    ['f', 'Zg'],
    ['fo', 'Zm8'],
    ['foo', 'Zm9v'],
    ['foob', 'Zm9vYg'],
    ['fooba', 'Zm9vYmE'],
    ['foobar', 'Zm9vYmFy'],
  ])('encodes the spec example %j as %j', (text, encoded) => {
    expect(encodeBase64(ascii(text))).toBe(encoded)
    expect(decoded(decodeBase64(encoded))).toEqual(ascii(text))
  })

  it('uses + and / in the standard alphabet and - and _ in the URL-safe one', () => {
    const bytes = new Uint8Array([0xfb, 0xff, 0xbf])
    expect(encodeBase64(bytes)).toBe('+/+/')
    expect(encodeBase64Url(bytes)).toBe('-_-_')
    expect(encodeBase64(new Uint8Array([0xfb, 0xff]))).toBe('+/8')
    expect(encodeBase64Url(new Uint8Array([0xfb, 0xff]))).toBe('-_8')
    expect(encodeBase64Url(new Uint8Array([0xff]))).toBe('_w')
  })

  it('matches Node for random bytes, in both alphabets', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const buf = Buffer.from(bytes)
        expect(encodeBase64(bytes)).toBe(unpad(buf.toString('base64')))
        expect(encodeBase64Url(bytes)).toBe(buf.toString('base64url'))
      }),
      { numRuns: 500 },
    )
  })

  it('encodes a subarray view by its own bytes, not its buffer', () => {
    const whole = new Uint8Array([1, 2, 3, 4, 5, 6])
    expect(encodeBase64(whole.subarray(2, 4))).toBe(unpad(Buffer.from([3, 4]).toString('base64')))
  })

  it('encodes a megabyte correctly', () => {
    const bytes = new Uint8Array(1 << 20)
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919) & 0xff
    expect(encodeBase64(bytes)).toBe(unpad(Buffer.from(bytes).toString('base64')))
  })
})

describe('decodeBase64', () => {
  it('decodes the signing key seed of the spec test vectors only when trailing bits are allowed', () => {
    // The spec's own seed ends in '1' (0b110101): the two unused bits are not zero.
    const seed = 'YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1'
    expect(failure(decodeBase64(seed))).toMatch(/unused bits/)
    const bytes = decoded(decodeBase64(seed, { allowTrailingBits: true }))
    expect(bytes).toEqual(new Uint8Array(Buffer.from(seed, 'base64')))
    expect(bytes).toHaveLength(32)
    expect(encodeBase64(bytes)).toBe('YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA0')
  })

  it('decodes the v4 event ID example with the URL-safe alphabet only', () => {
    const hash = 'Rqnc-F-dvnEYJTyHq_iKxU2bZ1CI92-kuZq3a5lr5Zg'
    expect(decoded(decodeBase64Url(hash))).toEqual(new Uint8Array(Buffer.from(hash, 'base64url')))
    expect(failure(decodeBase64(hash))).toMatch(/U\+002D at index 4/)
  })

  it('returns a plain Uint8Array of the exact length', () => {
    const bytes = decoded(decodeBase64('Zm9vYmE'))
    expect(Object.getPrototypeOf(bytes)).toBe(Uint8Array.prototype)
    expect(bytes.byteLength).toBe(5)
    expect(bytes.buffer.byteLength).toBe(5)
  })

  // The spec says decoders SHOULD accept input with or without padding.
  it.each([
    ['Zg==', 'f'],
    ['Zg=', 'f'],
    ['Zg', 'f'],
    ['Zm8=', 'fo'],
    ['Zm8', 'fo'],
    ['Zm9v', 'foo'],
    ['Zm9vYg==', 'foob'],
    ['', ''],
  ])('accepts %j with or without padding', (text, bytes) => {
    expect(decoded(decodeBase64(text))).toEqual(ascii(bytes))
    expect(decoded(decodeBase64Url(text))).toEqual(ascii(bytes))
  })

  it.each([
    ['Zm9v=', /too much '=' padding/],
    ['Zm8==', /too much '=' padding/],
    ['Zg===', /too much '=' padding/],
    ['=', /too much '=' padding/],
    ['==', /too much '=' padding/],
    ['====', /no bytes encode to length 1$/],
    ['Z', /no bytes encode to length 1$/],
    ['Z=', /no bytes encode to length 1$/],
    ['Zm9vY', /no bytes encode to length 5$/],
    ['Zm9vY===', /no bytes encode to length 5$/],
  ])('rejects the impossible length or padding of %j', (text, message) => {
    expect(failure(decodeBase64(text))).toMatch(message)
    expect(failure(decodeBase64Url(text))).toMatch(message)
  })

  it.each([
    ['Zm9v!A', 4],
    ['Zm 9vA', 2],
    ['Zm9v\nA', 4],
    ['\tZm9vY', 0],
    ['Zg==Zg==', 2],
    ['Zm=v', 2],
    ['Zm9vY\u00e9', 5],
    ['Zm9vYm\u{1F600}', 6],
    ['Zm9vYm\u0000', 6],
    ['Zm9vYmFy\u0100A', 8],
    ['Zm9v-_', 4],
  ])('rejects a character outside the standard alphabet in %j at index %i', (text, index) => {
    expect(failure(decodeBase64(text))).toMatch(new RegExp(`at index ${index} `))
  })

  it('names the offending character by code point', () => {
    expect(failure(decodeBase64('AAA\u00e9'))).toBe(
      'invalid base64: character U+00E9 at index 3 is not in the alphabet',
    )
    expect(failure(decodeBase64Url('AA+A'))).toBe(
      'invalid URL-safe base64: character U+002B at index 2 is not in the alphabet',
    )
  })

  it('rejects non-zero unused bits unless allowed, and then decodes like Node', () => {
    // 'h' is 33 = 0b100001: its low four bits should be zero after one byte.
    for (const [text, canonical] of [
      ['Zh', 'Zg'],
      ['Zm9', 'Zm8'],
      ['Zm9vYh==', 'Zm9vYg'],
      ['Zm/', 'Zm8'],
    ] as const) {
      expect(failure(decodeBase64(text))).toMatch(/unused bits/)
      const lenient = decoded(decodeBase64(text, { allowTrailingBits: true }))
      expect(lenient).toEqual(decoded(decodeBase64(canonical)))
      expect(lenient).toEqual(new Uint8Array(Buffer.from(text, 'base64')))
    }
    expect(failure(decodeBase64Url('Z_'))).toMatch(/unused bits/)
    expect(decoded(decodeBase64Url('Z_', { allowTrailingBits: true }))).toEqual(ascii('g'))
    expect(decoded(decodeBase64('Zg', { allowTrailingBits: false }))).toEqual(ascii('f'))
  })

  it('round-trips random bytes through every encoding and padding', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const buf = Buffer.from(bytes)
        expect(decoded(decodeBase64(encodeBase64(bytes)))).toEqual(bytes)
        expect(decoded(decodeBase64Url(encodeBase64Url(bytes)))).toEqual(bytes)
        expect(decoded(decodeBase64(buf.toString('base64')))).toEqual(bytes)
        expect(decoded(decodeBase64Url(buf.toString('base64url')))).toEqual(bytes)
      }),
      { numRuns: 500 },
    )
  })

  it('agrees with Node on every string of alphabet characters, and with canonical encoding', () => {
    const alphabetString = fc.string({
      unit: fc.constantFrom(...ALPHABET.split('')),
      maxLength: 40,
    })
    fc.assert(
      fc.property(alphabetString, (text) => {
        const result = decodeBase64(text)
        const node = Buffer.from(text, 'base64')
        if (text.length % 4 === 1) {
          expect(result.ok).toBe(false)
        } else if (unpad(node.toString('base64')) === text) {
          expect(decoded(result)).toEqual(new Uint8Array(node))
        } else {
          // Node ignored bits that were not zero; we do not, unless asked.
          expect(failure(result)).toMatch(/unused bits/)
          const lenient = decodeBase64(text, { allowTrailingBits: true })
          expect(decoded(lenient)).toEqual(new Uint8Array(node))
        }
      }),
      { numRuns: 1000 },
    )
  })

  it('never throws on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 64 }), (text) => {
        expect(typeof decodeBase64(text).ok).toBe('boolean')
        expect(typeof decodeBase64Url(text).ok).toBe('boolean')
      }),
      { numRuns: 500 },
    )
  })

  it('handles megabytes of input quickly, valid or not', () => {
    const bytes = new Uint8Array(3 << 20)
    for (let i = 0; i < bytes.length; i++) bytes[i] = i & 0xff
    const text = Buffer.from(bytes).toString('base64')
    const started = Date.now()
    expect(Buffer.from(decoded(decodeBase64(text))).equals(bytes)).toBe(true)
    expect(failure(decodeBase64(`${text}!`))).toMatch(/no bytes encode to length 4194305$/)
    expect(failure(decodeBase64(`${'A'.repeat(4_000_000)}*AAA`))).toMatch(/at index 4000000 /)
    expect(Date.now() - started).toBeLessThan(5000)
  })
})

describe('isUnpaddedBase64', () => {
  const hash = new Uint8Array(32).map((_, i) => i * 37)
  const std = encodeBase64(hash)
  const url = encodeBase64Url(hash)

  it('recognises the canonical encoding of the given number of bytes', () => {
    expect(std).toMatch(/[+/]/)
    expect(isUnpaddedBase64(std, 32, 'standard')).toBe(true)
    expect(isUnpaddedBase64(url, 32, 'url-safe')).toBe(true)
    expect(isUnpaddedBase64(`$${url}`, 32, 'url-safe', 1)).toBe(true)
    expect(isUnpaddedBase64('', 0, 'standard')).toBe(true)
    expect(isUnpaddedBase64('Zm9v', 3, 'standard')).toBe(true)
    expect(isUnpaddedBase64('Zg', 1, 'url-safe')).toBe(true)
  })

  it.each([
    ['the other alphabet', () => isUnpaddedBase64(std, 32, 'url-safe')],
    ['the other alphabet (URL-safe text)', () => isUnpaddedBase64(url, 32, 'standard')],
    ['a wrong length', () => isUnpaddedBase64(url.slice(1), 32, 'url-safe')],
    ['padding', () => isUnpaddedBase64(`${url}=`, 32, 'url-safe')],
    ['a start offset not applied', () => isUnpaddedBase64(`$${url}`, 32, 'url-safe')],
    ['non-zero bits after two bytes', () => isUnpaddedBase64('Zm9', 2, 'standard')],
    ['non-zero bits after one byte', () => isUnpaddedBase64('Zh', 1, 'standard')],
    ['a character above U+007F', () => isUnpaddedBase64('Zm9\u00e9', 3, 'standard')],
  ])('rejects %s', (_, check) => {
    expect(check()).toBe(false)
  })

  it('agrees with decoding for random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 70 }), (bytes) => {
        expect(isUnpaddedBase64(encodeBase64(bytes), bytes.length, 'standard')).toBe(true)
        expect(isUnpaddedBase64(encodeBase64Url(bytes), bytes.length, 'url-safe')).toBe(true)
        expect(isUnpaddedBase64(encodeBase64Url(bytes), bytes.length + 1, 'url-safe')).toBe(false)
      }),
    )
  })
})

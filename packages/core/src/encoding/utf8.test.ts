import { Buffer } from 'node:buffer'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { Result } from '../errors/result.js'
import { hasLoneSurrogate, utf8ByteLength, utf8Decode, utf8Encode } from './utf8.js'

const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

function text(result: Result<string>): string {
  if (!result.ok) throw new Error(`expected text, got ${result.error.error}`)
  return result.value
}

function failure(result: Result<string>): string {
  if (result.ok) throw new Error('expected an error')
  expect(result.error.errcode).toBe('M_INVALID_PARAM')
  return result.error.error
}

/** Strings that may hold lone surrogates: any UTF-16 code units. */
const anyUnits = fc.string({
  unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
})

describe('hasLoneSurrogate', () => {
  it.each([
    ['', false],
    ['plain', false],
    ['\u{1F600}', false],
    ['a\u{10FFFF}b', false],
    ['\uFFFD', false],
    ['\uD800', true],
    ['\uDC00', true],
    ['a\uD83Db', true],
    ['\uDE00\uD83D', true],
    ['\u{1F600}\uD83D', true],
  ])('%j → %s', (s, expected) => {
    expect(hasLoneSurrogate(s)).toBe(expected)
  })

  it('is true exactly when the string is not well-formed', () => {
    fc.assert(
      fc.property(anyUnits, (s) => {
        expect(hasLoneSurrogate(s)).toBe(Buffer.from(s, 'utf8').toString('utf8') !== s)
      }),
    )
  })
})

describe('utf8ByteLength and utf8Encode', () => {
  it.each([
    ['', 0],
    ['a', 1],
    ['\u007f', 1],
    ['\u0080', 2],
    ['\u07ff', 2],
    ['\u0800', 3],
    ['\uffff', 3],
    ['\u{10000}', 4],
    ['\u{10FFFF}', 4],
    ['\uD800', 3],
    ['\uDFFF', 3],
    ['\uD800\uD800', 6],
    ['\uD800a', 4],
    ['a\uDC00\uD800', 7],
  ])('%j takes %i bytes', (s, bytes) => {
    expect(utf8ByteLength(s)).toBe(bytes)
    expect(utf8Encode(s)).toHaveLength(bytes)
  })

  it('encodes lone surrogates as U+FFFD', () => {
    expect([...utf8Encode('a\uD800b')]).toEqual([0x61, 0xef, 0xbf, 0xbd, 0x62])
    expect([...utf8Encode('\uDC00')]).toEqual([0xef, 0xbf, 0xbd])
    expect([...utf8Encode('\u{1F600}')]).toEqual([0xf0, 0x9f, 0x98, 0x80])
  })

  it('matches Node for any UTF-16 string', () => {
    fc.assert(
      fc.property(anyUnits, (s) => {
        const node = Buffer.from(s, 'utf8')
        expect(utf8ByteLength(s)).toBe(node.length)
        expect(Buffer.from(utf8Encode(s)).equals(node)).toBe(true)
      }),
      { numRuns: 500 },
    )
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        expect(Buffer.from(utf8Encode(s)).equals(Buffer.from(s, 'utf8'))).toBe(true)
      }),
    )
  })
})

describe('utf8Decode', () => {
  it('round-trips any well-formed string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => {
        expect(text(utf8Decode(utf8Encode(s)))).toBe(s)
      }),
      { numRuns: 500 },
    )
  })

  it('keeps a byte order mark as text', () => {
    expect(text(utf8Decode(new Uint8Array([0xef, 0xbb, 0xbf, 0x61])))).toBe('\uFEFFa')
  })

  it('decodes the boundaries of each sequence length', () => {
    const cases: [number[], string][] = [
      [[0x00], '\u0000'],
      [[0x7f], '\u007f'],
      [[0xc2, 0x80], '\u0080'],
      [[0xdf, 0xbf], '\u07ff'],
      [[0xe0, 0xa0, 0x80], '\u0800'],
      [[0xed, 0x9f, 0xbf], '\ud7ff'],
      [[0xee, 0x80, 0x80], '\ue000'],
      [[0xef, 0xbf, 0xbf], '\uffff'],
      [[0xf0, 0x90, 0x80, 0x80], '\u{10000}'],
      [[0xf4, 0x8f, 0xbf, 0xbf], '\u{10FFFF}'],
    ]
    for (const [bytes, expected] of cases) {
      expect(text(utf8Decode(new Uint8Array(bytes)))).toBe(expected)
    }
  })

  it.each([
    ['a lone continuation byte', [0x61, 0x80], 1],
    ['an overlong 2-byte form (C0)', [0xc0, 0x80], 0],
    ['an overlong 2-byte form (C1)', [0xc1, 0xbf], 0],
    ['an overlong 3-byte form', [0xe0, 0x9f, 0xbf], 0],
    ['an overlong 4-byte form', [0xf0, 0x8f, 0xbf, 0xbf], 0],
    ['an encoded high surrogate', [0xed, 0xa0, 0x80], 0],
    ['an encoded low surrogate', [0x61, 0xed, 0xbf, 0xbf], 1],
    ['a code point above U+10FFFF', [0xf4, 0x90, 0x80, 0x80], 0],
    ['the byte F5', [0xf5, 0x80, 0x80, 0x80], 0],
    ['the byte FF', [0xff], 0],
    ['a truncated 2-byte sequence', [0x61, 0xc3], 1],
    ['a truncated 3-byte sequence', [0xe2, 0x82], 0],
    ['a truncated 4-byte sequence', [0xf0, 0x9f, 0x98], 0],
    ['a bad second byte', [0xc3, 0x28], 0],
    ['a bad third byte', [0xe2, 0x82, 0x28], 0],
    ['a bad fourth byte', [0xf0, 0x9f, 0x98, 0x28], 0],
    ['an ASCII byte inside a sequence', [0xe2, 0x41, 0x82], 0],
  ])('rejects %s', (_, bytes, offset) => {
    expect(failure(utf8Decode(new Uint8Array(bytes)))).toBe(
      `invalid UTF-8 at byte offset ${offset}`,
    )
  })

  it('accepts exactly what a fatal TextDecoder accepts, with the same text', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        let expected: string | undefined
        try {
          expected = strict.decode(bytes)
        } catch {
          expected = undefined
        }
        const result = utf8Decode(bytes)
        expect(result.ok ? result.value : undefined).toBe(expected)
      }),
      { numRuns: 2000 },
    )
  })

  it('decodes long texts across its internal chunks', () => {
    const pieces = [
      'a'.repeat(10_000),
      `${'a'.repeat(4095)}\u{1F600}${'b'.repeat(5000)}`,
      `\u00e9${'x'.repeat(4094)}\u{1F600}\u{1F600}${'é'.repeat(9000)}`,
      '\u{1F600}'.repeat(5000),
      `${'z'.repeat(100)}${'\u4e2d'.repeat(20_000)}`,
    ]
    for (const s of pieces) {
      const bytes = utf8Encode(s)
      expect(text(utf8Decode(bytes))).toBe(s)
      expect(text(utf8Decode(bytes))).toBe(strict.decode(bytes))
    }
  })

  it('decodes an ASCII subarray by its own bytes', () => {
    const whole = utf8Encode('xxhelloxx')
    expect(text(utf8Decode(whole.subarray(2, 7)))).toBe('hello')
  })

  it('reports the offset of an error far into a long input', () => {
    const bytes = utf8Encode(`${'é'.repeat(5000)}!`)
    bytes[bytes.length - 1] = 0xff
    expect(failure(utf8Decode(bytes))).toBe(`invalid UTF-8 at byte offset ${bytes.length - 1}`)
  })
})

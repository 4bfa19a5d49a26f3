import { describe, expect, it } from 'vitest'
import { exceedsUtf8Bytes, hasNulOrLoneSurrogate, quoteForError } from './id-text.js'

describe('quoteForError', () => {
  it('quotes as JSON and cuts long input at 64 code units', () => {
    expect(quoteForError('a"b\n')).toBe('"a\\"b\\n"')
    expect(quoteForError('x'.repeat(64))).toBe(`"${'x'.repeat(64)}"`)
    expect(quoteForError('x'.repeat(65))).toBe(`"${'x'.repeat(64)}"…`)
    expect(quoteForError('\uD800')).toBe('"\\ud800"')
  })
})

describe('exceedsUtf8Bytes', () => {
  it.each([
    ['', 0, false],
    ['a', 0, true],
    ['aaa', 3, false],
    ['aaaa', 3, true],
    ['é', 1, true],
    ['é', 2, false],
    ['\u{1F600}', 4, false],
    ['\u{1F600}', 3, true],
    ['ééé', 6, false],
    ['éééa', 6, true],
    ['a'.repeat(100), 255, false],
    ['é'.repeat(127), 255, false],
    ['é'.repeat(128), 255, true],
    ['\u4e2d'.repeat(85), 255, false],
    ['\u4e2d'.repeat(86), 255, true],
  ])('%j over %i bytes: %s', (s, limit, expected) => {
    expect(exceedsUtf8Bytes(s, limit)).toBe(expected)
  })
})

describe('hasNulOrLoneSurrogate', () => {
  it.each([
    ['abc', 0, 3, false],
    ['a\u0000c', 0, 3, true],
    ['a\u0000c', 2, 3, false],
    ['\u{1F600}', 0, 2, false],
    ['\u{1F600}', 0, 1, true],
    ['\uD83D', 0, 1, true],
    ['\uDE00x', 0, 2, true],
    ['\uD83Dx', 0, 2, true],
    ['x\u{1F600}\u{1F600}y', 1, 5, false],
  ])('%j in [%i, %i): %s', (s, start, end, expected) => {
    expect(hasNulOrLoneSurrogate(s, start, end)).toBe(expected)
  })
})

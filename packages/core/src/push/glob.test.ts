import { describe, expect, it } from 'vitest'
import { containsWords, escapeLiteral, globMatches } from './glob.js'

describe('globMatches (whole value)', () => {
  it('matches the spec example: content.topic with lunc?*', () => {
    expect(globMatches('lunc?*', 'Lunch plans')).toBe(true)
    // Case-insensitive; * may match zero characters.
    expect(globMatches('lunc?*', 'LUNCH')).toBe(true)
    // Leading space; ? must match a character.
    expect(globMatches('lunc?*', ' lunch')).toBe(false)
    expect(globMatches('lunc?*', 'lunc')).toBe(false)
  })

  it('takes everything but * and ? literally', () => {
    expect(globMatches('m.room.message', 'm.room.message')).toBe(true)
    expect(globMatches('m.room.message', 'mxroomxmessage')).toBe(false)
    expect(globMatches('(a|b)+[c]{2}^$\\/', '(a|b)+[c]{2}^$\\/')).toBe(true)
    expect(globMatches('a-b', 'a-b')).toBe(true)
    expect(globMatches('', '')).toBe(true)
    expect(globMatches('', 'x')).toBe(false)
  })

  it('lets * span lines and ? match one code point', () => {
    expect(globMatches('a*z', 'a\nb\nz')).toBe(true)
    expect(globMatches('?', '\u{1F600}')).toBe(true)
    expect(globMatches('??', '\u{1F600}')).toBe(false)
    expect(globMatches('*', '')).toBe(true)
  })

  it('keeps working when many patterns have been compiled', () => {
    for (let i = 0; i < 2100; i++) expect(globMatches(`p${i}*`, `p${i}x`)).toBe(true)
    expect(globMatches('p1*', 'P1')).toBe(true)
  })
})

describe('globMatches (content.body: word boundaries)', () => {
  it('matches the spec example: ex*ple', () => {
    expect(globMatches('ex*ple', 'An example event.', true)).toBe(true)
    expect(globMatches('ex*ple', 'exple', true)).toBe(true)
    // The pattern can span words, and - separates words.
    expect(globMatches('ex*ple', 'An exciting triple-whammy', true)).toBe(true)
  })

  it('needs a boundary on both sides', () => {
    expect(globMatches('cake', 'I like cake', true)).toBe(true)
    expect(globMatches('cake', 'cakes', true)).toBe(false)
    expect(globMatches('cake', 'pancake', true)).toBe(false)
    expect(globMatches('cake', 'cake_', true)).toBe(false)
    expect(globMatches('cake', 'CAKE!', true)).toBe(true)
    expect(globMatches('cake', 'cake9', true)).toBe(false)
    expect(globMatches('cake', 'é cake é', true)).toBe(true)
  })

  it('counts a pattern that starts or ends with a separator as bounded there', () => {
    expect(globMatches('@room', 'hey @room', true)).toBe(true)
    expect(globMatches('@room', 'hey@room', true)).toBe(true)
    expect(globMatches('@room', '@roomy', true)).toBe(false)
  })
})

describe('containsWords', () => {
  it('finds a display name as whole words, ignoring case', () => {
    expect(containsWords('Hello Alice!', 'alice')).toBe(true)
    expect(containsWords('Hello Alice Smith', 'Alice Smith')).toBe(true)
    expect(containsWords('Alicea', 'Alice')).toBe(false)
    expect(containsWords('Hello', '')).toBe(false)
  })

  it('treats pattern characters in the name literally, except * and ?', () => {
    expect(containsWords('ping [bot] now', '[bot]')).toBe(true)
    expect(containsWords('a.b', 'a.b')).toBe(true)
    expect(containsWords('axb', 'a.b')).toBe(false)
    expect(containsWords('hi st*r', 'st*r')).toBe(true)
    expect(containsWords('hi star', 'st*r')).toBe(true)
  })
})

describe('escapeLiteral', () => {
  it('escapes exactly the regular expression syntax characters', () => {
    expect(escapeLiteral('a.b*c')).toBe('a\\.b\\*c')
    expect(new RegExp(`^${escapeLiteral('[x](y){z}|^$\\/')}$`, 'u').test('[x](y){z}|^$\\/')).toBe(
      true,
    )
  })
})

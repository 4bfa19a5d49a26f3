/**
 * Glob-style matching (appendices §Glob-style matching): `*` matches zero or more characters, `?`
 * exactly one; everything else is literal. Push rules match case-insensitively.
 */

/** Compiled patterns are kept: the same few rules are evaluated for every event and member. */
const MAX_CACHED = 2000
const cache = new Map<string, RegExp>()

const WORD = 'A-Za-z0-9_'

/**
 * Whether `value` matches `pattern` as a whole, or (`wordBoundary`) whether some substring of
 * `value` that starts and ends at a word boundary matches it (the `content.body` rule). A word
 * boundary is the start or end of the value or a character outside [A-Za-z0-9_]; as other servers
 * do, a pattern that itself starts or ends with such a character counts as bounded there.
 */
export function globMatches(pattern: string, value: string, wordBoundary = false): boolean {
  return globRegExp(pattern, wordBoundary).test(value)
}

function globRegExp(pattern: string, wordBoundary: boolean): RegExp {
  const key = `${wordBoundary ? 'w' : 'f'}${pattern}`
  let re = cache.get(key)
  if (re === undefined) {
    const body = globToRegExpSource(pattern)
    const source = wordBoundary ? `(?:(?<![${WORD}])|\\b)${body}(?:(?![${WORD}])|\\b)` : `^${body}$`
    re = new RegExp(source, 'iu')
    if (cache.size >= MAX_CACHED) cache.clear()
    cache.set(key, re)
  }
  return re
}

function globToRegExpSource(pattern: string): string {
  let out = ''
  for (const ch of pattern) {
    if (ch === '*') out += '[\\s\\S]*?'
    else if (ch === '?') out += '[\\s\\S]'
    else out += escapeLiteral(ch)
  }
  return out
}

/** Escapes `text` to match itself literally in a `u`-flag regular expression. */
export function escapeLiteral(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
}

/**
 * Whether `needle` occurs in `haystack` case-insensitively, starting and ending at word
 * boundaries (the `contains_display_name` condition: the name is literal, not a pattern).
 */
export function containsWords(haystack: string, needle: string): boolean {
  if (needle === '') return false
  return globRegExp(escapeGlob(needle), true).test(haystack)
}

/** The glob that matches `text` literally: `*` and `?` cannot be escaped, so they become `?`. */
function escapeGlob(text: string): string {
  // A display name containing * or ? is rare; letting those match any one character is a small
  // over-match, and never a miss.
  return text.replace(/\*/g, '?')
}

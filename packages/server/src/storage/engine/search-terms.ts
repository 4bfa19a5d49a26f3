/**
 * The search term as a web search reads it: words must all match, "quoted words" match as a
 * phrase, `or` between two terms accepts either, `-term` excludes. Parsed here once, so that both
 * dialects give it the same meaning: SQLite as an FTS5 query (`fts5Query`), PostgreSQL as a
 * tsquery combined from `phraseto_tsquery` of each term (`tsqueryExpression`). Also the markers
 * both put around matched words, and reading them back.
 */

/** A word, or a phrase of several. */
export type SearchTerm = readonly string[]

export interface ParsedSearch {
  /** All groups must match; within a group, any term. */
  readonly required: readonly (readonly SearchTerm[])[]
  /** No term may match. */
  readonly excluded: readonly SearchTerm[]
}

/** Terms beyond this many are ignored: a search is a few words, not a document. */
export const MAX_SEARCH_TERMS = 32

const WORD = /[\p{L}\p{N}\p{M}]+/gu

export function parseSearchTerm(term: string): ParsedSearch {
  const required: SearchTerm[][] = []
  const excluded: SearchTerm[] = []
  let orPending = false
  let count = 0
  // A chunk is a quoted phrase or a run without spaces; an unclosed quote runs to the end.
  const chunks = /(-?)"([^"]*)"?|(\S+)/g
  for (const match of term.matchAll(chunks)) {
    if (count >= MAX_SEARCH_TERMS) break
    const quoted = match[2]
    const bare = match[3]
    if (bare !== undefined && bare.toLowerCase() === 'or' && required.length > 0) {
      orPending = true
      continue
    }
    const negated = match[1] === '-' || (bare?.startsWith('-') ?? false)
    const words = (quoted ?? bare ?? '').match(WORD) ?? []
    if (words.length === 0) continue
    const lowered = words.map((word) => word.toLowerCase())
    count++
    // Outside quotes, punctuation separates words that must each match ("e-mail" is e, mail).
    const terms: SearchTerm[] = quoted !== undefined ? [lowered] : lowered.map((word) => [word])
    if (negated) {
      excluded.push(...terms)
      orPending = false
      continue
    }
    const last = required.at(-1)
    const [first, ...rest] = terms
    if (orPending && last !== undefined && first !== undefined) {
      last.push(first)
      for (const extra of rest) required.push([extra])
    } else {
      for (const one of terms) required.push([one])
    }
    orPending = false
  }
  return { required, excluded }
}

/**
 * The FTS5 query for a parsed search, or undefined when nothing is required (then nothing
 * matches, as in PostgreSQL). Every word is a quoted string, so no user input is FTS5 syntax.
 */
export function fts5Query(parsed: ParsedSearch): string | undefined {
  if (parsed.required.length === 0) return undefined
  const phrase = (term: SearchTerm): string => `"${term.join(' ').replaceAll('"', '""')}"`
  const groups = parsed.required.map((group) =>
    group.length === 1 ? phrase(group[0] ?? []) : `(${group.map(phrase).join(' OR ')})`,
  )
  const positive = `(${groups.join(' AND ')})`
  if (parsed.excluded.length === 0) return positive
  return `${positive} NOT (${parsed.excluded.map(phrase).join(' OR ')})`
}

/**
 * The PostgreSQL tsquery expression for a parsed search, each term a parameter added with `add`
 * (which returns its placeholder), or undefined when nothing is required. A term of stop words
 * only is an empty tsquery, which the operators ignore.
 */
export function tsqueryExpression(
  parsed: ParsedSearch,
  config: string,
  add: (value: string) => string,
): string | undefined {
  if (parsed.required.length === 0) return undefined
  const phrase = (term: SearchTerm): string => `phraseto_tsquery(${config}, ${add(term.join(' '))})`
  const groups = parsed.required.map((group) => `(${group.map(phrase).join(' || ')})`)
  const positive = `(${groups.join(' && ')})`
  if (parsed.excluded.length === 0) return positive
  return `(${positive} && !!(${parsed.excluded.map(phrase).join(' || ')}))`
}

/** Put around each matched word by both dialects: private-use characters, never in real text. */
export const HIGHLIGHT_START = '\u{E000}'
export const HIGHLIGHT_END = '\u{E001}'

/** The distinct words between the markers, as they appear in the text. */
export function markedWords(marked: string): string[] {
  const out = new Set<string>()
  let at = 0
  for (;;) {
    const start = marked.indexOf(HIGHLIGHT_START, at)
    if (start < 0) break
    const end = marked.indexOf(HIGHLIGHT_END, start + 1)
    if (end < 0) break
    const word = marked.slice(start + 1, end).trim()
    if (word !== '') out.add(word)
    at = end + 1
  }
  return [...out]
}

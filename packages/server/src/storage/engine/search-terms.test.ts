import { describe, expect, it } from 'vitest'
import {
  fts5Query,
  HIGHLIGHT_END as E,
  HIGHLIGHT_START as S,
  markedWords,
  MAX_SEARCH_TERMS,
  parseSearchTerm,
  tsqueryExpression,
} from './search-terms.js'

describe('parseSearchTerm', () => {
  it('requires every word, lower-cased, split at punctuation', () => {
    expect(parseSearchTerm('Hello, World e-mail')).toEqual({
      required: [[['hello']], [['world']], [['e']], [['mail']]],
      excluded: [],
    })
  })

  it('reads quoted phrases, or, and exclusions', () => {
    expect(parseSearchTerm('"big cake" or pie -"sour cream" -nuts')).toEqual({
      required: [[['big', 'cake'], ['pie']]],
      excluded: [['sour', 'cream'], ['nuts']],
    })
    // A leading or is a word; an unclosed quote runs to the end.
    expect(parseSearchTerm('or "open quote')).toEqual({
      required: [[['or']], [['open', 'quote']]],
      excluded: [],
    })
  })

  it('keeps letters of every script and drops bare punctuation', () => {
    expect(parseSearchTerm('café 日本 !!! "" -').required).toEqual([[['café']], [['日本']]])
  })

  it(`stops after ${MAX_SEARCH_TERMS} terms`, () => {
    const term = Array.from({ length: 50 }, (_, i) => `w${i}`).join(' ')
    expect(parseSearchTerm(term).required).toHaveLength(MAX_SEARCH_TERMS)
  })
})

describe('fts5Query', () => {
  it('quotes every term so that input is never FTS5 syntax', () => {
    expect(fts5Query(parseSearchTerm('cake OR pie NEAR -x'))).toBe(
      '(("cake" OR "pie") AND "near") NOT ("x")',
    )
    expect(fts5Query(parseSearchTerm('"a b" c'))).toBe('("a b" AND "c")')
  })

  it('has no query when nothing is required', () => {
    expect(fts5Query(parseSearchTerm('-only'))).toBeUndefined()
    expect(fts5Query(parseSearchTerm('  '))).toBeUndefined()
  })
})

describe('tsqueryExpression', () => {
  it('combines a phrase query per term, each term a parameter', () => {
    const values: string[] = []
    const add = (value: string): string => {
      values.push(value)
      return `$${values.length}`
    }
    expect(tsqueryExpression(parseSearchTerm('"big cake" or pie recipe -nuts'), 'cfg', add)).toBe(
      '(((phraseto_tsquery(cfg, $1) || phraseto_tsquery(cfg, $2)) && (phraseto_tsquery(cfg, $3)))' +
        ' && !!(phraseto_tsquery(cfg, $4)))',
    )
    expect(values).toEqual(['big cake', 'pie', 'recipe', 'nuts'])
    expect(tsqueryExpression(parseSearchTerm('-x'), 'cfg', add)).toBeUndefined()
  })
})

describe('markedWords', () => {
  it('reads the distinct marked words', () => {
    expect(markedWords(`The ${S}Running${E} dogs ${S}run${E}, ${S}run${E}`)).toEqual([
      'Running',
      'run',
    ])
    expect(markedWords(`unclosed ${S}word`)).toEqual([])
    expect(markedWords('')).toEqual([])
  })
})

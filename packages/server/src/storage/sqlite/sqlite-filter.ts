import type { EventFilter } from '../interface.js'
import { sqlList } from './sqlite-statements.js'

/** A WHERE fragment with its parameters. */
export interface SqlClause {
  readonly sql: string
  readonly params: readonly unknown[]
}

/**
 * The filter as SQL on the events table aliased `e`. Exact types are one list parameter; a type
 * with `*` becomes a GLOB pattern (case-sensitive, unlike SQLite's LIKE).
 */
export function sqliteFilterClause(filter: EventFilter | undefined): SqlClause {
  const parts: string[] = []
  const params: unknown[] = []
  if (filter?.types !== undefined) {
    const match = typeMatch(filter.types)
    parts.push(match.sql)
    params.push(...match.params)
  }
  if (filter?.notTypes !== undefined && filter.notTypes.length > 0) {
    const match = typeMatch(filter.notTypes)
    parts.push(`NOT ${match.sql}`)
    params.push(...match.params)
  }
  if (filter?.senders !== undefined) {
    parts.push('e.sender IN (SELECT value FROM json_each(?))')
    params.push(sqlList(filter.senders))
  }
  if (filter?.notSenders !== undefined && filter.notSenders.length > 0) {
    parts.push('e.sender NOT IN (SELECT value FROM json_each(?))')
    params.push(sqlList(filter.notSenders))
  }
  if (filter?.ignoredSenders !== undefined && filter.ignoredSenders.length > 0) {
    parts.push('(e.state_key IS NOT NULL OR e.sender NOT IN (SELECT value FROM json_each(?)))')
    params.push(sqlList(filter.ignoredSenders))
  }
  // Read from the stored JSON: the rows scanned are the page's, so the LIMIT stays exact.
  if (filter?.containsUrl === true) {
    parts.push(`(e.redacted_by IS NULL AND json_type(e.json, '$.content.url') = 'text')`)
  } else if (filter?.containsUrl === false) {
    parts.push(`(e.redacted_by IS NOT NULL OR json_type(e.json, '$.content.url') IS NOT 'text')`)
  }
  return { sql: parts.length === 0 ? '1' : parts.join(' AND '), params }
}

function typeMatch(types: readonly string[]): SqlClause {
  const exact = types.filter((type) => !type.includes('*'))
  const patterns = types.filter((type) => type.includes('*')).map(wildcardToGlob)
  const alternatives = [
    'e.type IN (SELECT value FROM json_each(?))',
    ...patterns.map(() => 'e.type GLOB ?'),
  ]
  return { sql: `(${alternatives.join(' OR ')})`, params: [sqlList(exact), ...patterns] }
}

/** `*` matches anything; every other character, GLOB's own `?`, `[` and `*` included, is literal. */
export function wildcardToGlob(pattern: string): string {
  let glob = ''
  for (const char of pattern) {
    if (char === '*') glob += '*'
    else if (char === '?' || char === '[') glob += `[${char}]`
    else glob += char
  }
  return glob
}

import type { EventFilter } from '../interface.js'
import type { Params } from './postgres-connection.js'

/** The JSON type of the event's `content.url` (NULL when absent). */
const URL_TYPE = `json_typeof(e.json::json -> 'content' -> 'url')`

/**
 * The filter as SQL on the events table aliased `e`, with its values added to `params`. Exact
 * types are one array parameter; a type with `*` becomes a LIKE pattern (case-sensitive in
 * PostgreSQL) with `%`, `_` and the escape character made literal.
 */
export function postgresFilterClause(filter: EventFilter | undefined, params: Params): string {
  const parts: string[] = []
  if (filter?.types !== undefined) parts.push(typeMatch(filter.types, params))
  if (filter?.notTypes !== undefined && filter.notTypes.length > 0) {
    parts.push(`NOT ${typeMatch(filter.notTypes, params)}`)
  }
  if (filter?.senders !== undefined)
    parts.push(`e.sender = ANY(${params.add(filter.senders)}::text[])`)
  if (filter?.notSenders !== undefined && filter.notSenders.length > 0) {
    parts.push(`NOT (e.sender = ANY(${params.add(filter.notSenders)}::text[]))`)
  }
  if (filter?.ignoredSenders !== undefined && filter.ignoredSenders.length > 0) {
    const ignored = params.add(filter.ignoredSenders)
    parts.push(`(e.state_key IS NOT NULL OR NOT (e.sender = ANY(${ignored}::text[])))`)
  }
  // Read from the stored JSON: the rows scanned are the page's, so the LIMIT stays exact.
  if (filter?.containsUrl === true) {
    parts.push(`(e.redacted_by IS NULL AND ${URL_TYPE} = 'string')`)
  } else if (filter?.containsUrl === false) {
    parts.push(`(e.redacted_by IS NOT NULL OR ${URL_TYPE} IS DISTINCT FROM 'string')`)
  }
  return parts.length === 0 ? 'TRUE' : parts.join(' AND ')
}

function typeMatch(types: readonly string[], params: Params): string {
  const exact = types.filter((type) => !type.includes('*'))
  const alternatives = [`e.type = ANY(${params.add(exact)}::text[])`]
  for (const type of types) {
    if (type.includes('*'))
      alternatives.push(`e.type LIKE ${params.add(wildcardToLike(type))} ESCAPE '\\'`)
  }
  return `(${alternatives.join(' OR ')})`
}

/** `*` matches anything; `%`, `_` and `\` are literal. */
export function wildcardToLike(pattern: string): string {
  let like = ''
  for (const char of pattern) {
    if (char === '*') like += '%'
    else if (char === '%' || char === '_' || char === '\\') like += `\\${char}`
    else like += char
  }
  return like
}

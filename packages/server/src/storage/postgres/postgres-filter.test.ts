import { describe, expect, it } from 'vitest'
import { Params } from './postgres-connection.js'
import { postgresFilterClause, wildcardToLike } from './postgres-filter.js'

describe('wildcardToLike', () => {
  it('keeps * as the wildcard and makes LIKE metacharacters literal', () => {
    expect(wildcardToLike('m.room.*')).toBe('m.room.%')
    expect(wildcardToLike('a_b%c\\d*')).toBe('a\\_b\\%c\\\\d%')
  })
})

describe('postgresFilterClause', () => {
  it('puts every value in a parameter, none in the SQL text', () => {
    const params = new Params()
    const sql = postgresFilterClause(
      { types: ["x'*", 'm.room.message'], notTypes: ['*.secret'], senders: ["@a'--:x" as never] },
      params,
    )
    expect(sql).not.toContain("x'")
    expect(sql).not.toContain('@a')
    expect(params.values).toEqual([['m.room.message'], "x'%", [], '%.secret', ["@a'--:x"]])
    expect(sql).toBe(
      "(e.type = ANY($1::text[]) OR e.type LIKE $2 ESCAPE '\\') AND NOT (e.type = ANY($3::text[]) OR e.type LIKE $4 ESCAPE '\\') AND e.sender = ANY($5::text[])",
    )
  })

  it('is TRUE without a filter, and skips empty exclusion lists', () => {
    const params = new Params()
    expect(postgresFilterClause(undefined, params)).toBe('TRUE')
    expect(postgresFilterClause({ notTypes: [], notSenders: [] }, params)).toBe('TRUE')
    expect(params.values).toEqual([])
  })
  it('keeps ignored senders and contains_url in parameters and fixed SQL', () => {
    const params = new Params()
    const sql = postgresFilterClause(
      { ignoredSenders: ['@x:y' as never], containsUrl: false },
      params,
    )
    expect(params.values).toEqual([['@x:y']])
    expect(sql).toBe(
      "(e.state_key IS NOT NULL OR NOT (e.sender = ANY($1::text[]))) AND (e.redacted_by IS NOT NULL OR json_typeof(e.json::json -> 'content' -> 'url') IS DISTINCT FROM 'string')",
    )
    expect(postgresFilterClause({ containsUrl: true }, new Params())).toBe(
      "(e.redacted_by IS NULL AND json_typeof(e.json::json -> 'content' -> 'url') = 'string')",
    )
  })
})

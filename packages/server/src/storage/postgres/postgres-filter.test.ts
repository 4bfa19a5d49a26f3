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
})

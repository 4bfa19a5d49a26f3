import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import type { UserId } from '@rhizome/core'
import { sqliteFilterClause, wildcardToGlob } from './sqlite-filter.js'

describe('wildcardToGlob', () => {
  it('keeps * as the wildcard and makes GLOB metacharacters literal', () => {
    expect(wildcardToGlob('m.room.*')).toBe('m.room.*')
    expect(wildcardToGlob('a?b[c]*')).toBe('a[?]b[[]c]*')
  })
})

describe('sqliteFilterClause', () => {
  const db = new Database(':memory:')
  db.exec(`CREATE TABLE events (type TEXT, sender TEXT)`)
  const rows: [string, string][] = [
    ['m.room.message', '@a:x'],
    ['m.room.member', '@b:x'],
    ['m.reaction', '@a:x'],
    ['M.ROOM.MESSAGE', '@a:x'],
    ['a?b', '@c:x'],
    ['axb', '@c:x'],
  ]
  for (const row of rows) db.prepare('INSERT INTO events VALUES (?, ?)').run(...row)

  function select(filter: Parameters<typeof sqliteFilterClause>[0]): string[] {
    const clause = sqliteFilterClause(filter)
    return db
      .prepare(`SELECT type FROM events e WHERE ${clause.sql} ORDER BY rowid`)
      .pluck()
      .all(...clause.params) as string[]
  }

  it('without a filter, matches everything', () => {
    expect(select(undefined)).toHaveLength(rows.length)
  })

  it('matches exact types and case-sensitive wildcards', () => {
    expect(select({ types: ['m.room.*'] })).toEqual(['m.room.message', 'm.room.member'])
    expect(select({ types: ['m.reaction', 'a?b'] })).toEqual(['m.reaction', 'a?b'])
    expect(select({ types: ['a?b*'] })).toEqual(['a?b'])
    expect(select({ types: [] })).toEqual([])
  })

  it('not_types wins over types, and senders filter exactly', () => {
    expect(select({ types: ['m.*'], notTypes: ['m.room.member'] })).toEqual([
      'm.room.message',
      'm.reaction',
    ])
    expect(select({ senders: ['@a:x' as UserId], notTypes: ['*'] })).toEqual([])
    expect(select({ notSenders: ['@a:x' as UserId] })).toEqual(['m.room.member', 'a?b', 'axb'])
    expect(select({ senders: [] })).toEqual([])
  })
})

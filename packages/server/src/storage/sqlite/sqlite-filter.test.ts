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
  db.exec(
    `CREATE TABLE events (type TEXT, sender TEXT, state_key TEXT, json TEXT, redacted_by TEXT)`,
  )
  const rows: [string, string, string | null, string, string | null][] = [
    ['m.room.message', '@a:x', null, '{"content":{"url":"mxc://x/1"}}', null],
    ['m.room.member', '@b:x', '@b:x', '{"content":{"membership":"join"}}', null],
    ['m.reaction', '@a:x', null, '{"content":{}}', null],
    ['M.ROOM.MESSAGE', '@a:x', null, '{"content":{"url":5}}', null],
    ['a?b', '@c:x', null, '{"content":{"url":"mxc://x/2"}}', '$redaction'],
    ['axb', '@c:x', null, '{"content":{"url":{"nested":"x"}}}', null],
  ]
  for (const row of rows) db.prepare('INSERT INTO events VALUES (?, ?, ?, ?, ?)').run(...row)

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
  it('leaves out the non-state events of ignored users, keeping their state', () => {
    expect(select({ ignoredSenders: ['@b:x' as UserId, '@c:x' as UserId] })).toEqual([
      'm.room.message',
      'm.room.member',
      'm.reaction',
      'M.ROOM.MESSAGE',
    ])
    expect(select({ ignoredSenders: [] })).toHaveLength(rows.length)
  })

  it('reads contains_url from the stored content: a string url, not redacted', () => {
    expect(select({ containsUrl: true })).toEqual(['m.room.message'])
    expect(select({ containsUrl: false })).toEqual([
      'm.room.member',
      'm.reaction',
      'M.ROOM.MESSAGE',
      'a?b',
      'axb',
    ])
    expect(select({ containsUrl: true, types: ['m.reaction'] })).toEqual([])
  })
})

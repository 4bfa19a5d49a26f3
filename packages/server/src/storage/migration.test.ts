import { describe, expect, it } from 'vitest'
import { pendingMigrations, type Migration } from './migration.js'

const list: Migration[] = [
  { version: 1, name: 'one', sql: '' },
  { version: 2, name: 'two', sql: '' },
]

describe('pendingMigrations', () => {
  it('returns the migrations above the current version', () => {
    expect(pendingMigrations(list, 0).map((m) => m.name)).toEqual(['one', 'two'])
    expect(pendingMigrations(list, 1).map((m) => m.name)).toEqual(['two'])
    expect(pendingMigrations(list, 2)).toEqual([])
  })

  it('refuses a database newer than the code', () => {
    expect(() => pendingMigrations(list, 3)).toThrow(/newer than this server/)
  })

  it('refuses a list with gaps', () => {
    expect(() => pendingMigrations([{ version: 2, name: 'x', sql: '' }], 0)).toThrow(/expected 1/)
  })
})

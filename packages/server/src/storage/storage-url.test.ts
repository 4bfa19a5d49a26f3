import { describe, expect, it } from 'vitest'
import { parseStorageUrl } from './storage-url.js'

describe('parseStorageUrl', () => {
  it('reads SQLite paths and the in-memory database', () => {
    expect(parseStorageUrl('sqlite:./data/r.db')).toEqual({
      ok: true,
      value: { dialect: 'sqlite', path: './data/r.db' },
    })
    expect(parseStorageUrl('sqlite:/var/lib/r.db')).toEqual({
      ok: true,
      value: { dialect: 'sqlite', path: '/var/lib/r.db' },
    })
    expect(parseStorageUrl('sqlite::memory:')).toEqual({
      ok: true,
      value: { dialect: 'sqlite', path: ':memory:' },
    })
  })

  it('reads PostgreSQL URLs in both spellings', () => {
    for (const url of ['postgres://u:p@h:5432/db', 'postgresql://h/db?sslmode=require']) {
      expect(parseStorageUrl(url)).toEqual({ ok: true, value: { dialect: 'postgres', url } })
    }
  })

  it('refuses anything else with a message', () => {
    for (const url of ['', 'mysql://x', 'sqlite:', 'sqlite:a\0b', 'postgres://[bad', 'SQLITE:x']) {
      const parsed = parseStorageUrl(url)
      expect(parsed.ok).toBe(false)
    }
  })
})

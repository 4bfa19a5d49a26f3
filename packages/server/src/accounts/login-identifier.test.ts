import { parseServerName, type JsonObject, type ServerName } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import { candidateUserIds, parseLoginIdentifier } from './login-identifier.js'

const server = ((): ServerName => {
  const parsed = parseServerName('example.org')
  if (!parsed.ok) throw new Error('bad server name')
  return parsed.value
})()

describe('parseLoginIdentifier', () => {
  it('reads m.id.user and the deprecated top-level user', () => {
    expect(parseLoginIdentifier({ identifier: { type: 'm.id.user', user: 'alice' } })).toEqual({
      ok: true,
      value: { kind: 'user', user: 'alice' },
    })
    expect(parseLoginIdentifier({ user: '@alice:example.org' })).toEqual({
      ok: true,
      value: { kind: 'user', user: '@alice:example.org' },
    })
  })

  it('recognises third-party identifiers, new and deprecated', () => {
    for (const fields of [
      { identifier: { type: 'm.id.thirdparty', medium: 'email', address: 'a@b.c' } },
      { identifier: { type: 'm.id.phone', country: 'GB', phone: '123' } },
      { medium: 'email', address: 'a@b.c' },
    ]) {
      expect(parseLoginIdentifier(fields)).toEqual({ ok: true, value: { kind: 'thirdparty' } })
    }
  })

  it('rejects malformed identifiers with precise errors', () => {
    const cases: [JsonObject, string][] = [
      [{ identifier: 'alice' }, 'M_BAD_JSON'],
      [{ identifier: { user: 'alice' } }, 'M_BAD_JSON'],
      [{ identifier: { type: 'm.id.user', user: 5 } }, 'M_BAD_JSON'],
      [{ identifier: { type: 'm.id.nope' } }, 'M_UNKNOWN'],
      [{ user: ['alice'] }, 'M_BAD_JSON'],
      [{}, 'M_MISSING_PARAM'],
      [{ medium: 'email' }, 'M_MISSING_PARAM'],
    ]
    for (const [fields, errcode] of cases) {
      const result = parseLoginIdentifier(fields)
      expect(!result.ok && result.error.errcode, JSON.stringify(fields)).toBe(errcode)
    }
    const unknown = parseLoginIdentifier({ identifier: { type: 'm.id.nope' } })
    expect(!unknown.ok && unknown.error.status).toBe(400)
  })
})

describe('candidateUserIds', () => {
  it('takes a localpart or a full ID of this server, lowercased first', () => {
    expect(candidateUserIds('alice', server)).toEqual(['@alice:example.org'])
    expect(candidateUserIds('@alice:example.org', server)).toEqual(['@alice:example.org'])
    expect(candidateUserIds('Alice', server)).toEqual(['@alice:example.org', '@Alice:example.org'])
    expect(candidateUserIds('@ALICE:example.org', server)).toEqual([
      '@alice:example.org',
      '@ALICE:example.org',
    ])
  })

  it('finds nobody for other servers, malformed IDs and empty names', () => {
    expect(candidateUserIds('@alice:other.org', server)).toEqual([])
    expect(candidateUserIds('@alice', server)).toEqual([])
    expect(candidateUserIds('', server)).toEqual([])
    expect(candidateUserIds('@:example.org', server)).toEqual([])
    expect(candidateUserIds('a:b', server)).toEqual([])
    expect(candidateUserIds('x'.repeat(300), server)).toEqual([])
  })
})

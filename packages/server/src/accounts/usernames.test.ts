import { parseServerName, type ServerName } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import { asciiLowercase, generateLocalpart, newUserId, userIdForRegistration } from './usernames.js'

const server = ((): ServerName => {
  const parsed = parseServerName('example.org')
  if (!parsed.ok) throw new Error('bad server name')
  return parsed.value
})()

describe('newUserId', () => {
  it('accepts the strict grammar', () => {
    for (const localpart of ['alice', 'a', 'a.b_c=d-e/f+g', '0123456789']) {
      const result = newUserId(localpart, server)
      expect(result.ok && result.value).toBe(`@${localpart}:example.org`)
    }
  })

  it('rejects empty, uppercase, and characters outside the grammar with M_INVALID_USERNAME', () => {
    for (const localpart of [
      '',
      'Alice',
      'al ice',
      'al:ice',
      'al@ice',
      'ålice',
      'a*',
      'a\u0000b',
    ]) {
      const result = newUserId(localpart, server)
      expect(result.ok, localpart).toBe(false)
      expect(!result.ok && result.error.errcode).toBe('M_INVALID_USERNAME')
    }
  })

  it('rejects a localpart whose user ID would exceed 255 bytes, exactly at the limit', () => {
    const room = 255 - '@:example.org'.length
    expect(newUserId('a'.repeat(room), server).ok).toBe(true)
    const tooLong = newUserId('a'.repeat(room + 1), server)
    expect(!tooLong.ok && tooLong.error.errcode).toBe('M_INVALID_USERNAME')
    expect(!tooLong.ok && tooLong.error.error).toMatch(/255 bytes/)
  })
})

describe('userIdForRegistration', () => {
  it('downcases ASCII letters before checking', () => {
    const result = userIdForRegistration('User-UPPER', server)
    expect(result.ok && result.value).toBe('@user-upper:example.org')
  })

  it('does not fold non-ASCII letters into ASCII ones', () => {
    // U+212A KELVIN SIGN lowercases to an ASCII k in Unicode; it must stay invalid.
    expect(asciiLowercase('\u212Aelvin')).toBe('\u212Aelvin')
    expect(userIdForRegistration('\u212Aelvin', server).ok).toBe(false)
    expect(userIdForRegistration('ÅLICE', server).ok).toBe(false)
  })
})

describe('generateLocalpart', () => {
  it('makes valid, distinct localparts', () => {
    const a = generateLocalpart()
    expect(a).toMatch(/^[a-z0-9]{12}$/)
    expect(newUserId(a, server).ok).toBe(true)
    expect(generateLocalpart()).not.toBe(a)
  })
})

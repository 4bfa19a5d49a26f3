import { describe, expect, it } from 'vitest'
import {
  DEFAULT_SCRYPT_PARAMS,
  formatPasswordHash,
  hashPassword,
  needsRehash,
  parsePasswordHash,
  verifyPassword,
} from './password-hash.js'

const FAST = { N: 2 ** 10, r: 8, p: 1 }

describe('hashPassword / verifyPassword', () => {
  it('hashes with the default parameters into the self-describing scrypt form', async () => {
    const stored = await hashPassword('correct horse battery staple')
    expect(stored).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/)
    expect(stored).not.toContain('correct horse')
    expect(await verifyPassword('correct horse battery staple', stored)).toBe(true)
    expect(await verifyPassword('correct horse battery stapl', stored)).toBe(false)
    expect(needsRehash(stored)).toBe(false)
  })

  it('salts every hash, so equal passwords give different hashes', async () => {
    const a = await hashPassword('same', FAST)
    const b = await hashPassword('same', FAST)
    expect(a).not.toBe(b)
    expect(await verifyPassword('same', a)).toBe(true)
    expect(await verifyPassword('same', b)).toBe(true)
  })

  it('verifies with the parameters stored in the hash, and tells when they are outdated', async () => {
    const old = await hashPassword('pw', FAST)
    expect(old.startsWith('scrypt$1024$8$1$')).toBe(true)
    expect(await verifyPassword('pw', old)).toBe(true)
    expect(needsRehash(old)).toBe(true)
    expect(needsRehash(old, FAST)).toBe(false)
  })

  it('treats NFC and NFD forms of a password as the same password', async () => {
    const stored = await hashPassword('caf\u00e9', FAST)
    expect(await verifyPassword('cafe\u0301', stored)).toBe(true)
    expect(await verifyPassword('cafe', stored)).toBe(false)
  })

  it('handles empty, long and non-ASCII passwords', async () => {
    for (const password of ['', 'x'.repeat(10_000), '🔑 пароль ключ']) {
      const stored = await hashPassword(password, FAST)
      expect(await verifyPassword(password, stored)).toBe(true)
      expect(await verifyPassword(`${password}!`, stored)).toBe(false)
    }
  })

  it('refuses to hash with parameters out of bounds (a programmer error)', async () => {
    await expect(hashPassword('pw', { N: 1000, r: 8, p: 1 })).rejects.toThrow(/invalid scrypt/)
    await expect(hashPassword('pw', { N: 2 ** 22, r: 8, p: 1 })).rejects.toThrow(/invalid scrypt/)
  })
})

describe('parsePasswordHash', () => {
  it('round-trips through formatPasswordHash', async () => {
    const stored = await hashPassword('pw', FAST)
    const parsed = parsePasswordHash(stored)
    expect(parsed.ok && formatPasswordHash(parsed.value)).toBe(stored)
    expect(parsed.ok && parsed.value.params).toEqual(FAST)
  })

  it('rejects malformed values, which then match no password', async () => {
    const good = await hashPassword('pw', FAST)
    const [, , , , salt, hash] = good.split('$')
    const bad = [
      '',
      'pw',
      'bcrypt$2b$12$abc',
      `scrypt$1024$8$1$${salt}`,
      `scrypt$1000$8$1$${salt}$${hash}`,
      `scrypt$01024$8$1$${salt}$${hash}`,
      `scrypt$1024$0$1$${salt}$${hash}`,
      `scrypt$1024$8$17$${salt}$${hash}`,
      `scrypt$4194304$8$1$${salt}$${hash}`,
      `scrypt$-1024$8$1$${salt}$${hash}`,
      `scrypt$1024$8$1$$${hash}`,
      `scrypt$1024$8$1$${salt}$`,
      `scrypt$1024$8$1$${salt}$${hash}==`,
      `scrypt$1024$8$1$${salt}$not*base64`,
      `scrypt$1024$8$1$QUJD$${hash}`,
      `scrypt$1024$8$1$${salt}$${'A'.repeat(100)}`,
      `scrypt$1024$8$1$${salt}$${hash}$extra`,
    ]
    for (const stored of bad) {
      expect(parsePasswordHash(stored).ok, stored).toBe(false)
      expect(await verifyPassword('pw', stored)).toBe(false)
      expect(needsRehash(stored)).toBe(true)
    }
  })

  it('keeps the default parameters memory-hard', () => {
    expect(128 * DEFAULT_SCRYPT_PARAMS.N * DEFAULT_SCRYPT_PARAMS.r).toBeGreaterThanOrEqual(
      32 * 1024 * 1024,
    )
  })
})

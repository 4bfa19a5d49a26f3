import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  generateAccessToken,
  generateDeviceId,
  generateSessionId,
  hashAccessToken,
} from './credentials.js'

describe('generateAccessToken', () => {
  it('is rhz_ and 43 base64url characters (32 random bytes), never repeating', () => {
    const tokens = new Set<string>()
    for (let i = 0; i < 1000; i++) {
      const token = generateAccessToken()
      expect(token).toMatch(/^rhz_[A-Za-z0-9_-]{43}$/)
      tokens.add(token)
    }
    expect(tokens.size).toBe(1000)
  })
})

describe('hashAccessToken', () => {
  it('is the unpadded base64url SHA-256 of the token, and differs from it', () => {
    const token = generateAccessToken()
    const hash = hashAccessToken(token)
    expect(hash).toBe(createHash('sha256').update(token).digest('base64url'))
    expect(hash).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(hash).not.toContain(token.slice(4))
    expect(hashAccessToken(token)).toBe(hash)
    expect(hashAccessToken(`${token}x`)).not.toBe(hash)
  })
})

describe('generateDeviceId', () => {
  it('is ten uppercase letters, using the whole alphabet', () => {
    const seen = new Set<string>()
    for (let i = 0; i < 500; i++) {
      const id = generateDeviceId()
      expect(id).toMatch(/^[A-Z]{10}$/)
      for (const c of id) seen.add(c)
    }
    expect(seen.size).toBe(26)
  })
})

describe('generateSessionId', () => {
  it('is URL-safe and random', () => {
    const a = generateSessionId()
    expect(a).toMatch(/^[A-Za-z0-9_-]{32}$/)
    expect(generateSessionId()).not.toBe(a)
    expect(generateSessionId(32)).toMatch(/^[A-Za-z0-9_-]{43}$/)
  })
})

import { describe, expect, it } from 'vitest'
import type { BackedUpKey } from '../storage/key-backup-store.js'
import { shouldReplaceKey } from './key-replacement.js'

function key(isVerified: boolean, firstMessageIndex: number, forwardedCount: number): BackedUpKey {
  return { isVerified, firstMessageIndex, forwardedCount, sessionData: { ciphertext: 'x' } }
}

describe('shouldReplaceKey', () => {
  it('prefers a verified key, whatever its indexes', () => {
    expect(shouldReplaceKey(key(false, 0, 0), key(true, 10, 5))).toBe(true)
    expect(shouldReplaceKey(key(true, 10, 5), key(false, 0, 0))).toBe(false)
  })

  it('between equally verified keys, prefers the lower first_message_index', () => {
    for (const verified of [true, false]) {
      expect(shouldReplaceKey(key(verified, 5, 0), key(verified, 4, 9))).toBe(true)
      expect(shouldReplaceKey(key(verified, 4, 9), key(verified, 5, 0))).toBe(false)
    }
  })

  it('then prefers the lower forwarded_count', () => {
    expect(shouldReplaceKey(key(false, 3, 2), key(false, 3, 1))).toBe(true)
    expect(shouldReplaceKey(key(false, 3, 1), key(false, 3, 2))).toBe(false)
  })

  it('keeps the stored key when the new one is no better', () => {
    expect(shouldReplaceKey(key(true, 3, 1), key(true, 3, 1))).toBe(false)
    expect(shouldReplaceKey(key(false, 0, 0), key(false, 0, 0))).toBe(false)
  })
})

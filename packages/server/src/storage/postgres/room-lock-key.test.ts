import { describe, expect, it } from 'vitest'
import { roomLockKey } from './room-lock-key.js'

describe('roomLockKey', () => {
  it('is a stable signed 64-bit decimal, different for different rooms', () => {
    const key = roomLockKey('!room:example.org')
    expect(key).toBe(roomLockKey('!room:example.org'))
    expect(key).not.toBe(roomLockKey('!room2:example.org'))
    const value = BigInt(key)
    expect(value >= -(2n ** 63n) && value < 2n ** 63n).toBe(true)
    // The known value pins the algorithm: every process must derive the same key.
    expect(roomLockKey('')).toBe(BigInt.asIntN(64, 0xe3b0c44298fc1c14n).toString())
  })
})

import type { UserId } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import type { Requester } from '../http/authenticate.js'
import { AccessTokenCache } from './token-cache.js'

const alice = '@alice:example.org' as UserId
const bob = '@bob:example.org' as UserId
const as = (userId: UserId, deviceId: string): Requester => ({ userId, deviceId, isGuest: false })

function clock() {
  let t = 1_000
  return { now: () => t, advance: (ms: number) => (t += ms) }
}

describe('AccessTokenCache', () => {
  it('keeps an entry for the TTL, then forgets it', () => {
    const time = clock()
    const cache = new AccessTokenCache({ ttlMs: 5000, maxEntries: 10 }, time.now)
    cache.set('h1', as(alice, 'A'))
    expect(cache.get('h1')).toEqual(as(alice, 'A'))
    time.advance(4999)
    expect(cache.get('h1')).toEqual(as(alice, 'A'))
    time.advance(1)
    expect(cache.get('h1')).toBeUndefined()
    expect(cache.size).toBe(0)
    expect(cache.get('never')).toBeUndefined()
  })

  it('stays within maxEntries, dropping the oldest first', () => {
    const cache = new AccessTokenCache({ ttlMs: 5000, maxEntries: 3 }, clock().now)
    for (const h of ['a', 'b', 'c', 'd']) cache.set(h, as(alice, h))
    expect(cache.size).toBe(3)
    expect(cache.get('a')).toBeUndefined()
    expect(cache.get('d')).toBeDefined()
    // Setting an existing key refreshes it instead of growing the cache.
    cache.set('b', as(alice, 'b'))
    cache.set('e', as(alice, 'e'))
    expect(cache.get('b')).toBeDefined()
    expect(cache.get('c')).toBeUndefined()
  })

  it('caches nothing when disabled', () => {
    const cache = new AccessTokenCache({ ttlMs: 0, maxEntries: 10 }, clock().now)
    cache.set('a', as(alice, 'A'))
    expect(cache.get('a')).toBeUndefined()
    const none = new AccessTokenCache({ ttlMs: 1000, maxEntries: 0 }, clock().now)
    none.set('a', as(alice, 'A'))
    expect(none.size).toBe(0)
  })

  it('evicts chosen devices of one user, or all of them but one', () => {
    const cache = new AccessTokenCache({ ttlMs: 5000, maxEntries: 100 }, clock().now)
    cache.set('a1', as(alice, 'A1'))
    cache.set('a2', as(alice, 'A2'))
    cache.set('a3', as(alice, 'A3'))
    cache.set('b1', as(bob, 'A1'))
    cache.evict(alice, { deviceIds: ['A1'] })
    expect(cache.get('a1')).toBeUndefined()
    expect(cache.get('b1')).toBeDefined()
    cache.evict(alice, { keep: 'A3' })
    expect(cache.get('a2')).toBeUndefined()
    expect(cache.get('a3')).toBeDefined()
    cache.evict(alice, {})
    expect(cache.get('a3')).toBeUndefined()
    expect(cache.get('b1')).toBeDefined()
  })
})

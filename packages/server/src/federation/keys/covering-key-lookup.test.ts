import type { JsonValue, ServerKeyLookup } from '@rhizome/core'
import { describe, expect, it } from 'vitest'
import { coveringKeyLookup, newestFirst } from './covering-key-lookup.js'

const KEY = new Uint8Array(32).fill(1)

/** A lookup that knows one key of a.example, valid until `validUntil`, and counts its calls. */
function counting(validUntil: number): { lookup: ServerKeyLookup; calls: () => number } {
  let calls = 0
  const lookup: ServerKeyLookup = (server, keyIds, eventTs) => {
    calls++
    const found = new Map<string, Uint8Array>()
    for (const keyId of keyIds) {
      if (server === 'a.example' && keyId === 'ed25519:k' && (eventTs ?? 0) <= validUntil) {
        found.set(keyId, KEY)
      }
    }
    return Promise.resolve(found)
  }
  return { lookup, calls: () => calls }
}

describe('coveringKeyLookup', () => {
  it('asks once for a key found valid for the newest event, then answers older ones itself', async () => {
    const inner = counting(1000)
    const keys = coveringKeyLookup(inner.lookup)
    expect((await keys('a.example', ['ed25519:k'], 900)).get('ed25519:k')).toEqual(KEY)
    for (const ts of [900, 500, 1]) {
      expect((await keys('a.example', ['ed25519:k'], ts)).get('ed25519:k')).toEqual(KEY)
    }
    expect(inner.calls()).toBe(1)
    // A newer event is not covered by what was found for an older one.
    expect((await keys('a.example', ['ed25519:k'], 950)).get('ed25519:k')).toEqual(KEY)
    expect(inner.calls()).toBe(2)
  })

  it('still finds a key for older events when it was not valid for a newer one', async () => {
    const inner = counting(1000)
    const keys = coveringKeyLookup(inner.lookup)
    expect((await keys('a.example', ['ed25519:k'], 2000)).size).toBe(0)
    expect((await keys('a.example', ['ed25519:k'], 3000)).size).toBe(0)
    expect(inner.calls()).toBe(1)
    expect((await keys('a.example', ['ed25519:k'], 999)).get('ed25519:k')).toEqual(KEY)
    expect(inner.calls()).toBe(2)
  })

  it('keeps servers and keys apart, and answers a lookup without a timestamp from a found key', async () => {
    const inner = counting(1000)
    const keys = coveringKeyLookup(inner.lookup)
    expect((await keys('b.example', ['ed25519:k'], 10)).size).toBe(0)
    expect((await keys('a.example', ['ed25519:other', 'ed25519:k'], 10)).size).toBe(1)
    expect((await keys('a.example', ['ed25519:k'], undefined)).get('ed25519:k')).toEqual(KEY)
    expect(inner.calls()).toBe(2)
  })
})

describe('newestFirst', () => {
  it('orders by origin_server_ts, newest first, with events lacking one last', () => {
    const events: JsonValue[] = [
      { origin_server_ts: 1 },
      'junk',
      { origin_server_ts: 3 },
      { origin_server_ts: 'late' },
      { origin_server_ts: 2 },
    ]
    const ordered = newestFirst(events)
    expect(ordered.slice(0, 3)).toEqual([
      { origin_server_ts: 3 },
      { origin_server_ts: 2 },
      { origin_server_ts: 1 },
    ])
    expect(ordered.slice(3)).toEqual(expect.arrayContaining(['junk', { origin_server_ts: 'late' }]))
  })
})

import { nodeCryptoProvider } from '@rhizome/crypto-node'
import { describe, expect, it } from 'vitest'
import { encodeBase64, encodeBase64Url } from '../encoding/base64.js'
import { canonicalJson } from '../json/canonical-json.js'
import type { JsonObject } from '../json/json.js'
import { ROOM_VERSIONS } from '../room-versions/room-versions.js'
import type { RoomVersionRules } from '../room-versions/rules.js'
import {
  SPEC_MINIMAL_EVENT,
  SPEC_REDACTABLE_EVENT,
  SPEC_SIGNED_MINIMAL_EVENT,
  SPEC_SIGNED_REDACTABLE_EVENT,
} from '../testing/spec-vectors.js'
import {
  checkContentHash,
  computeContentHash,
  computeEventId,
  computeReferenceHash,
  computeRoomIdFromCreateEvent,
} from './hashes.js'
import { redactEvent } from './redaction.js'

const crypto = nodeCryptoProvider

function rules(version: string): RoomVersionRules {
  const found = ROOM_VERSIONS.get(version)
  if (found === undefined) throw new Error(`no room version ${version}`)
  return found
}

const sha256Base64 = (text: string) => encodeBase64(crypto.sha256(text))

describe('computeContentHash', () => {
  it('reproduces the spec test vectors', () => {
    expect(computeContentHash(SPEC_MINIMAL_EVENT, crypto)).toBe(
      '5jM4wQpv6lnBo7CLIghJuHdW+s2CMBJPUOGOC89ncos',
    )
    expect(computeContentHash(SPEC_REDACTABLE_EVENT, crypto)).toBe(
      'onLKD1bGljeBWQhWZ1kaP9SorVmRQNdN5aM2JYU2n/g',
    )
  })

  it('is the sha256 of the event without unsigned, signatures and hashes', () => {
    const event = {
      a: 1,
      unsigned: { x: 1 },
      signatures: { s: {} },
      hashes: { sha256: 'x' },
      b: [],
    }
    expect(computeContentHash(event, crypto)).toBe(sha256Base64('{"a":1,"b":[]}'))
  })

  it('also leaves out the legacy top-level keys that Synapse leaves out', () => {
    const legacy = { ...SPEC_MINIMAL_EVENT, age_ts: 5, outlier: false, destinations: ['x'] }
    expect(computeContentHash(legacy, crypto)).toBe(computeContentHash(SPEC_MINIMAL_EVENT, crypto))
    const nested = { ...SPEC_MINIMAL_EVENT, content: { age_ts: 5 } }
    expect(computeContentHash(nested, crypto)).not.toBe(
      computeContentHash(SPEC_MINIMAL_EVENT, crypto),
    )
  })

  it('changes with the content and with nothing that is left out', () => {
    const base = computeContentHash(SPEC_REDACTABLE_EVENT, crypto)
    const other = { ...SPEC_REDACTABLE_EVENT, content: { body: 'Here is other content' } }
    expect(computeContentHash(other, crypto)).not.toBe(base)
    const extras = {
      ...SPEC_REDACTABLE_EVENT,
      unsigned: {},
      signatures: { x: {} },
      hashes: { a: 'b' },
    }
    expect(computeContentHash(extras, crypto)).toBe(base)
  })
})

describe('checkContentHash', () => {
  it('accepts the signed spec events', () => {
    expect(checkContentHash(SPEC_SIGNED_MINIMAL_EVENT, crypto)).toBe(true)
    expect(checkContentHash(SPEC_SIGNED_REDACTABLE_EVENT, crypto)).toBe(true)
  })

  it('refuses a changed event, and a redacted one', () => {
    const changed = { ...SPEC_SIGNED_REDACTABLE_EVENT, content: { body: 'edited' } }
    expect(checkContentHash(changed, crypto)).toBe(false)
    expect(checkContentHash(redactEvent(SPEC_SIGNED_REDACTABLE_EVENT, rules('1')), crypto)).toBe(
      false,
    )
  })

  it('refuses missing or malformed hashes', () => {
    const good = SPEC_SIGNED_MINIMAL_EVENT['hashes'] as { sha256: string }
    for (const hashes of [
      undefined,
      'x',
      [],
      {},
      { sha256: 5 },
      { sha256: 'not base64!' },
      { sha256: good.sha256.slice(0, -3) },
      { sha256: good.sha256 + 'AAAA' },
      { sha512: good.sha256 },
    ]) {
      const event: JsonObject = { ...SPEC_SIGNED_MINIMAL_EVENT }
      const withHashes = hashes === undefined ? event : { ...event, hashes }
      if (hashes === undefined) delete (withHashes as Record<string, unknown>)['hashes']
      expect(checkContentHash(withHashes, crypto)).toBe(false)
    }
  })

  it('ignores padding and the unused bits of the last character, as Synapse does', () => {
    const hash = (SPEC_SIGNED_MINIMAL_EVENT['hashes'] as { sha256: string }).sha256
    // 32 bytes leave 2 unused bits in the last character: 's' (44) and 't' (45) decode alike.
    expect(hash.endsWith('s')).toBe(true)
    for (const variant of [hash + '=', hash.slice(0, -1) + 't']) {
      const event = { ...SPEC_SIGNED_MINIMAL_EVENT, hashes: { sha256: variant } }
      expect(checkContentHash(event, crypto)).toBe(true)
    }
  })
})

describe('computeReferenceHash', () => {
  it('hashes the redacted event without signatures and unsigned', () => {
    // The v1 redaction of the redactable vector: content emptied, the rest kept (event_id too).
    const expected =
      '{"content":{},"event_id":"$0:domain","hashes":{"sha256":"onLKD1bGljeBWQhWZ1kaP9SorVmRQNdN5aM2JYU2n/g"},"origin":"domain","origin_server_ts":1000000,"room_id":"!r:domain","sender":"@u:domain","type":"m.room.message"}'
    expect(computeReferenceHash(SPEC_SIGNED_REDACTABLE_EVENT, rules('1'), crypto)).toEqual(
      crypto.sha256(expected),
    )
    // v11 redaction drops the top-level origin.
    expect(computeReferenceHash(SPEC_SIGNED_REDACTABLE_EVENT, rules('11'), crypto)).toEqual(
      crypto.sha256(expected.replace(',"origin":"domain"', '')),
    )
  })

  it('is the same for the full event and its redacted copy, whatever the signatures', () => {
    for (const version of ['1', '3', '6', '11', '12']) {
      const r = rules(version)
      const full = computeReferenceHash(SPEC_SIGNED_REDACTABLE_EVENT, r, crypto)
      expect(computeReferenceHash(redactEvent(SPEC_SIGNED_REDACTABLE_EVENT, r), r, crypto)).toEqual(
        full,
      )
      const resigned = { ...SPEC_SIGNED_REDACTABLE_EVENT, signatures: {}, unsigned: { x: 1 } }
      expect(computeReferenceHash(resigned, r, crypto)).toEqual(full)
      const rehashed = { ...SPEC_SIGNED_REDACTABLE_EVENT, hashes: { sha256: 'other' } }
      expect(computeReferenceHash(rehashed, r, crypto)).not.toEqual(full)
    }
  })
})

describe('computeEventId', () => {
  const event: JsonObject = { ...SPEC_SIGNED_MINIMAL_EVENT, event_id: '$abc:domain' }

  it('v1-v2: is the event_id the event carries', () => {
    for (const version of ['1', '2']) {
      expect(computeEventId(event, rules(version), crypto)).toEqual({
        ok: true,
        value: '$abc:domain',
      })
    }
  })

  it('v1-v2: refuses a missing or malformed event_id', () => {
    for (const eventId of [undefined, 5, 'abc:domain', '$abc', '$a:b:c:bad server']) {
      const withId: Record<string, unknown> = { ...SPEC_SIGNED_MINIMAL_EVENT }
      if (eventId !== undefined) withId['event_id'] = eventId
      const result = computeEventId(withId as JsonObject, rules('1'), crypto)
      expect(result.ok).toBe(false)
      if (!result.ok) expect(result.error.errcode).toBe('M_INVALID_PARAM')
    }
  })

  it('v3: is $ and the reference hash in standard base64', () => {
    const hash = computeReferenceHash(SPEC_SIGNED_MINIMAL_EVENT, rules('3'), crypto)
    expect(computeEventId(SPEC_SIGNED_MINIMAL_EVENT, rules('3'), crypto)).toEqual({
      ok: true,
      value: '$' + encodeBase64(hash),
    })
  })

  it('v4+: is $ and the reference hash in URL-safe base64', () => {
    for (const version of ['4', '10', '11', '12']) {
      const r = rules(version)
      const hash = computeReferenceHash(SPEC_SIGNED_MINIMAL_EVENT, r, crypto)
      const id = computeEventId(SPEC_SIGNED_MINIMAL_EVENT, r, crypto)
      expect(id).toEqual({ ok: true, value: '$' + encodeBase64Url(hash) })
      if (id.ok) expect(id.value).toHaveLength(44)
    }
  })

  it('v3 and v4 differ only in the alphabet', () => {
    // Find an event whose hash has '+' or '/' so that the alphabets show.
    for (let depth = 1; depth < 200; depth++) {
      const e = { ...SPEC_SIGNED_MINIMAL_EVENT, depth }
      const v3 = computeEventId(e, rules('3'), crypto)
      const v4 = computeEventId(e, rules('4'), crypto)
      if (!v3.ok || !v4.ok) throw new Error('unexpected')
      expect(v4.value).toBe(v3.value.replaceAll('+', '-').replaceAll('/', '_'))
      if (/[+/]/.test(v3.value)) return
    }
    throw new Error('no hash with + or / in 200 tries')
  })
})

describe('computeRoomIdFromCreateEvent', () => {
  const create: JsonObject = {
    type: 'm.room.create',
    state_key: '',
    sender: '@creator:example.org',
    content: { room_version: '12' },
    origin_server_ts: 1700000000000,
    depth: 1,
    prev_events: [],
    auth_events: [],
    hashes: { sha256: 'x' },
    signatures: {},
  }

  it('v12: is the create event ID with ! for $', () => {
    const eventId = computeEventId(create, rules('12'), crypto)
    const roomId = computeRoomIdFromCreateEvent(create, rules('12'), crypto)
    if (!eventId.ok || !roomId.ok) throw new Error('unexpected')
    expect(roomId.value).toBe('!' + eventId.value.slice(1))
    expect(roomId.value).toMatch(/^![A-Za-z0-9_-]{43}$/)
    const hash = encodeBase64Url(
      crypto.sha256(
        canonicalJson({
          ...redactEvent(create, rules('12')),
          signatures: undefined,
        } as unknown as JsonObject),
      ),
    )
    expect(roomId.value).toBe('!' + hash)
  })

  it('refuses room versions whose room IDs are not hashes, and other event types', () => {
    for (const [event, version, message] of [
      [create, '11', /not create event hashes/],
      [{ ...create, type: 'm.room.member' }, '12', /only an m.room.create/],
    ] as const) {
      const result = computeRoomIdFromCreateEvent(event, rules(version), crypto)
      expect(result.ok).toBe(false)
      if (!result.ok) {
        expect(result.error.errcode).toBe('M_INVALID_PARAM')
        expect(result.error.error).toMatch(message)
      }
    }
  })
})

import { nodeCryptoProvider } from '@rhizome/crypto-node'
import { describe, expect, it } from 'vitest'
import { generateSigningKey } from '../crypto/signing-key.js'
import type { JsonObject } from '../json/json.js'
import { ROOM_VERSIONS } from '../room-versions/room-versions.js'
import type { RoomVersionRules } from '../room-versions/rules.js'
import {
  SPEC_KEY_ID,
  SPEC_MINIMAL_EVENT,
  SPEC_REDACTABLE_EVENT,
  SPEC_SERVER_NAME,
  SPEC_SIGNED_MINIMAL_EVENT,
  SPEC_SIGNED_REDACTABLE_EVENT,
  specSigningKey,
} from '../testing/spec-vectors.js'
import { hashAndSignEvent, verifyEventSignature } from './event-signing.js'
import { checkContentHash } from './hashes.js'
import { redactEvent } from './redaction.js'

const crypto = nodeCryptoProvider
const key = specSigningKey(crypto)
const allVersions = [...ROOM_VERSIONS.values()]
const preV11 = allVersions.filter((r) => !r.redaction.v11Redaction)
const v11On = allVersions.filter((r) => r.redaction.v11Redaction)

function sign(event: JsonObject, rules: RoomVersionRules): JsonObject {
  return hashAndSignEvent(event, rules, SPEC_SERVER_NAME, key, crypto)
}

function verify(event: JsonObject, rules: RoomVersionRules, server = SPEC_SERVER_NAME) {
  return verifyEventSignature(event, rules, server, SPEC_KEY_ID, key.publicKey, crypto)
}

function signatureOf(event: JsonObject): string | undefined {
  const signatures = event['signatures'] as Record<string, Record<string, string>>
  return signatures[SPEC_SERVER_NAME]?.[SPEC_KEY_ID]
}

describe('hashAndSignEvent: the spec test vectors', () => {
  it('has covered versions on both sides of the v11 redaction change', () => {
    expect(preV11.length).toBeGreaterThan(0)
    expect(v11On.length).toBeGreaterThan(0)
  })

  for (const rules of preV11) {
    it(`room version ${rules.id}: signs the minimal event bit for bit`, () => {
      expect(sign(SPEC_MINIMAL_EVENT, rules)).toEqual(SPEC_SIGNED_MINIMAL_EVENT)
    })

    it(`room version ${rules.id}: signs the redactable event bit for bit`, () => {
      expect(sign(SPEC_REDACTABLE_EVENT, rules)).toEqual(SPEC_SIGNED_REDACTABLE_EVENT)
    })
  }

  for (const rules of v11On) {
    it(`room version ${rules.id}: same hash, but the signature leaves out the top-level origin`, () => {
      const signed = sign(SPEC_REDACTABLE_EVENT, rules)
      expect(signed['hashes']).toEqual(SPEC_SIGNED_REDACTABLE_EVENT['hashes'])
      expect(signatureOf(signed)).not.toBe(signatureOf(SPEC_SIGNED_REDACTABLE_EVENT))
      expect(verify(signed, rules).ok).toBe(true)
      // The same signature over a different origin still verifies: origin is not covered.
      expect(verify({ ...signed, origin: 'elsewhere' }, rules).ok).toBe(true)
    })
  }
})

describe('hashAndSignEvent', () => {
  const rules = ROOM_VERSIONS.get('10') as RoomVersionRules

  it('does not change its input', () => {
    const input = structuredClone(SPEC_REDACTABLE_EVENT)
    sign(input, rules)
    expect(input).toEqual(SPEC_REDACTABLE_EVENT)
  })

  it('keeps other hashes and other servers signatures', () => {
    const other = generateSigningKey(crypto, 'other')
    const theirs = hashAndSignEvent(SPEC_REDACTABLE_EVENT, rules, 'other.example', other, crypto)
    const both = sign(
      { ...theirs, hashes: { ...(theirs['hashes'] as JsonObject), sha512: 'x' } },
      rules,
    )
    expect((both['hashes'] as JsonObject)['sha512']).toBe('x')
    expect(verify(both, rules).ok).toBe(true)
    // The other server signed before sha512 was added to the hashes, which the signature covers.
    const result = verifyEventSignature(
      both,
      rules,
      'other.example',
      'ed25519:other',
      other.publicKey,
      crypto,
    )
    expect(result.ok).toBe(false)
    expect(
      verifyEventSignature(theirs, rules, 'other.example', 'ed25519:other', other.publicKey, crypto)
        .ok,
    ).toBe(true)
    const signatures = both['signatures'] as Record<string, unknown>
    expect(Object.keys(signatures).sort()).toEqual(['domain', 'other.example'])
  })

  it('replaces hashes that are not an object', () => {
    const signed = sign({ ...SPEC_REDACTABLE_EVENT, hashes: 'junk' }, rules)
    expect(signed['hashes']).toEqual(SPEC_SIGNED_REDACTABLE_EVENT['hashes'])
    expect(signed).toEqual(SPEC_SIGNED_REDACTABLE_EVENT)
  })
})

describe('verifyEventSignature', () => {
  for (const rules of allVersions) {
    it(`room version ${rules.id}: accepts the full event and its redacted copy`, () => {
      const signed = sign(SPEC_REDACTABLE_EVENT, rules)
      expect(verify(signed, rules)).toEqual({ ok: true, value: undefined })
      const redacted = redactEvent(signed, rules)
      expect(verify(redacted, rules).ok).toBe(true)
      expect(checkContentHash(signed, crypto)).toBe(true)
      expect(checkContentHash(redacted, crypto)).toBe(false)
    })
  }

  const rules = ROOM_VERSIONS.get('12') as RoomVersionRules
  const signed = sign(SPEC_REDACTABLE_EVENT, rules)

  it('accepts changed content (the signature covers only the hash of it), which the hash check catches', () => {
    const edited = { ...signed, content: { body: 'edited' } }
    expect(verify(edited, rules).ok).toBe(true)
    expect(checkContentHash(edited, crypto)).toBe(false)
  })

  it('refuses a change to a field that survives redaction', () => {
    for (const change of [
      { type: 'm.room.other' },
      { sender: '@v:domain' },
      { origin_server_ts: 1 },
      { hashes: { sha256: 'x' } },
    ]) {
      const result = verify({ ...signed, ...change }, rules)
      expect(result.ok).toBe(false)
      if (!result.ok) expect(result.error.errcode).toBe('M_INVALID_SIGNATURE')
    }
  })

  it('refuses a server that did not sign and a key that does not match', () => {
    expect(verify(signed, rules, 'elsewhere').ok).toBe(false)
    const other = generateSigningKey(crypto)
    expect(
      verifyEventSignature(signed, rules, SPEC_SERVER_NAME, SPEC_KEY_ID, other.publicKey, crypto)
        .ok,
    ).toBe(false)
  })
})

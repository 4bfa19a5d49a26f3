import { nodeCryptoProvider } from '@rhizome/crypto-node'
import { describe, expect, it } from 'vitest'
import { encodeBase64 } from '../encoding/base64.js'
import type { JsonObject } from '../json/json.js'
import {
  SPEC_KEY_ID,
  SPEC_OBJECT_WITH_DATA,
  SPEC_SERVER_NAME,
  SPEC_SIGNED_EMPTY_OBJECT,
  SPEC_SIGNED_OBJECT_WITH_DATA,
  specSigningKey,
} from '../testing/spec-vectors.js'
import { generateSigningKey } from './signing-key.js'
import { signJson, verifyJsonSignature } from './signing.js'

const crypto = nodeCryptoProvider
const key = specSigningKey(crypto)

function signatureOf(value: JsonObject, name: string, keyId: string): string {
  const signatures = value['signatures'] as Record<string, Record<string, string>>
  return signatures[name]?.[keyId] ?? ''
}

function verify(
  value: JsonObject,
  name = SPEC_SERVER_NAME,
  keyId = SPEC_KEY_ID,
  publicKey = key.publicKey,
) {
  return verifyJsonSignature(value, name, keyId, publicKey, crypto)
}

function expectInvalid(result: ReturnType<typeof verify>, message: RegExp): void {
  expect(result.ok).toBe(false)
  if (!result.ok) {
    expect(result.error.errcode).toBe('M_INVALID_SIGNATURE')
    expect(result.error.error).toMatch(message)
  }
}

describe('signJson: the spec test vectors', () => {
  it('signs the empty object', () => {
    expect(signJson({}, SPEC_SERVER_NAME, key, crypto)).toEqual(SPEC_SIGNED_EMPTY_OBJECT)
  })

  it('signs the object with data', () => {
    expect(signJson(SPEC_OBJECT_WITH_DATA, SPEC_SERVER_NAME, key, crypto)).toEqual(
      SPEC_SIGNED_OBJECT_WITH_DATA,
    )
  })
})

describe('signJson', () => {
  it('leaves signatures and unsigned out of the signed bytes', () => {
    const withExtras = {
      ...SPEC_OBJECT_WITH_DATA,
      unsigned: { age_ts: 5 },
      signatures: { other: { 'ed25519:x': 'abc' } },
    }
    const signed = signJson(withExtras, SPEC_SERVER_NAME, key, crypto)
    expect(signatureOf(signed, SPEC_SERVER_NAME, SPEC_KEY_ID)).toBe(
      signatureOf(SPEC_SIGNED_OBJECT_WITH_DATA, SPEC_SERVER_NAME, SPEC_KEY_ID),
    )
    expect(signed['unsigned']).toEqual({ age_ts: 5 })
  })

  it('keeps the signatures already there and replaces only its own key', () => {
    const before = {
      a: 1,
      signatures: {
        other: { 'ed25519:x': 'theirs' },
        [SPEC_SERVER_NAME]: { 'ed25519:old': 'mine-old', [SPEC_KEY_ID]: 'stale' },
      },
    }
    const signed = signJson(before, SPEC_SERVER_NAME, key, crypto)
    const signatures = signed['signatures'] as Record<string, Record<string, string>>
    expect(signatures['other']).toEqual({ 'ed25519:x': 'theirs' })
    expect(signatures[SPEC_SERVER_NAME]?.['ed25519:old']).toBe('mine-old')
    expect(signatures[SPEC_SERVER_NAME]?.[SPEC_KEY_ID]).not.toBe('stale')
    expect(verify(signed).ok).toBe(true)
    // The input is not changed.
    expect(before.signatures[SPEC_SERVER_NAME][SPEC_KEY_ID]).toBe('stale')
  })

  it('replaces a signatures member or entry that is not an object', () => {
    for (const signatures of ['nope', null, [], 7, { [SPEC_SERVER_NAME]: 'nope' }]) {
      const signed = signJson({ a: 1, signatures }, SPEC_SERVER_NAME, key, crypto)
      expect(verify(signed).ok).toBe(true)
    }
  })

  it('signs with the key it is given', () => {
    const other = generateSigningKey(crypto, 'two')
    const signed = signJson({ a: 1 }, 'example.org', other, crypto)
    expect(verify(signed, 'example.org', 'ed25519:two', other.publicKey).ok).toBe(true)
    expect(verify(signed, 'example.org', 'ed25519:two', key.publicKey).ok).toBe(false)
  })
})

describe('verifyJsonSignature', () => {
  it('accepts the spec vectors, with or without unsigned data', () => {
    expect(verify(SPEC_SIGNED_EMPTY_OBJECT)).toEqual({ ok: true, value: undefined })
    expect(verify(SPEC_SIGNED_OBJECT_WITH_DATA).ok).toBe(true)
    expect(verify({ ...SPEC_SIGNED_OBJECT_WITH_DATA, unsigned: { anything: [1] } }).ok).toBe(true)
  })

  it('refuses a changed object', () => {
    expectInvalid(verify({ ...SPEC_SIGNED_OBJECT_WITH_DATA, two: 'two' }), /does not verify/)
    expectInvalid(verify({ ...SPEC_SIGNED_OBJECT_WITH_DATA, three: 3 }), /does not verify/)
  })

  it('refuses when the signature is missing', () => {
    expectInvalid(verify(SPEC_OBJECT_WITH_DATA), /no signatures/)
    expectInvalid(verify({ signatures: 'x' }), /no signatures/)
    expectInvalid(verify(SPEC_SIGNED_EMPTY_OBJECT, 'elsewhere'), /no signatures from elsewhere/)
    expectInvalid(verify(SPEC_SIGNED_EMPTY_OBJECT, SPEC_SERVER_NAME, 'ed25519:2'), /with key/)
    expectInvalid(
      verify({ signatures: { [SPEC_SERVER_NAME]: { [SPEC_KEY_ID]: 5 } } }),
      /no signature from/,
    )
  })

  it('refuses algorithms other than ed25519', () => {
    const signed = { signatures: { [SPEC_SERVER_NAME]: { 'curve25519:1': 'abc' } } }
    expectInvalid(verify(signed, SPEC_SERVER_NAME, 'curve25519:1'), /unsupported signing algorithm/)
  })

  it('refuses a signature that is not base64', () => {
    const signed = { signatures: { [SPEC_SERVER_NAME]: { [SPEC_KEY_ID]: 'not base64!' } } }
    expectInvalid(verify(signed), /not valid base64/)
  })

  it('refuses a wrong or malformed public key or signature without throwing', () => {
    expectInvalid(
      verify(SPEC_SIGNED_EMPTY_OBJECT, SPEC_SERVER_NAME, SPEC_KEY_ID, new Uint8Array(32)),
      /does not verify/,
    )
    expectInvalid(
      verify(SPEC_SIGNED_EMPTY_OBJECT, SPEC_SERVER_NAME, SPEC_KEY_ID, new Uint8Array(31)),
      /does not verify/,
    )
    const short = {
      signatures: { [SPEC_SERVER_NAME]: { [SPEC_KEY_ID]: encodeBase64(new Uint8Array(63)) } },
    }
    expectInvalid(verify(short), /does not verify/)
  })

  it('decodes signatures as leniently as Synapse: padding and unused bits are ignored', () => {
    const signature = signatureOf(SPEC_SIGNED_EMPTY_OBJECT, SPEC_SERVER_NAME, SPEC_KEY_ID)
    const padded = { signatures: { [SPEC_SERVER_NAME]: { [SPEC_KEY_ID]: signature + '==' } } }
    expect(verify(padded).ok).toBe(true)
    // 64 bytes leave 4 unused bits in the last character: 'Q' (16) and 'R' (17) decode alike.
    expect(signature.endsWith('Q')).toBe(true)
    const noisy = signature.slice(0, -1) + 'R'
    expect(verify({ signatures: { [SPEC_SERVER_NAME]: { [SPEC_KEY_ID]: noisy } } }).ok).toBe(true)
  })
})

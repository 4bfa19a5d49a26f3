import { nodeCryptoProvider } from '@rhizome/crypto-node'
import { describe, expect, it } from 'vitest'
import { publicKeyBase64, signingKeyFromSeed } from '../crypto/signing-key.js'
import { signJson } from '../crypto/signing.js'
import type { JsonObject } from '../json/json.js'
import {
  MAX_THIRD_PARTY_SIGNATURE_ATTEMPTS,
  thirdPartyInviteSignatureMatches,
} from './third-party-invite.js'

const key = signingKeyFromSeed(new Uint8Array(32).fill(3), 'is', nodeCryptoProvider)
if (!key.ok) throw new Error(key.error.error)
const KEY = key.value
const PUBLIC = publicKeyBase64(KEY)
const SIGNED = signJson({ mxid: '@d:d.example', token: 't' }, 'id.example', KEY, nodeCryptoProvider)
const VALID_SIGNATURES = SIGNED['signatures'] as JsonObject

const matches = (signed: JsonObject, content: JsonObject): boolean =>
  thirdPartyInviteSignatureMatches(signed, content, nodeCryptoProvider)

describe('thirdPartyInviteSignatureMatches', () => {
  it('matches the signature of a listed key', () => {
    expect(matches(SIGNED, { public_key: PUBLIC })).toBe(true)
    expect(matches(SIGNED, { public_keys: [{ public_key: PUBLIC }] })).toBe(true)
  })

  it('fails without signatures or without keys', () => {
    expect(matches({ ...SIGNED, signatures: 'x' }, { public_key: PUBLIC })).toBe(false)
    expect(matches(SIGNED, {})).toBe(false)
    expect(matches(SIGNED, { public_key: 5, public_keys: 'x' })).toBe(false)
    expect(matches(SIGNED, { public_key: '!!!' })).toBe(false)
  })

  it('skips signature blocks that are not objects and key IDs of other algorithms', () => {
    const signatures = {
      'a.example': 'x',
      'b.example': { 'curve25519:1': 'AAAA' },
      ...VALID_SIGNATURES,
    }
    expect(matches({ ...SIGNED, signatures }, { public_key: PUBLIC })).toBe(true)
  })

  it('fails a signature over other content', () => {
    expect(matches({ ...SIGNED, token: 'u' }, { public_key: PUBLIC })).toBe(false)
  })

  it('gives up after the attempt cap', () => {
    const junk: Record<string, JsonObject> = {}
    for (let i = 0; i < MAX_THIRD_PARTY_SIGNATURE_ATTEMPTS; i++) {
      junk[`s${i}.example`] = { 'ed25519:x': 'AAAA' }
    }
    const late = { ...SIGNED, signatures: { ...junk, ...VALID_SIGNATURES } }
    expect(matches(late, { public_key: PUBLIC })).toBe(false)
    const early = { ...SIGNED, signatures: { ...VALID_SIGNATURES, ...junk } }
    expect(matches(early, { public_key: PUBLIC })).toBe(true)
  })

  it('tries only as many keys as the cap allows', () => {
    const many = Array.from({ length: 200 }, (_, i) => ({
      public_key: publicKeyBase64({ ...KEY, publicKey: new Uint8Array(32).fill(i) }),
    }))
    expect(matches(SIGNED, { public_keys: [...many, { public_key: PUBLIC }] })).toBe(false)
    expect(matches(SIGNED, { public_keys: [{ public_key: PUBLIC }, ...many] })).toBe(true)
  })
})

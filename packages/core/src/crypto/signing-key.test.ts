import { nodeCryptoProvider } from '@rhizome/crypto-node'
import { describe, expect, it } from 'vitest'
import { decodeBase64, encodeBase64 } from '../encoding/base64.js'
import { specSigningKey, SPEC_SEED_BASE64 } from '../testing/spec-vectors.js'
import type { CryptoProvider } from './provider.js'
import {
  encodeSigningKeyFile,
  generateSigningKey,
  parseSigningKeyFile,
  publicKeyBase64,
  signingKeyFromSeed,
} from './signing-key.js'

const crypto = nodeCryptoProvider

/** The node provider with predictable "random" bytes: 0, 1, 2, ... */
function countingCrypto(): CryptoProvider {
  let next = 0
  return {
    ...crypto,
    randomBytes: (length) => Uint8Array.from({ length }, () => next++ & 0xff),
  }
}

function seedOf(base64: string): Uint8Array {
  const seed = decodeBase64(base64, { allowTrailingBits: true })
  if (!seed.ok) throw new Error(seed.error.error)
  return seed.value
}

describe('signingKeyFromSeed', () => {
  it('derives the public key and names the key ed25519:<version>', () => {
    const key = signingKeyFromSeed(seedOf(SPEC_SEED_BASE64), '1', crypto)
    if (!key.ok) throw new Error(key.error.error)
    expect(key.value.keyId).toBe('ed25519:1')
    expect(key.value.publicKey).toEqual(crypto.ed25519PublicKey(key.value.seed))
    expect(key.value.publicKey.length).toBe(32)
    const message = 'hello'
    expect(
      crypto.ed25519Verify(
        key.value.publicKey,
        message,
        crypto.ed25519Sign(key.value.seed, message),
      ),
    ).toBe(true)
  })

  it('keeps its own copy of the seed', () => {
    const seed = seedOf(SPEC_SEED_BASE64)
    const key = signingKeyFromSeed(seed, '1', crypto)
    seed.fill(0)
    expect(key.ok && key.value.seed).toEqual(seedOf(SPEC_SEED_BASE64))
  })

  it('refuses a seed of the wrong length and a bad version', () => {
    for (const [seed, version] of [
      [new Uint8Array(31), '1'],
      [new Uint8Array(33), '1'],
      [new Uint8Array(32), ''],
      [new Uint8Array(32), 'a-b'],
      [new Uint8Array(32), 'a:b'],
    ] as const) {
      const key = signingKeyFromSeed(seed, version, crypto)
      expect(key.ok).toBe(false)
      if (!key.ok) expect(key.error.errcode).toBe('M_INVALID_PARAM')
    }
  })
})

describe('generateSigningKey', () => {
  it('makes a random key with an a_XXXX version by default', () => {
    const a = generateSigningKey(crypto)
    const b = generateSigningKey(crypto)
    expect(a.keyId).toMatch(/^ed25519:a_[a-zA-Z0-9]{4}$/)
    expect(a.seed.length).toBe(32)
    expect(a.publicKey).toEqual(crypto.ed25519PublicKey(a.seed))
    expect(a.seed).not.toEqual(b.seed)
  })

  it('takes its randomness from the provider', () => {
    const key = generateSigningKey(countingCrypto())
    // Bytes 0-3 pick the version from a-z, A-Z, 0-9; bytes 4-35 are the seed.
    expect(key.keyId).toBe('ed25519:a_abcd')
    expect(key.seed).toEqual(Uint8Array.from({ length: 32 }, (_, i) => i + 4))
  })

  it('uses a given version, and throws for one the spec does not allow', () => {
    expect(generateSigningKey(crypto, 'key_2').keyId).toBe('ed25519:key_2')
    expect(() => generateSigningKey(crypto, 'bad version')).toThrow(RangeError)
  })
})

describe('signing key files', () => {
  const spec = specSigningKey(crypto)

  it('writes the Synapse format, one key per line', () => {
    // The spec's seed has non-zero unused bits in its last character; written back, they are zero.
    expect(encodeSigningKeyFile(spec)).toBe(
      'ed25519 1 YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA0\n',
    )
    const other = generateSigningKey(crypto, 'b')
    expect(encodeSigningKeyFile([spec, other])).toBe(
      `ed25519 1 ${encodeBase64(spec.seed)}\ned25519 b ${encodeBase64(other.seed)}\n`,
    )
    expect(encodeSigningKeyFile([])).toBe('')
  })

  it('reads what it writes, and what Synapse writes', () => {
    const other = generateSigningKey(crypto)
    const parsed = parseSigningKeyFile(encodeSigningKeyFile([spec, other]), crypto)
    expect(parsed).toEqual({ ok: true, value: [spec, other] })
    const synapse = parseSigningKeyFile(`ed25519 1 ${SPEC_SEED_BASE64}`, crypto)
    expect(synapse).toEqual({ ok: true, value: [spec] })
  })

  it('tolerates blank lines, CRLF, padding and extra spaces', () => {
    const text = `\r\n  ed25519   1\t${encodeBase64(spec.seed)}=  \r\n\r\n`
    expect(parseSigningKeyFile(text, crypto)).toEqual({ ok: true, value: [spec] })
  })

  it('names the first bad line', () => {
    const good = `ed25519 1 ${encodeBase64(spec.seed)}`
    for (const [text, message] of [
      [`${good}\ned25519 2`, /line 2: expected/],
      [`${good} extra`, /line 1: expected/],
      [`curve25519 1 ${encodeBase64(spec.seed)}`, /unsupported key algorithm 'curve25519'/],
      ['ed25519 1 not*base64', /line 1: invalid base64/],
      ['ed25519 1 AAAA', /line 1: an ed25519 seed is 32 bytes, not 3/],
      [`ed25519 a-b ${encodeBase64(spec.seed)}`, /line 1: key ID version/],
      ['', /no key/],
      ['\n \n', /no key/],
    ] as const) {
      const result = parseSigningKeyFile(text, crypto)
      expect(result.ok).toBe(false)
      if (!result.ok) {
        expect(result.error.errcode).toBe('M_INVALID_PARAM')
        expect(result.error.error).toMatch(message)
      }
    }
    expect(parseSigningKeyFile(42 as unknown as string, crypto).ok).toBe(false)
  })
})

describe('publicKeyBase64', () => {
  it('is the unpadded base64 of the public key', () => {
    const key = specSigningKey(crypto)
    expect(publicKeyBase64(key)).toBe(encodeBase64(key.publicKey))
    expect(publicKeyBase64(key)).toHaveLength(43)
  })
})

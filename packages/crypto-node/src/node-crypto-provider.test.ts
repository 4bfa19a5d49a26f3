import { createHash, generateKeyPairSync, sign as nodeSign } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  cachedPublicKeyCount,
  ed25519Backend,
  nodeCryptoProvider as crypto,
  opensslEd25519Sign,
  opensslEd25519Verify,
  PUBLIC_KEY_CACHE_SIZE,
} from './node-crypto-provider.js'

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex')
const fromHex = (text: string) => new Uint8Array(Buffer.from(text, 'hex'))

// RFC 8032 §7.1, TEST 1 and TEST 3.
const RFC_TEST_1 = {
  seed: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
  publicKey: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
  message: '',
  signature:
    'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
}
const RFC_TEST_3 = {
  seed: 'c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7',
  publicKey: 'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025',
  message: 'af82',
  signature:
    '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a',
}

describe('sha256', () => {
  it('hashes bytes and strings (as UTF-8)', () => {
    expect(hex(crypto.sha256(new Uint8Array()))).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    )
    expect(hex(crypto.sha256('abc'))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    )
    expect(crypto.sha256('日本語 🎉')).toEqual(
      crypto.sha256(new Uint8Array(Buffer.from('日本語 🎉'))),
    )
  })

  it('returns plain Uint8Arrays', () => {
    const digest = crypto.sha256('x')
    expect(digest).toBeInstanceOf(Uint8Array)
    expect(Buffer.isBuffer(digest)).toBe(false)
    expect(digest.length).toBe(32)
  })

  it('hashes a view into a larger buffer by its own bytes only', () => {
    const backing = new Uint8Array([1, 2, 3, 4, 5])
    expect(crypto.sha256(backing.subarray(1, 3))).toEqual(crypto.sha256(new Uint8Array([2, 3])))
    expect(hex(crypto.sha256(backing.subarray(1, 3)))).toBe(
      createHash('sha256')
        .update(Buffer.from([2, 3]))
        .digest('hex'),
    )
  })
})

describe('ed25519', () => {
  for (const vector of [RFC_TEST_1, RFC_TEST_3]) {
    it(`matches RFC 8032 for public key ${vector.publicKey.slice(0, 8)}`, () => {
      const seed = fromHex(vector.seed)
      expect(hex(crypto.ed25519PublicKey(seed))).toBe(vector.publicKey)
      const signature = crypto.ed25519Sign(seed, fromHex(vector.message))
      expect(hex(signature)).toBe(vector.signature)
      expect(
        crypto.ed25519Verify(fromHex(vector.publicKey), fromHex(vector.message), signature),
      ).toBe(true)
    })
  }

  it('signs strings as their UTF-8 bytes', () => {
    const seed = fromHex(RFC_TEST_1.seed)
    const text = '{"a":"日本語 🎉"}'
    expect(crypto.ed25519Sign(seed, text)).toEqual(
      crypto.ed25519Sign(seed, new Uint8Array(Buffer.from(text))),
    )
    expect(
      crypto.ed25519Verify(fromHex(RFC_TEST_1.publicKey), text, crypto.ed25519Sign(seed, text)),
    ).toBe(true)
  })

  it('verifies signatures made by node:crypto from a generated key pair', () => {
    const pair = generateKeyPairSync('ed25519')
    const spki = pair.publicKey.export({ format: 'der', type: 'spki' })
    const publicKey = new Uint8Array(spki.subarray(spki.length - 32))
    const signature = new Uint8Array(nodeSign(null, Buffer.from('message'), pair.privateKey))
    expect(crypto.ed25519Verify(publicKey, 'message', signature)).toBe(true)
    expect(crypto.ed25519Verify(publicKey, 'massage', signature)).toBe(false)
  })

  it('returns false, never throws, for wrong signatures, keys and lengths', () => {
    const publicKey = fromHex(RFC_TEST_3.publicKey)
    const message = fromHex(RFC_TEST_3.message)
    const signature = fromHex(RFC_TEST_3.signature)
    const flipped = signature.slice()
    flipped[10] = (flipped[10] ?? 0) ^ 1
    expect(crypto.ed25519Verify(publicKey, message, flipped)).toBe(false)
    expect(crypto.ed25519Verify(fromHex(RFC_TEST_1.publicKey), message, signature)).toBe(false)
    expect(crypto.ed25519Verify(publicKey, message, signature.subarray(0, 63))).toBe(false)
    expect(crypto.ed25519Verify(publicKey, message, new Uint8Array(65))).toBe(false)
    expect(crypto.ed25519Verify(publicKey.subarray(0, 31), message, signature)).toBe(false)
    expect(crypto.ed25519Verify(new Uint8Array(33), message, signature)).toBe(false)
    expect(crypto.ed25519Verify(new Uint8Array(0), message, new Uint8Array(0))).toBe(false)
    // Not a point on the curve: OpenSSL may refuse the key itself.
    expect(crypto.ed25519Verify(new Uint8Array(32).fill(0xff), message, signature)).toBe(false)
    expect(crypto.ed25519Verify(new Uint8Array(32), message, new Uint8Array(64))).toBe(false)
  })

  it('throws for a seed that is not 32 bytes (a programmer error)', () => {
    expect(() => crypto.ed25519Sign(new Uint8Array(31), 'x')).toThrow(RangeError)
    expect(() => crypto.ed25519PublicKey(new Uint8Array(64))).toThrow(RangeError)
  })

  it('verifies through libsodium on the platforms whose binaries sodium-native ships', () => {
    const shipped = ['linux-x64', 'linux-arm64', 'darwin-x64', 'darwin-arm64', 'win32-x64']
    if (shipped.includes(`${process.platform}-${process.arch}`)) {
      expect(ed25519Backend).toBe('libsodium')
    } else {
      expect(['libsodium', 'openssl']).toContain(ed25519Backend)
    }
  })

  it('gives the same answers through libsodium and OpenSSL for ordinary keys and forgeries', () => {
    for (let i = 0; i < 50; i++) {
      const seed = crypto.randomBytes(32)
      const publicKey = crypto.ed25519PublicKey(seed)
      const message = crypto.randomBytes(i * 7)
      const signature = crypto.ed25519Sign(seed, message)
      const forged = signature.slice()
      forged[i % 64] = (forged[i % 64] ?? 0) ^ (1 << (i % 8))
      const otherMessage = message.length > 0 ? message.subarray(1) : new Uint8Array([1])
      for (const [msg, sig] of [
        [message, signature],
        [message, forged],
        [otherMessage, signature],
      ] as const) {
        expect(crypto.ed25519Verify(publicKey, msg, sig)).toBe(
          opensslEd25519Verify(publicKey, msg, sig),
        )
      }
      expect(crypto.ed25519Verify(publicKey, message, signature)).toBe(true)
      expect(crypto.ed25519Verify(publicKey, message, forged)).toBe(false)
    }
  })

  it('signs through libsodium exactly as OpenSSL does (ed25519 signatures are deterministic)', () => {
    for (let i = 0; i < 50; i++) {
      const seed = crypto.randomBytes(32)
      const message = i % 2 === 0 ? crypto.randomBytes(i * 13) : `text ${i} \u00e9\u{1f600}`
      expect(crypto.ed25519Sign(seed, message)).toEqual(opensslEd25519Sign(seed, message))
    }
  })

  it('caches OpenSSL public keys, bounded', () => {
    const signature = crypto.ed25519Sign(fromHex(RFC_TEST_1.seed), 'x')
    const before = cachedPublicKeyCount()
    opensslEd25519Verify(fromHex(RFC_TEST_1.publicKey), 'x', signature)
    opensslEd25519Verify(fromHex(RFC_TEST_1.publicKey), 'x', signature)
    expect(cachedPublicKeyCount()).toBeLessThanOrEqual(before + 1)
    // OpenSSL takes any 32 bytes as a public key (they are decoded when verifying), so distinct
    // made-up keys fill the cache without the cost of deriving real ones.
    for (let i = 0; i < PUBLIC_KEY_CACHE_SIZE + 10; i++) {
      const key = new Uint8Array(32)
      key[0] = i & 0xff
      key[1] = i >> 8
      key[2] = 0xa5
      expect(opensslEd25519Verify(key, 'x', signature)).toBe(false)
    }
    expect(cachedPublicKeyCount()).toBe(PUBLIC_KEY_CACHE_SIZE)
    // Keys still verify after eviction.
    expect(opensslEd25519Verify(fromHex(RFC_TEST_1.publicKey), 'x', signature)).toBe(true)
  })
})

describe('randomBytes', () => {
  it('returns fresh bytes of the asked length', () => {
    const a = crypto.randomBytes(32)
    const b = crypto.randomBytes(32)
    expect(a.length).toBe(32)
    expect(Buffer.isBuffer(a)).toBe(false)
    expect(a).not.toEqual(b)
    expect(crypto.randomBytes(0).length).toBe(0)
  })
})

import {
  hash,
  createPrivateKey,
  createPublicKey,
  randomBytes,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto'
import type { CryptoProvider } from '@rhizome/core'
import { loadSodiumEd25519 } from './sodium-ed25519.js'

/**
 * The CryptoProvider for Node, on OpenSSL through node:crypto, with ed25519 verification through
 * libsodium where it loads (see sodium-ed25519.ts). OpenSSL takes ed25519 keys only as
 * DER (or PEM, or JWK), so a raw 32-byte key gets the fixed ASN.1 header of its kind in front (RFC
 * 8410): PKCS#8 for a seed, SubjectPublicKeyInfo for a public key. Building a KeyObject costs more
 * than a verification, and the same few hundred server keys sign nearly every event, so KeyObjects
 * are kept in small bounded caches keyed by the base64 of the key bytes.
 */

/** SEQUENCE { INTEGER 0, SEQUENCE { OID 1.3.101.112 }, OCTET STRING { OCTET STRING (32) } } */
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')
/** SEQUENCE { SEQUENCE { OID 1.3.101.112 }, BIT STRING (33: a zero byte, then the key) } */
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')

const ED25519_KEY_BYTES = 32
const ED25519_SIGNATURE_BYTES = 64

/** Enough for every server in a few large rooms; beyond it the oldest entry goes. */
export const PUBLIC_KEY_CACHE_SIZE = 4096
/** A server signs with one key, or a few around a rotation. */
const PRIVATE_KEY_CACHE_SIZE = 16

/** A Map that forgets its oldest entry when full (a Map iterates in insertion order). */
class BoundedCache<V> {
  readonly #entries = new Map<string, V>()
  constructor(readonly limit: number) {}

  get(key: string): V | undefined {
    return this.#entries.get(key)
  }

  set(key: string, value: V): void {
    if (this.#entries.size >= this.limit) {
      const oldest = this.#entries.keys().next()
      if (oldest.done !== true) this.#entries.delete(oldest.value)
    }
    this.#entries.set(key, value)
  }

  get size(): number {
    return this.#entries.size
  }
}

const sodium = loadSodiumEd25519()

/** Which library verifies ed25519 signatures in this process. */
export const ed25519Backend: 'libsodium' | 'openssl' = sodium ? 'libsodium' : 'openssl'

/** libsodium secret keys by seed, for signing: deriving one costs about as much as a signature. */
const sodiumSecretKeys = new BoundedCache<Uint8Array>(PRIVATE_KEY_CACHE_SIZE)

const publicKeys = new BoundedCache<KeyObject>(PUBLIC_KEY_CACHE_SIZE)
const privateKeys = new BoundedCache<KeyObject>(PRIVATE_KEY_CACHE_SIZE)

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/** A copy as a plain Uint8Array, so callers never hold a Buffer from Node's shared pool. */
function plainBytes(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.length))
}

function messageBuffer(message: string | Uint8Array): Buffer {
  return typeof message === 'string' ? Buffer.from(message, 'utf8') : asBuffer(message)
}

function privateKeyFor(seed: Uint8Array): KeyObject {
  if (seed.length !== ED25519_KEY_BYTES) {
    throw new RangeError(`an ed25519 seed is ${ED25519_KEY_BYTES} bytes, not ${seed.length}`)
  }
  const id = asBuffer(seed).toString('base64')
  let key = privateKeys.get(id)
  if (key === undefined) {
    key = createPrivateKey({
      key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]),
      format: 'der',
      type: 'pkcs8',
    })
    privateKeys.set(id, key)
  }
  return key
}

function publicKeyFor(publicKey: Uint8Array): KeyObject {
  const id = asBuffer(publicKey).toString('base64')
  let key = publicKeys.get(id)
  if (key === undefined) {
    key = createPublicKey({
      key: Buffer.concat([SPKI_ED25519_PREFIX, publicKey]),
      format: 'der',
      type: 'spki',
    })
    publicKeys.set(id, key)
  }
  return key
}

/** ed25519 verification through OpenSSL: the fallback when libsodium is not available. */
function sodiumSecretKeyFor(seed: Uint8Array): Uint8Array {
  if (seed.length !== ED25519_KEY_BYTES) {
    throw new RangeError(`an ed25519 seed is ${ED25519_KEY_BYTES} bytes, not ${seed.length}`)
  }
  const id = asBuffer(seed).toString('base64')
  let key = sodiumSecretKeys.get(id)
  if (key === undefined && sodium !== undefined) {
    key = sodium.secretKeyFromSeed(seed)
    sodiumSecretKeys.set(id, key)
  }
  if (key === undefined) throw new Error('libsodium is not loaded')
  return key
}

export function opensslEd25519Sign(seed: Uint8Array, message: string | Uint8Array): Uint8Array {
  return plainBytes(sign(null, messageBuffer(message), privateKeyFor(seed)))
}

export function opensslEd25519Verify(
  publicKey: Uint8Array,
  message: string | Uint8Array,
  signature: Uint8Array,
): boolean {
  if (publicKey.length !== ED25519_KEY_BYTES || signature.length !== ED25519_SIGNATURE_BYTES) {
    return false
  }
  try {
    return verify(null, messageBuffer(message), publicKeyFor(publicKey), signature)
  } catch {
    // OpenSSL refuses some 32-byte strings as public keys; such a key verifies nothing.
    return false
  }
}

export const nodeCryptoProvider: CryptoProvider = {
  sha256(data: string | Uint8Array): Uint8Array {
    // The one-shot crypto.hash (Node 20.12+; we require 20.19) skips creating a Hash object: most
    // hashed texts are a few hundred bytes, where that setup is a large share of the cost. Strings
    // are hashed as UTF-8.
    return plainBytes(hash('sha256', data, 'buffer'))
  },

  /** Throws a RangeError for a seed that is not 32 bytes: keys come from SigningKey, never the wire. */
  ed25519Sign(seed: Uint8Array, message: string | Uint8Array): Uint8Array {
    if (sodium) return sodium.sign(sodiumSecretKeyFor(seed), messageBuffer(message))
    return opensslEd25519Sign(seed, message)
  },

  ed25519PublicKey(seed: Uint8Array): Uint8Array {
    const der = createPublicKey(privateKeyFor(seed)).export({ format: 'der', type: 'spki' })
    return plainBytes(der.subarray(der.length - ED25519_KEY_BYTES))
  },

  ed25519Verify(
    publicKey: Uint8Array,
    message: string | Uint8Array,
    signature: Uint8Array,
  ): boolean {
    if (publicKey.length !== ED25519_KEY_BYTES || signature.length !== ED25519_SIGNATURE_BYTES) {
      return false
    }
    if (sodium) return sodium.verify(publicKey, messageBuffer(message), signature)
    return opensslEd25519Verify(publicKey, message, signature)
  },

  randomBytes(length: number): Uint8Array {
    return plainBytes(randomBytes(length))
  },
}

/** How many public KeyObjects are cached (for tests and metrics). */
export function cachedPublicKeyCount(): number {
  return publicKeys.size
}

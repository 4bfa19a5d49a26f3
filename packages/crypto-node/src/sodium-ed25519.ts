import { createRequire } from 'node:module'

/**
 * ed25519 signing and verification through libsodium (the sodium-native addon, which ships prebuilt binaries
 * inside its npm package). libsodium signs and verifies about twice as fast as OpenSSL on the same core, and
 * it is what Synapse verifies with (through PyNaCl), so its acceptance rules for edge-case keys and
 * signatures are the ones the rest of the federation applies. When the addon cannot be loaded
 * (an unsupported platform), the provider falls back to OpenSSL.
 */
export interface SodiumEd25519 {
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean
  /** `secretKey` is libsodium's 64 bytes: the seed followed by the public key. */
  sign(secretKey: Uint8Array, message: Uint8Array): Uint8Array
  /** libsodium's 64-byte secret key for a 32-byte seed. */
  secretKeyFromSeed(seed: Uint8Array): Uint8Array
}

const SECRET_KEY_BYTES = 64
const PUBLIC_KEY_BYTES = 32
const SIGNATURE_BYTES = 64

interface SodiumBinding {
  crypto_sign_detached(signature: Uint8Array, message: Uint8Array, secretKey: Uint8Array): void
  crypto_sign_seed_keypair(publicKey: Uint8Array, secretKey: Uint8Array, seed: Uint8Array): void
  crypto_sign_verify_detached(
    signature: Uint8Array,
    message: Uint8Array,
    publicKey: Uint8Array,
  ): boolean
}

function isSodiumBinding(value: unknown): value is SodiumBinding {
  if (typeof value !== 'object' || value === null) return false
  const record = value as Record<string, unknown>
  return (
    typeof record['crypto_sign_verify_detached'] === 'function' &&
    typeof record['crypto_sign_detached'] === 'function' &&
    typeof record['crypto_sign_seed_keypair'] === 'function'
  )
}

export function loadSodiumEd25519(): SodiumEd25519 | undefined {
  let binding: unknown
  try {
    binding = createRequire(import.meta.url)('sodium-native')
  } catch {
    return undefined
  }
  if (!isSodiumBinding(binding)) return undefined
  const sodium = binding
  return {
    verify(publicKey, message, signature) {
      return sodium.crypto_sign_verify_detached(signature, message, publicKey)
    },
    sign(secretKey, message) {
      const signature = new Uint8Array(SIGNATURE_BYTES)
      sodium.crypto_sign_detached(signature, message, secretKey)
      return signature
    },
    secretKeyFromSeed(seed) {
      const secretKey = new Uint8Array(SECRET_KEY_BYTES)
      sodium.crypto_sign_seed_keypair(new Uint8Array(PUBLIC_KEY_BYTES), secretKey, seed)
      return secretKey
    },
  }
}

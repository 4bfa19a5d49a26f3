import { createRequire } from 'node:module'

/**
 * ed25519 verification through libsodium (the sodium-native addon, which ships prebuilt binaries
 * inside its npm package). libsodium verifies about twice as fast as OpenSSL on the same core, and
 * it is what Synapse verifies with (through PyNaCl), so its acceptance rules for edge-case keys and
 * signatures are the ones the rest of the federation applies. When the addon cannot be loaded
 * (an unsupported platform), the provider falls back to OpenSSL.
 */
export interface SodiumEd25519 {
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean
}

interface SodiumBinding {
  crypto_sign_verify_detached(
    signature: Uint8Array,
    message: Uint8Array,
    publicKey: Uint8Array,
  ): boolean
}

function isSodiumBinding(value: unknown): value is SodiumBinding {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Record<string, unknown>)['crypto_sign_verify_detached'] === 'function'
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
  }
}

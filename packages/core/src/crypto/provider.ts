/**
 * The cryptographic primitives the protocol core needs. The core does no IO and depends on no
 * platform API, so the host supplies these: the server one built on node:crypto, a browser one built
 * on a pure-JS library. Strings are hashed and signed as their UTF-8 bytes, which lets a native
 * provider skip a JavaScript encoding pass on the hot path. The strings the core passes come from
 * `canonicalJson`, which never emits a lone surrogate, so their UTF-8 form is exact.
 */
export interface CryptoProvider {
  /** The 32-byte SHA-256 digest. */
  sha256(data: string | Uint8Array): Uint8Array
  /**
   * Signs with an ed25519 key given as its 32-byte seed. Returns the 64-byte signature. Seeds come
   * from a SigningKey, never from the network, so a seed of another length is a programmer error
   * and may throw.
   */
  ed25519Sign(seed: Uint8Array, message: string | Uint8Array): Uint8Array
  /** Derives the 32-byte public key from a 32-byte seed. */
  ed25519PublicKey(seed: Uint8Array): Uint8Array
  /** False for a bad signature, and also for a key or signature of the wrong length. Never throws. */
  ed25519Verify(publicKey: Uint8Array, message: string | Uint8Array, signature: Uint8Array): boolean
  /** Cryptographically secure random bytes (for key generation). */
  randomBytes(length: number): Uint8Array
}

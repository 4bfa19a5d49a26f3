import { decodeBase64, encodeBase64 } from '../encoding/base64.js'
import { invalidParam } from '../errors/matrix-error.js'
import { err, ok, type Result } from '../errors/result.js'
import { parseKeyId } from '../ids/key-id.js'
import type { CryptoProvider } from './provider.js'

/** A server's ed25519 signing key. The seed is the secret; the public key is derived from it. */
export interface SigningKey {
  /** `ed25519:<version>`, the name under which signatures appear in `signatures`. */
  readonly keyId: string
  /** The 32-byte ed25519 seed (the private key as NaCl and Synapse store it). */
  readonly seed: Uint8Array
  /** The 32-byte public key. */
  readonly publicKey: Uint8Array
}

export const ED25519 = 'ed25519'
export const ED25519_SEED_BYTES = 32

const VERSION_ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'

/**
 * A new random signing key. Without a version, one of the form `a_XXXX` is chosen (the shape Synapse
 * uses). A version must match `[a-zA-Z0-9_]+` (server-server-api §Retrieving server keys); passing
 * another is a programmer or configuration error and throws a `RangeError`.
 */
export function generateSigningKey(crypto: CryptoProvider, version?: string): SigningKey {
  const chosen = version ?? randomVersion(crypto)
  const key = signingKeyFromSeed(crypto.randomBytes(ED25519_SEED_BYTES), chosen, crypto)
  if (!key.ok) throw new RangeError(key.error.error)
  return key.value
}

function randomVersion(crypto: CryptoProvider): string {
  let version = 'a_'
  // 256 is not a multiple of 62, so the first characters are slightly likelier: harmless for a
  // name that only has to differ from the server's previous keys.
  for (const byte of crypto.randomBytes(4))
    version += VERSION_ALPHABET.charAt(byte % VERSION_ALPHABET.length)
  return version
}

/** The ed25519 signing key with this seed and version. M_INVALID_PARAM for a bad seed or version. */
export function signingKeyFromSeed(
  seed: Uint8Array,
  version: string,
  crypto: CryptoProvider,
): Result<SigningKey> {
  const keyId = `${ED25519}:${version}`
  const parsed = parseKeyId(keyId, 'strict')
  if (!parsed.ok) return parsed
  if (seed.length !== ED25519_SEED_BYTES) {
    return err(invalidParam(`an ed25519 seed is ${ED25519_SEED_BYTES} bytes, not ${seed.length}`))
  }
  const ownSeed = Uint8Array.from(seed)
  return ok({ keyId, seed: ownSeed, publicKey: crypto.ed25519PublicKey(ownSeed) })
}

/** The public key in unpadded base64, as published in `verify_keys`. */
export function publicKeyBase64(key: SigningKey): string {
  return encodeBase64(key.publicKey)
}

/**
 * The signing key file in Synapse's format (signedjson `write_signing_keys`): one key per line,
 * `<algorithm> <version> <unpadded base64 seed>`, so a Synapse key file can be moved either way.
 */
export function encodeSigningKeyFile(keys: SigningKey | readonly SigningKey[]): string {
  const list: readonly SigningKey[] = Array.isArray(keys) ? keys : [keys as SigningKey]
  let out = ''
  for (const key of list) {
    const colon = key.keyId.indexOf(':')
    out += `${key.keyId.slice(0, colon)} ${key.keyId.slice(colon + 1)} ${encodeBase64(key.seed)}\n`
  }
  return out
}

/**
 * Reads a signing key file written by {@link encodeSigningKeyFile} or by Synapse. Blank lines are
 * skipped; every other line must be `ed25519 <version> <base64 seed>`, separated by whitespace.
 * M_INVALID_PARAM names the first bad line; a file with no key is an error too.
 */
export function parseSigningKeyFile(text: string, crypto: CryptoProvider): Result<SigningKey[]> {
  if (typeof text !== 'string') return err(invalidParam('signing key file must be text'))
  const keys: SigningKey[] = []
  const lines = text.split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim()
    if (line === '') continue
    const where = `signing key file line ${i + 1}`
    const fields = line.split(/\s+/)
    if (fields.length !== 3) {
      return err(invalidParam(`${where}: expected '<algorithm> <version> <seed>'`))
    }
    const [algorithm, version, seedBase64] = fields as [string, string, string]
    if (algorithm !== ED25519) {
      return err(invalidParam(`${where}: unsupported key algorithm '${algorithm.slice(0, 32)}'`))
    }
    // Synapse decodes seeds leniently, so a file it reads must read here too.
    const seed = decodeBase64(seedBase64, { allowTrailingBits: true })
    if (!seed.ok) return err(invalidParam(`${where}: ${seed.error.error}`))
    const key = signingKeyFromSeed(seed.value, version, crypto)
    if (!key.ok) return err(invalidParam(`${where}: ${key.error.error}`))
    keys.push(key.value)
  }
  if (keys.length === 0) return err(invalidParam('signing key file holds no key'))
  return ok(keys)
}

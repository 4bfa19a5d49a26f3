import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto'
import { err, ok, type Result } from '@rhizome/core'

/**
 * Password hashes: scrypt (memory-hard, so guessing on GPUs is expensive) in a self-describing
 * text form, `scrypt$N$r$p$salt$hash` with unpadded base64 salt and hash. The parameters travel
 * with each hash, so they can be raised later while old hashes keep verifying.
 *
 * scrypt runs on libuv's thread pool (the async `crypto.scrypt`), never on the event loop.
 */
export interface ScryptParams {
  /** CPU and memory cost, a power of two. Memory used is about 128 * N * r bytes. */
  readonly N: number
  readonly r: number
  readonly p: number
}

/** 32 MiB and about 90 ms per hash on a 2020s server core (measured in password-hash.test.ts). */
export const DEFAULT_SCRYPT_PARAMS: ScryptParams = { N: 2 ** 15, r: 8, p: 1 }

const SALT_BYTES = 16
const KEY_BYTES = 32
/**
 * Hashes come from our own database, but a corrupted row must not make one login allocate
 * gigabytes: parameters beyond these bounds are treated as a malformed hash.
 */
const MAX_MEMORY_BYTES = 256 * 1024 * 1024
const MAX_P = 16

export interface ParsedPasswordHash {
  readonly params: ScryptParams
  readonly salt: Buffer
  readonly hash: Buffer
}

/**
 * The form every password is hashed in: Unicode NFKC, so that the same password typed with
 * differently composed characters (as keyboards on different systems produce) still matches.
 */
function normalize(password: string): string {
  return password.normalize('NFKC')
}

export async function hashPassword(
  password: string,
  params: ScryptParams = DEFAULT_SCRYPT_PARAMS,
): Promise<string> {
  if (!validParams(params)) throw new Error(`invalid scrypt parameters ${JSON.stringify(params)}`)
  const salt = randomBytes(SALT_BYTES)
  const hash = await scryptAsync(normalize(password), salt, KEY_BYTES, params)
  return formatPasswordHash({ params, salt, hash })
}

/**
 * Whether `password` matches `stored`. A stored value that is not one of our hashes (corrupted,
 * or from another system) matches nothing. The final comparison takes constant time.
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parsePasswordHash(stored)
  if (!parsed.ok) return false
  const { params, salt, hash } = parsed.value
  const candidate = await scryptAsync(normalize(password), salt, hash.length, params)
  return timingSafeEqual(candidate, hash)
}

/** Whether a stored hash was made with other parameters than `params` (so it could be redone). */
export function needsRehash(stored: string, params: ScryptParams = DEFAULT_SCRYPT_PARAMS): boolean {
  const parsed = parsePasswordHash(stored)
  if (!parsed.ok) return true
  const p = parsed.value.params
  return p.N !== params.N || p.r !== params.r || p.p !== params.p
}

export function formatPasswordHash(parsed: ParsedPasswordHash): string {
  const { N, r, p } = parsed.params
  return `scrypt$${N}$${r}$${p}$${unpadded(parsed.salt)}$${unpadded(parsed.hash)}`
}

export function parsePasswordHash(stored: string): Result<ParsedPasswordHash, string> {
  const parts = stored.split('$')
  if (parts.length !== 6 || parts[0] !== 'scrypt') return err('not a scrypt$N$r$p$salt$hash value')
  const [, n, r, p, salt, hash] = parts
  const params = { N: decimal(n), r: decimal(r), p: decimal(p) }
  if (!validParams(params)) return err('scrypt parameters out of bounds')
  const saltBytes = base64(salt)
  const hashBytes = base64(hash)
  if (saltBytes === undefined || saltBytes.length < 8 || saltBytes.length > 64) {
    return err('bad salt')
  }
  if (hashBytes === undefined || hashBytes.length < 16 || hashBytes.length > 64) {
    return err('bad hash')
  }
  return ok({ params, salt: saltBytes, hash: hashBytes })
}

function validParams(params: ScryptParams): boolean {
  const { N, r, p } = params
  return (
    Number.isSafeInteger(N) &&
    N >= 2 &&
    (N & (N - 1)) === 0 &&
    Number.isSafeInteger(r) &&
    r >= 1 &&
    Number.isSafeInteger(p) &&
    p >= 1 &&
    p <= MAX_P &&
    128 * N * r <= MAX_MEMORY_BYTES
  )
}

function decimal(text: string | undefined): number {
  return text !== undefined && /^[1-9][0-9]{0,9}$/.test(text) ? Number(text) : NaN
}

function base64(text: string | undefined): Buffer | undefined {
  if (text === undefined || !/^[A-Za-z0-9+/]+$/.test(text) || text.length % 4 === 1) {
    return undefined
  }
  return Buffer.from(text, 'base64')
}

function unpadded(bytes: Buffer): string {
  return bytes.toString('base64').replace(/=+$/, '')
}

function scryptAsync(
  password: string,
  salt: Buffer,
  length: number,
  params: ScryptParams,
): Promise<Buffer> {
  // Node refuses anything above 32 MiB unless told otherwise; the bound above keeps this sane.
  const maxmem = 128 * params.N * params.r * 2 + 1024 * 1024
  return new Promise((resolve, reject) => {
    scrypt(password, salt, length, { ...params, maxmem }, (error, key) => {
      if (error === null) resolve(key)
      else reject(error)
    })
  })
}

import { randomBytes } from 'node:crypto'
import { link, mkdir, readFile, stat, unlink, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import {
  encodeSigningKeyFile,
  err,
  generateSigningKey,
  ok,
  parseSigningKeyFile,
  type CryptoProvider,
  type Result,
  type SigningKey,
} from '@rhizome/core'

export interface LoadedSigningKeys {
  /** The key this server signs with: the first in the file. */
  readonly active: SigningKey
  /** Further keys in the file, still published so that what they signed can be checked. */
  readonly others: readonly SigningKey[]
  /** Whether this call created the file. */
  readonly created: boolean
  /** Whether users other than the owner may read the file (it should be mode 0600). */
  readonly readableByOthers: boolean
}

/**
 * Reads the server's signing key file (Synapse's format, so keys move either way), or creates it
 * with a new ed25519 key, mode 0600, if there is none. Creation is atomic: the key is written to
 * a temporary file and hard-linked into place, which fails if another process got there first,
 * in which case that process's key is read instead. Errors name the file.
 */
export async function loadOrCreateSigningKey(
  path: string,
  crypto: CryptoProvider,
): Promise<Result<LoadedSigningKeys, string>> {
  const existing = await readKeys(path, crypto)
  if (existing !== undefined) return existing
  const key = generateSigningKey(crypto)
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`
  try {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 })
    await writeFile(temporary, encodeSigningKeyFile(key), { mode: 0o600, flag: 'wx' })
    await link(temporary, path)
  } catch (e) {
    if (codeOf(e) !== 'EEXIST') return err(`cannot create signing key ${path}: ${messageOf(e)}`)
    const raced = await readKeys(path, crypto)
    if (raced !== undefined) return raced
    return err(`cannot create signing key ${path}: ${messageOf(e)}`)
  } finally {
    await unlink(temporary).catch(() => undefined)
  }
  return ok({ active: key, others: [], created: true, readableByOthers: false })
}

/** The keys in the file; undefined when there is no file. */
async function readKeys(
  path: string,
  crypto: CryptoProvider,
): Promise<Result<LoadedSigningKeys, string> | undefined> {
  let text: string
  let mode: number
  try {
    text = await readFile(path, 'utf8')
    mode = (await stat(path)).mode
  } catch (e) {
    if (codeOf(e) === 'ENOENT') return undefined
    return err(`cannot read signing key ${path}: ${messageOf(e)}`)
  }
  const keys = parseSigningKeyFile(text, crypto)
  if (!keys.ok) return err(`bad signing key file ${path}: ${keys.error.error}`)
  const [active, ...others] = keys.value
  if (active === undefined) return err(`bad signing key file ${path}: it holds no key`)
  return ok({ active, others, created: false, readableByOthers: (mode & 0o077) !== 0 })
}

function codeOf(e: unknown): string | undefined {
  if (typeof e !== 'object' || e === null || !('code' in e)) return undefined
  return typeof e.code === 'string' ? e.code : undefined
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e)
}

import { createHash, randomBytes } from 'node:crypto'
import { createReadStream, type ReadStream } from 'node:fs'
import { mkdir, open, rename, stat, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import type { Readable } from 'node:stream'
import { err, ok, type Result } from '@rhizome/core'

export interface StoredFile {
  /** Lowercase hex SHA-256 of the bytes: the file's name. */
  readonly sha256: string
  readonly size: number
}

export type StoreFailure =
  /** More than the limit arrived; nothing was kept. */
  | { readonly kind: 'too_large' }
  /** The sender went away (or the stream failed) before the end; nothing was kept. */
  | { readonly kind: 'incomplete'; readonly cause: unknown }

const SHA256_HEX = /^[0-9a-f]{64}$/

/**
 * Content-addressed files under one directory: `ab/cd/<sha256>`. A file is written under a
 * temporary name, flushed to disk and then renamed into place, so a crash leaves either the whole
 * file or none of it (a stray temporary at worst); the same bytes uploaded twice are one file.
 */
export class MediaFiles {
  readonly #root: string
  readonly #tmp: string

  constructor(root: string) {
    this.#root = root
    this.#tmp = join(root, 'tmp')
  }

  pathOf(sha256: string): string {
    if (!SHA256_HEX.test(sha256)) throw new Error(`not a SHA-256: ${sha256}`)
    return join(this.#root, sha256.slice(0, 2), sha256.slice(2, 4), sha256)
  }

  /** Writes everything `source` yields, up to `limit` bytes. */
  async store(
    source: Readable | AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
    limit: number,
  ): Promise<Result<StoredFile, StoreFailure>> {
    await mkdir(this.#tmp, { recursive: true, mode: 0o700 })
    const temp = join(this.#tmp, `${randomBytes(12).toString('hex')}.part`)
    const file = await open(temp, 'wx', 0o600)
    const hash = createHash('sha256')
    let size = 0
    let kept = false
    try {
      try {
        // A request stream yields Buffers: it is never given an encoding.
        for await (const chunk of source as AsyncIterable<Uint8Array> | Iterable<Uint8Array>) {
          size += chunk.byteLength
          if (size > limit) return err({ kind: 'too_large' })
          hash.update(chunk)
          await file.write(chunk)
        }
      } catch (cause) {
        return err({ kind: 'incomplete', cause })
      }
      await file.sync()
      await file.close()
      const sha256 = hash.digest('hex')
      const target = this.pathOf(sha256)
      if (await exists(target)) {
        // The same bytes are already stored: keep the one copy.
        await unlink(temp)
      } else {
        const dir = join(this.#root, sha256.slice(0, 2), sha256.slice(2, 4))
        await mkdir(dir, { recursive: true, mode: 0o700 })
        await rename(temp, target)
        await syncDirectory(dir)
      }
      kept = true
      return ok({ sha256, size })
    } finally {
      if (!kept) {
        await file.close().catch(() => undefined)
        await unlink(temp).catch(() => undefined)
      }
    }
  }

  /** Stores bytes already in memory (thumbnails, preview images). */
  async storeBytes(bytes: Uint8Array): Promise<StoredFile> {
    const stored = await this.store([bytes], Infinity)
    if (!stored.ok) throw new Error('storing bytes in memory cannot fall short')
    return stored.value
  }

  /** The file's bytes as a stream, or undefined when the file is missing. */
  async read(sha256: string): Promise<ReadStream | undefined> {
    const path = this.pathOf(sha256)
    if (!(await exists(path))) return undefined
    return createReadStream(path)
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path)
    return true
  } catch {
    return false
  }
}

/** Makes a rename durable; some file systems cannot sync a directory, which costs only that. */
async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r')
    try {
      await handle.sync()
    } finally {
      await handle.close()
    }
  } catch {
    // Durability of the name is best effort where the platform refuses.
  }
}

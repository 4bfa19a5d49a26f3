import { createHash } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { afterEach, describe, expect, it } from 'vitest'
import { MediaFiles } from './media-files.js'

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

function files(): { root: string; files: MediaFiles } {
  const root = mkdtempSync(join(tmpdir(), 'rhizome-files-'))
  dirs.push(root)
  return { root, files: new MediaFiles(root) }
}

function stored(root: string): string[] {
  return readdirSync(root, { recursive: true })
    .map(String)
    .filter((f) => /[0-9a-f]{64}$/.test(f) || f.endsWith('.part'))
}

describe('MediaFiles', () => {
  it('stores bytes under their SHA-256, once however often they come', async () => {
    const { root, files: media } = files()
    const bytes = Buffer.from('hello media')
    const sha = createHash('sha256').update(bytes).digest('hex')
    const first = await media.store(Readable.from([bytes.subarray(0, 3), bytes.subarray(3)]), 100)
    expect(first).toEqual({ ok: true, value: { sha256: sha, size: bytes.length } })
    const second = await media.store([bytes], 100)
    expect(second.ok && second.value.sha256).toBe(sha)
    expect(media.pathOf(sha)).toBe(join(root, sha.slice(0, 2), sha.slice(2, 4), sha))
    expect(readFileSync(media.pathOf(sha)).equals(bytes)).toBe(true)
    expect(stored(root)).toHaveLength(1)
  })

  it('keeps nothing from a stream over the limit or one that fails', async () => {
    const { root, files: media } = files()
    const over = await media.store(Readable.from([Buffer.alloc(60), Buffer.alloc(60)]), 100)
    expect(over).toEqual({ ok: false, error: { kind: 'too_large' } })
    const failing = new Readable({
      read() {
        this.push(Buffer.from('part'))
        this.destroy(new Error('client went away'))
      },
    })
    const broken = await media.store(failing, 100)
    expect(!broken.ok && broken.error.kind).toBe('incomplete')
    expect(stored(root)).toEqual([])
  })

  it('refuses names that are not a SHA-256 and reads nothing missing', async () => {
    const { files: media } = files()
    expect(() => media.pathOf('../../etc/passwd')).toThrow()
    expect(await media.read('0'.repeat(64))).toBeUndefined()
  })
})

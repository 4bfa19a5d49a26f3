import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { encodeSigningKeyFile, generateSigningKey } from '@rhizome/core'
import { nodeCryptoProvider as crypto } from '@rhizome/crypto-node'
import { afterAll, describe, expect, it } from 'vitest'
import { loadOrCreateSigningKey } from './signing-key-file.js'

const dir = mkdtempSync(join(tmpdir(), 'rhizome-keys-'))
afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

describe('loadOrCreateSigningKey', () => {
  it('creates a key file with mode 0600 (and its directory), then reads the same key back', async () => {
    const path = join(dir, 'new', 'sub', 'signing.key')
    const created = await loadOrCreateSigningKey(path, crypto)
    if (!created.ok) throw new Error(created.error)
    expect(created.value.created).toBe(true)
    expect(statSync(path).mode & 0o777).toBe(0o600)
    expect(readFileSync(path, 'utf8')).toMatch(/^ed25519 a_\w{4} [A-Za-z0-9+/]{43}\n$/)
    const again = await loadOrCreateSigningKey(path, crypto)
    if (!again.ok) throw new Error(again.error)
    expect(again.value.created).toBe(false)
    expect(again.value.readableByOthers).toBe(false)
    expect(again.value.active.keyId).toBe(created.value.active.keyId)
    expect(again.value.active.publicKey).toEqual(created.value.active.publicKey)
  })

  it('gives every concurrent starter the same key', async () => {
    const path = join(dir, 'race.key')
    const results = await Promise.all(
      Array.from({ length: 8 }, () => loadOrCreateSigningKey(path, crypto)),
    )
    const ids = results.map((r) => (r.ok ? r.value.active.keyId : r.error))
    expect(new Set(ids).size).toBe(1)
    expect(results.filter((r) => r.ok && r.value.created)).toHaveLength(1)
  })

  it('reads a Synapse-style file with several keys, the first being active', async () => {
    const path = join(dir, 'multi.key')
    const first = generateSigningKey(crypto, 'one')
    const second = generateSigningKey(crypto, 'two')
    writeFileSync(path, encodeSigningKeyFile([first, second]), { mode: 0o644 })
    chmodSync(path, 0o644)
    const loaded = await loadOrCreateSigningKey(path, crypto)
    if (!loaded.ok) throw new Error(loaded.error)
    expect(loaded.value.active.keyId).toBe('ed25519:one')
    expect(loaded.value.others.map((k) => k.keyId)).toEqual(['ed25519:two'])
    expect(loaded.value.readableByOthers).toBe(true)
  })

  it('names the file when it is malformed, and never overwrites it', async () => {
    const path = join(dir, 'bad.key')
    writeFileSync(path, 'ed25519 v1 not-base64!\n')
    const result = await loadOrCreateSigningKey(path, crypto)
    expect(result.ok).toBe(false)
    expect(!result.ok && result.error).toMatch(
      /^bad signing key file .*bad\.key: signing key file line 1/,
    )
    expect(readFileSync(path, 'utf8')).toBe('ed25519 v1 not-base64!\n')
    writeFileSync(path, '\n\n')
    const empty = await loadOrCreateSigningKey(path, crypto)
    expect(!empty.ok && empty.error).toMatch(/holds no key/)
  })

  it('names the path when it cannot be read or created', async () => {
    const unreadable = await loadOrCreateSigningKey(dir, crypto)
    expect(!unreadable.ok && unreadable.error).toMatch(/^cannot read signing key .*EISDIR/)
    const blocker = join(dir, 'file')
    writeFileSync(blocker, 'x')
    const uncreatable = await loadOrCreateSigningKey(join(blocker, 'signing.key'), crypto)
    expect(!uncreatable.ok && uncreatable.error).toMatch(
      /^cannot (read|create) signing key .*ENOTDIR/,
    )
  })
})

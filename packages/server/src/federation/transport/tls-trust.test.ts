import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { rootCertificates } from 'node:tls'
import { afterAll, describe, expect, it } from 'vitest'
import { TEST_TLS_CERT } from '../../testing/tls-fixture.js'
import { loadTlsTrust } from './tls-trust.js'

const dir = mkdtempSync(join(tmpdir(), 'rhizome-trust-'))
afterAll(() => {
  rmSync(dir, { recursive: true, force: true })
})

function file(name: string, text: string): string {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}

describe('loadTlsTrust', () => {
  it("leaves Node's default trust alone without extra files", async () => {
    expect(await loadTlsTrust({ verifyTls: true, extraCaFiles: [] })).toEqual({
      ok: true,
      value: { ca: undefined, rejectUnauthorized: true },
    })
    const off = await loadTlsTrust({ verifyTls: false, extraCaFiles: [] })
    expect(off.ok && off.value.rejectUnauthorized).toBe(false)
  })

  it('adds every certificate of every file to the bundled roots', async () => {
    const two = file('two.pem', `# a comment\n${TEST_TLS_CERT}\n${TEST_TLS_CERT}`)
    const result = await loadTlsTrust({ verifyTls: true, extraCaFiles: [two] })
    expect(result.ok).toBe(true)
    const ca = result.ok ? (result.value.ca ?? []) : []
    expect(ca).toHaveLength(rootCertificates.length + 2)
    expect(ca.slice(0, rootCertificates.length)).toEqual([...rootCertificates])
    expect(ca.at(-1)?.trim()).toBe(TEST_TLS_CERT.trim())
  })

  it('refuses a file that is missing, empty of certificates, or holds a broken one', async () => {
    const missing = await loadTlsTrust({ verifyTls: true, extraCaFiles: [join(dir, 'nope.pem')] })
    expect(!missing.ok && missing.error).toMatch(/^federation\.extra_ca_files: cannot read/)
    const empty = await loadTlsTrust({ verifyTls: true, extraCaFiles: [file('e.pem', 'hello')] })
    expect(!empty.ok && empty.error).toContain('holds no PEM certificate')
    const broken = file('b.pem', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n')
    const bad = await loadTlsTrust({ verifyTls: true, extraCaFiles: [broken] })
    expect(!bad.ok && bad.error).toContain('does not parse')
  })
})

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isJsonObject, parseServerName, verifyJsonSignature } from '@rhizome/core'
import { nodeCryptoProvider as crypto } from '@rhizome/crypto-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServerKeyPublisher } from '../keys/server-keys.js'
import { loadOrCreateSigningKey } from '../keys/signing-key-file.js'
import { expectMatchesSpec } from '../testing/openapi-spec.js'
import { startTestServer, type TestServer } from '../testing/test-server.js'
import { serverKeysRoute } from './key-server.js'

const dir = mkdtempSync(join(tmpdir(), 'rhizome-keyserver-'))
let server: TestServer
let publicKey: Uint8Array
let keyId: string

beforeAll(async () => {
  const keys = await loadOrCreateSigningKey(join(dir, 'signing.key'), crypto)
  const name = parseServerName('example.org')
  if (!keys.ok || !name.ok) throw new Error('fixture')
  publicKey = keys.value.active.publicKey
  keyId = keys.value.active.keyId
  const serverKeys = createServerKeyPublisher(
    { serverName: name.value, active: keys.value.active, others: [] },
    crypto,
    () => 1_700_000_000_000,
  )
  server = await startTestServer({ routes: [serverKeysRoute], services: { serverKeys } })
})

afterAll(async () => {
  await server.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('GET /_matrix/key/v2/server', () => {
  it('publishes the signing key, self-signed, valid for a day, as the spec shapes it', async () => {
    const response = await fetch(`${server.url}/_matrix/key/v2/server`)
    expect(response.status).toBe(200)
    const body: unknown = await response.json()
    expectMatchesSpec(
      'server-server',
      'keys_server.yaml',
      'GET',
      '/_matrix/key/v2/server',
      200,
      body,
    )
    if (!isJsonObject(body)) throw new Error('not an object')
    expect(body['server_name']).toBe('example.org')
    expect(body['valid_until_ts']).toBe(1_700_000_000_000 + 24 * 3600 * 1000)
    expect(Object.keys(body['verify_keys'] ?? {})).toEqual([keyId])
    expect(verifyJsonSignature(body, 'example.org', keyId, publicKey, crypto).ok).toBe(true)
  })
})

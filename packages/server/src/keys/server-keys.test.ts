import {
  decodeBase64,
  generateSigningKey,
  isJsonObject,
  parseServerName,
  verifyJsonSignature,
} from '@rhizome/core'
import { nodeCryptoProvider as crypto } from '@rhizome/crypto-node'
import { describe, expect, it } from 'vitest'
import { expectMatchesSpec } from '../testing/openapi-spec.js'
import { buildServerKeys, createServerKeyPublisher, KEY_VALIDITY_MS } from './server-keys.js'

const name = parseServerName('example.org')
if (!name.ok) throw new Error('bad fixture')
const serverName = name.value
const active = generateSigningKey(crypto, 'abc')
const other = generateSigningKey(crypto, 'def')

describe('buildServerKeys', () => {
  const body = buildServerKeys(
    { serverName, active, others: [other], now: 1_000, validityMs: 5_000 },
    crypto,
  )

  it('publishes every key and how long to trust them', () => {
    expect(body['server_name']).toBe('example.org')
    expect(body['valid_until_ts']).toBe(6_000)
    expect(body['old_verify_keys']).toEqual({})
    const verifyKeys = body['verify_keys']
    expect(isJsonObject(verifyKeys) && Object.keys(verifyKeys)).toEqual([
      'ed25519:abc',
      'ed25519:def',
    ])
    const key = isJsonObject(verifyKeys) ? verifyKeys['ed25519:abc'] : undefined
    const b64 = isJsonObject(key) ? key['key'] : undefined
    expect(typeof b64 === 'string' && decodeBase64(b64)).toEqual({
      ok: true,
      value: active.publicKey,
    })
  })

  it('is signed by the active key', () => {
    expect(
      verifyJsonSignature(body, 'example.org', 'ed25519:abc', active.publicKey, crypto),
    ).toEqual({ ok: true, value: undefined })
    expect(
      verifyJsonSignature(body, 'example.org', 'ed25519:def', other.publicKey, crypto).ok,
    ).toBe(false)
  })

  it('matches the spec', () => {
    expectMatchesSpec(
      'server-server',
      'keys_server.yaml',
      'GET',
      '/_matrix/key/v2/server',
      200,
      body,
    )
  })
})

describe('createServerKeyPublisher', () => {
  it('re-signs once half the validity has passed', () => {
    let now = 10_000
    const publisher = createServerKeyPublisher(
      { serverName, active, others: [] },
      crypto,
      () => now,
    )
    const first = publisher.current()
    expect(first['valid_until_ts']).toBe(10_000 + KEY_VALIDITY_MS)
    now += KEY_VALIDITY_MS / 2 - 1
    expect(publisher.current()).toBe(first)
    now += 1
    expect(publisher.current()['valid_until_ts']).toBe(now + KEY_VALIDITY_MS)
  })
})

import {
  generateSigningKey,
  isJsonObject,
  verifyJsonSignature,
  type JsonObject,
  type ServerName,
} from '@rhizome/core'
import { nodeCryptoProvider as crypto } from '@rhizome/crypto-node'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createServerKeyPublisher } from '../../keys/server-keys.js'
import type { Storage } from '../../storage/interface.js'
import { openStorage } from '../../storage/open-storage.js'
import { expectMatchesSpec } from '../../testing/openapi-spec.js'
import { startTestServer, type TestServer } from '../../testing/test-server.js'
import { FakeRequester, FakeServer } from '../../testing/fake-key-servers.js'
import { createKeyFetcher } from './key-fetcher.js'
import { createKeyNotary } from './key-notary.js'
import { keyNotaryRoutes, MAX_NOTARY_SERVERS } from './key-notary-routes.js'

const ours = 'notary.example' as ServerName
const ourKey = generateSigningKey(crypto, 'notary')
const T0 = 1_700_000_000_000
const HOUR = 3600 * 1000

let storage: Storage
let server: TestServer
let requester: FakeRequester
let remote: FakeServer
let clock = T0
const remoteValidUntil = T0 + 2 * HOUR

beforeAll(async () => {
  storage = await openStorage('sqlite::memory:')
  requester = new FakeRequester()
  remote = new FakeServer('remote.example' as ServerName)
  remote.serveKeys(requester, () => remoteValidUntil)
  const now = (): number => clock
  const fetcher = createKeyFetcher({
    serverName: ours,
    ownKeys: [ourKey],
    requester,
    store: storage.remoteKeys,
    trustedKeyServers: [],
    crypto,
    now,
  })
  const keyNotary = createKeyNotary({
    serverName: ours,
    signingKey: ourKey,
    serverKeys: createServerKeyPublisher(
      { serverName: ours, active: ourKey, others: [] },
      crypto,
      now,
    ),
    fetcher,
    store: storage.remoteKeys,
    crypto,
    now,
  })
  server = await startTestServer({ routes: keyNotaryRoutes, services: { keyNotary, now } })
})

afterAll(async () => {
  await server.close()
  await storage.close()
})

beforeEach(() => {
  requester.calls.length = 0
})

async function call(
  method: 'GET' | 'POST',
  path: string,
  body?: string,
): Promise<{ status: number; body: JsonObject }> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    ...(body === undefined ? {} : { body, headers: { 'content-type': 'application/json' } }),
  })
  const json: unknown = await response.json()
  if (!isJsonObject(json)) throw new Error('not an object')
  return { status: response.status, body: json }
}

function entries(body: JsonObject): readonly JsonObject[] {
  const list = body['server_keys']
  if (!Array.isArray(list)) throw new Error('no server_keys')
  return (list as readonly unknown[]).filter(isJsonObject)
}

/** Signed by the origin with its own key and by this notary with ours. */
function expectCountersigned(entry: JsonObject, origin: ServerName, originKey = remote.key): void {
  const { publicKey, keyId } = originKey
  expect(verifyJsonSignature(entry, origin, keyId, publicKey, crypto).ok).toBe(true)
  expect(verifyJsonSignature(entry, ours, ourKey.keyId, ourKey.publicKey, crypto).ok).toBe(true)
}

describe('GET /_matrix/key/v2/query/{serverName}', () => {
  it("fetches the server's keys and countersigns them, as the spec shapes them", async () => {
    const answer = await call('GET', `/_matrix/key/v2/query/${remote.name}`)
    expect(answer.status).toBe(200)
    expectMatchesSpec(
      'server-server',
      'keys_query.yaml',
      'GET',
      '/_matrix/key/v2/query/{serverName}',
      200,
      answer.body,
    )
    const [entry, ...rest] = entries(answer.body)
    expect(rest).toEqual([])
    if (entry === undefined) throw new Error('no entry')
    expect(entry['server_name']).toBe(remote.name)
    expect(entry['valid_until_ts']).toBe(remoteValidUntil)
    expectCountersigned(entry, remote.name)
    expect(requester.calls).toHaveLength(1)
  })

  it('answers from the cache for half its lifetime, then fetches again', async () => {
    const cached = new FakeServer('cached.example' as ServerName)
    let validUntil = clock + 2 * HOUR
    cached.serveKeys(requester, () => validUntil)
    const path = `/_matrix/key/v2/query/${cached.name}`
    await call('GET', path)
    await call('GET', path)
    expect(requester.callsTo(cached.name)).toHaveLength(1)
    // A minimum beyond the cached validity makes it ask, but once a minute at most.
    const beyond = `${path}?minimum_valid_until_ts=${validUntil + 1}`
    await call('GET', beyond)
    expect(requester.callsTo(cached.name)).toHaveLength(1)
    clock += 61_000
    validUntil = clock + 4 * HOUR
    const answer = await call('GET', beyond)
    expect(requester.callsTo(cached.name)).toHaveLength(2)
    expect(entries(answer.body)[0]?.['valid_until_ts']).toBe(validUntil)
    // Fetched at clock, valid for 4 hours: fresh for 2.
    clock += HOUR
    await call('GET', path)
    expect(requester.callsTo(cached.name)).toHaveLength(2)
    clock += HOUR
    await call('GET', path)
    expect(requester.callsTo(cached.name)).toHaveLength(3)
  })

  it('keeps answering from the cache when the server stops answering', async () => {
    const flaky = new FakeServer('flaky.example' as ServerName)
    flaky.serveKeys(requester, () => clock + HOUR)
    const path = `/_matrix/key/v2/query/${flaky.name}`
    const first = await call('GET', path)
    requester.on(flaky.name, () => ({ ok: false, error: { kind: 'unreachable', message: 'down' } }))
    clock += HOUR
    const later = await call('GET', path)
    expect(requester.callsTo(flaky.name)).toHaveLength(2)
    expect(later).toEqual(first)
  })

  it('answers an empty list for a server it cannot reach and has no keys of', async () => {
    const answer = await call('GET', '/_matrix/key/v2/query/unknown.example')
    expect(answer).toEqual({ status: 200, body: { server_keys: [] } })
  })

  it('refuses a bad server name or minimum_valid_until_ts', async () => {
    for (const path of [
      '/_matrix/key/v2/query/not%20a%20name',
      `/_matrix/key/v2/query/${remote.name}?minimum_valid_until_ts=soon`,
      `/_matrix/key/v2/query/${remote.name}?minimum_valid_until_ts=-1`,
      `/_matrix/key/v2/query/${remote.name}?minimum_valid_until_ts=1&minimum_valid_until_ts=2`,
      `/_matrix/key/v2/query/${remote.name}?minimum_valid_until_ts=99999999999999999`,
    ]) {
      const answer = await call('GET', path)
      expect(answer.status, path).toBe(400)
      expect(answer.body['errcode'], path).toBe('M_INVALID_PARAM')
    }
  })
})

describe('POST /_matrix/key/v2/query', () => {
  it('answers several servers, this one included, countersigned', async () => {
    const body = JSON.stringify({
      server_keys: {
        [remote.name]: { [remote.key.keyId]: { minimum_valid_until_ts: clock } },
        [ours]: {},
        'unknown.example': { 'ed25519:x': {} },
      },
    })
    const answer = await call('POST', '/_matrix/key/v2/query', body)
    expect(answer.status).toBe(200)
    expectMatchesSpec(
      'server-server',
      'keys_query.yaml',
      'POST',
      '/_matrix/key/v2/query',
      200,
      answer.body,
    )
    const list = entries(answer.body)
    expect(list.map((entry) => entry['server_name'])).toEqual([remote.name, ours])
    const [theirs, own] = list
    if (theirs === undefined || own === undefined) throw new Error('entries')
    expectCountersigned(theirs, remote.name)
    expectCountersigned(own, ours, ourKey)
  })

  it('fetches a key the cache does not have', async () => {
    const body = JSON.stringify({ server_keys: { [remote.name]: { 'ed25519:new': {} } } })
    clock += 61_000
    await call('POST', '/_matrix/key/v2/query', body)
    expect(requester.calls).toHaveLength(1)
  })

  it('answers an empty query with an empty list', async () => {
    const answer = await call('POST', '/_matrix/key/v2/query', '{"server_keys":{}}')
    expect(answer).toEqual({ status: 200, body: { server_keys: [] } })
  })

  it('refuses malformed queries', async () => {
    const tooMany: Record<string, object> = {}
    for (let i = 0; i <= MAX_NOTARY_SERVERS; i++) tooMany[`s${i}.example`] = {}
    const cases: readonly [string, string][] = [
      ['not json', 'M_NOT_JSON'],
      ['[]', 'M_BAD_JSON'],
      ['{}', 'M_BAD_JSON'],
      ['{"server_keys":[]}', 'M_BAD_JSON'],
      ['{"server_keys":{"a.example":[]}}', 'M_BAD_JSON'],
      ['{"server_keys":{"a.example":{"ed25519:x":1}}}', 'M_BAD_JSON'],
      ['{"server_keys":{"a.example":{"ed25519:x":{"minimum_valid_until_ts":"1"}}}}', 'M_BAD_JSON'],
      ['{"server_keys":{"a.example":{"ed25519:x":{"minimum_valid_until_ts":1.5}}}}', 'M_BAD_JSON'],
      ['{"server_keys":{"not a name":{}}}', 'M_INVALID_PARAM'],
      [JSON.stringify({ server_keys: tooMany }), 'M_INVALID_PARAM'],
    ]
    for (const [body, errcode] of cases) {
      const answer = await call('POST', '/_matrix/key/v2/query', body)
      expect(answer.status, body).toBe(400)
      expect(answer.body['errcode'], body).toBe(errcode)
    }
    expect(requester.calls).toEqual([])
  })
})

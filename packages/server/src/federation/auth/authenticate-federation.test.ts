import { generateSigningKey, type ServerName } from '@rhizome/core'
import { nodeCryptoProvider as crypto } from '@rhizome/crypto-node'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Storage } from '../../storage/interface.js'
import { openStorage } from '../../storage/open-storage.js'
import { FakeRequester, FakeServer } from '../../testing/fake-key-servers.js'
import { createKeyFetcher } from '../keys/key-fetcher.js'
import {
  createFederationAuthenticator,
  type AuthenticateFederationRequest,
  type InboundFederationRequest,
} from './authenticate-federation.js'
import { createRequestSigner } from './x-matrix.js'

const ours = 'ours.example' as ServerName
const T0 = 1_700_000_000_000

let storage: Storage
let remote: FakeServer
let heard: ServerName[]
let authenticate: AuthenticateFederationRequest
let requester: FakeRequester

beforeEach(async () => {
  storage = await openStorage('sqlite::memory:')
  remote = new FakeServer('remote.example:8448' as ServerName)
  requester = new FakeRequester()
  remote.serveKeys(requester, () => T0 + 3600_000)
  heard = []
  authenticate = createFederationAuthenticator({
    serverName: ours,
    keys: createKeyFetcher({
      serverName: ours,
      ownKeys: [],
      requester,
      store: storage.remoteKeys,
      trustedKeyServers: [],
      crypto,
      now: () => T0,
    }),
    crypto,
    now: () => T0,
    onAuthenticated: (origin) => heard.push(origin),
  })
})

afterEach(() => storage.close())

const encoder = new TextEncoder()

function signed(
  method: string,
  uri: string,
  content?: Record<string, string>,
  destination: ServerName = ours,
): InboundFederationRequest {
  const sign = createRequestSigner(remote.name, remote.key, crypto)
  return {
    method,
    uri,
    authorization: sign({
      method,
      uri,
      destination,
      ...(content === undefined ? {} : { content }),
    }),
    body: content === undefined ? undefined : encoder.encode(JSON.stringify(content)),
  }
}

async function expectUnauthorized(request: InboundFederationRequest, why: RegExp): Promise<void> {
  const result = await authenticate(request)
  expect(result.ok).toBe(false)
  if (!result.ok) {
    expect(result.error.errcode).toBe('M_UNAUTHORIZED')
    expect(result.error.error).toMatch(why)
  }
  expect(heard).toEqual([])
}

describe('authenticateFederationRequest', () => {
  it('names the origin of a correctly signed request, with or without a body', async () => {
    const get = await authenticate(signed('GET', '/_matrix/federation/v1/version?a=b%20c'))
    expect(get).toEqual({ ok: true, value: remote.name })
    const put = await authenticate(signed('PUT', '/_matrix/federation/v1/send/1', { x: 'y' }))
    expect(put).toEqual({ ok: true, value: remote.name })
    expect(heard).toEqual([remote.name, remote.name])
    expect(requester.calls).toHaveLength(1)
  })

  it('accepts a header without destination, signed for this server', async () => {
    const request = signed('GET', '/_matrix/federation/v1/version')
    const authorization = request.authorization?.replace(/destination="[^"]*",/, '')
    expect(authorization).not.toContain('destination')
    expect(await authenticate({ ...request, authorization })).toEqual({
      ok: true,
      value: remote.name,
    })
  })

  it('refuses a request without an Authorization header, or of another scheme', async () => {
    const request = signed('GET', '/x')
    await expectUnauthorized({ ...request, authorization: undefined }, /Missing/)
    await expectUnauthorized({ ...request, authorization: 'Bearer abc' }, /not X-Matrix/)
  })

  it('refuses a request addressed to another server', async () => {
    const request = signed('GET', '/x', undefined, 'elsewhere.example' as ServerName)
    await expectUnauthorized(request, /addressed to elsewhere\.example/)
  })

  it('refuses a request whose parts differ from what was signed', async () => {
    const request = signed('PUT', '/_matrix/federation/v1/send/1', { x: 'y' })
    await expectUnauthorized({ ...request, method: 'POST' }, /Invalid signature/)
    await expectUnauthorized({ ...request, uri: '/_matrix/federation/v1/send/2' }, /Invalid/)
    await expectUnauthorized({ ...request, body: encoder.encode('{"x":"z"}') }, /Invalid/)
    await expectUnauthorized({ ...request, body: undefined }, /Invalid signature/)
  })

  it('refuses a signature by a key the origin does not publish', async () => {
    const stranger = generateSigningKey(crypto, 'stranger')
    const sign = createRequestSigner(remote.name, stranger, crypto)
    await expectUnauthorized(
      {
        method: 'GET',
        uri: '/x',
        authorization: sign({ method: 'GET', uri: '/x', destination: ours }),
        body: undefined,
      },
      /No usable key ed25519:stranger of remote\.example:8448/,
    )
  })

  it('refuses an origin that cannot be reached for its keys', async () => {
    const silent = new FakeServer('silent.example' as ServerName)
    const sign = createRequestSigner(silent.name, silent.key, crypto)
    const authorization = sign({ method: 'GET', uri: '/x', destination: ours })
    await expectUnauthorized(
      { method: 'GET', uri: '/x', authorization, body: undefined },
      /No usable key/,
    )
  })

  it('answers a body that is not JSON as such', async () => {
    const request = signed('PUT', '/x', { x: 'y' })
    const result = await authenticate({ ...request, body: encoder.encode('not json') })
    expect(result.ok ? undefined : result.error.errcode).toBe('M_NOT_JSON')
  })

  it('keeps authenticating when the onAuthenticated hook throws', async () => {
    const throwing = createFederationAuthenticator({
      serverName: ours,
      keys: { verifyKey: () => Promise.resolve({ ok: true, value: remote.key.publicKey }) },
      crypto,
      now: () => T0,
      onAuthenticated: () => {
        throw new Error('hook')
      },
    })
    expect(await throwing(signed('GET', '/x'))).toEqual({ ok: true, value: remote.name })
  })
})

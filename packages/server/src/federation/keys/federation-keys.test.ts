/**
 * Three real HTTP servers on loopback, each with its own keys and database: requests between
 * them are signed and authenticated, keys are fetched over HTTP, and one serves as the notary
 * for another that the third cannot reach.
 */
import {
  err,
  generateSigningKey,
  isJsonObject,
  ok,
  parseJson,
  verifyJsonSignature,
  type JsonObject,
  type Result,
  type ServerName,
} from '@rhizome/core'
import { nodeCryptoProvider as crypto } from '@rhizome/crypto-node'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { defineEndpoint, handle, type Route } from '../../http/endpoint.js'
import { createServerKeyPublisher, type ServerKeyPublisher } from '../../keys/server-keys.js'
import type { Storage } from '../../storage/interface.js'
import { openStorage } from '../../storage/open-storage.js'
import { startTestServer, type TestServer } from '../../testing/test-server.js'
import { createRequestSigner, type RequestSigner } from '../auth/x-matrix.js'
import { serverKeysRoute } from '../key-server.js'
import type {
  FederationFailure,
  FederationRequester,
  FederationResponse,
} from '../transport/federation-client.js'
import { createFederationKeys, type FederationKeys } from './federation-keys.js'
import { keyNotaryRoutes, type KeyNotaryServices } from './key-notary-routes.js'

/** Plain HTTP to servers on loopback, by name; signs as the transport does. */
class LoopbackRequester implements Pick<FederationRequester, 'get' | 'request'> {
  readonly #urls: ReadonlyMap<ServerName, string>
  readonly #sign: RequestSigner

  constructor(urls: ReadonlyMap<ServerName, string>, sign: RequestSigner) {
    this.#urls = urls
    this.#sign = sign
  }

  get(destination: ServerName, path: string) {
    return this.#send(destination, 'GET', path, undefined, false)
  }

  request(
    destination: ServerName,
    method: 'GET' | 'PUT' | 'POST' | 'DELETE',
    path: string,
    body?: JsonObject,
  ) {
    return this.#send(destination, method, path, body, true)
  }

  async #send(
    destination: ServerName,
    method: string,
    path: string,
    content: JsonObject | undefined,
    signed: boolean,
  ): Promise<Result<FederationResponse, FederationFailure>> {
    const base = this.#urls.get(destination)
    if (base === undefined)
      return err({ kind: 'unreachable', message: `no route to ${destination}` })
    const headers: Record<string, string> = {}
    if (content !== undefined) headers['content-type'] = 'application/json'
    if (signed) {
      const request = { method, uri: path, destination }
      headers['authorization'] = this.#sign(
        content === undefined ? request : { ...request, content },
      )
    }
    const response = await fetch(`${base}${path}`, {
      method,
      headers,
      ...(content === undefined ? {} : { body: JSON.stringify(content) }),
    })
    const body = parseJson(await response.text())
    const json = body.ok ? body.value : null
    if (!response.ok) {
      return err({ kind: 'http', status: response.status, body: json, message: 'error status' })
    }
    return ok({ status: response.status, body: json })
  }
}

interface Homeserver {
  readonly name: ServerName
  readonly storage: Storage
  readonly keys: FederationKeys
  readonly heard: ServerName[]
  readonly http: TestServer
  readonly signingKey: ReturnType<typeof generateSigningKey>
}

const whoAmI = handle(
  defineEndpoint({ method: 'GET', paths: ['/_matrix/federation/v1/whoami'], auth: 'federation' }),
  ({ origin }) => Promise.resolve(ok({ origin })),
)

interface Services extends KeyNotaryServices {
  readonly serverKeys: ServerKeyPublisher
}

const routes: readonly Route<Services>[] = [serverKeysRoute, ...keyNotaryRoutes, whoAmI]
/** Which servers each one can reach: c cannot reach b, and trusts a as its notary. */
const urls = new Map<ServerName, string>()
const reach: Readonly<Record<string, readonly string[]>> = {
  'a.test': ['a.test', 'b.test', 'c.test'],
  'b.test': ['a.test', 'b.test', 'c.test'],
  'c.test': ['a.test', 'c.test'],
}
const servers = new Map<string, Homeserver>()
/** Each server's view of the others' URLs, filled in once all listen. */
const reachable = new Map<ServerName, Map<ServerName, string>>()

async function homeserver(name: ServerName, trusted: readonly ServerName[]): Promise<Homeserver> {
  const storage = await openStorage('sqlite::memory:')
  const signingKey = generateSigningKey(crypto)
  const now = (): number => Date.now()
  const serverKeys = createServerKeyPublisher(
    { serverName: name, active: signingKey, others: [] },
    crypto,
    now,
  )
  const visible = new Map<ServerName, string>()
  // Filled in once every server listens (beforeAll).
  const requester = new LoopbackRequester(visible, createRequestSigner(name, signingKey, crypto))
  const heard: ServerName[] = []
  const keys = createFederationKeys({
    serverName: name,
    signingKey,
    serverKeys,
    requester,
    store: storage.remoteKeys,
    trustedKeyServers: trusted,
    crypto,
    now,
    onAuthenticated: (origin) => heard.push(origin),
  })
  const http = await startTestServer<Services>({
    routes,
    services: { serverKeys, keyNotary: keys.keyNotary, now },
    authenticateServer: keys.authenticateServer,
  })
  urls.set(name, http.url)
  const server = { name, storage, keys, heard, http, signingKey }
  servers.set(name, server)
  reachable.set(name, visible)
  return server
}

function server(name: string): Homeserver {
  const found = servers.get(name)
  if (found === undefined) throw new Error(name)
  return found
}

beforeAll(async () => {
  await homeserver('a.test' as ServerName, [])
  await homeserver('b.test' as ServerName, [])
  await homeserver('c.test' as ServerName, ['a.test' as ServerName])
  for (const [name, visible] of reachable) {
    for (const target of reach[name] ?? []) {
      const url = urls.get(target as ServerName)
      if (url !== undefined) visible.set(target as ServerName, url)
    }
  }
})

afterAll(async () => {
  for (const { http, storage } of servers.values()) {
    await http.close()
    await storage.close()
  }
})

async function whoami(from: Homeserver, to: Homeserver): Promise<Response> {
  const path = '/_matrix/federation/v1/whoami'
  const authorization = createRequestSigner(
    from.name,
    from.signingKey,
    crypto,
  )({
    method: 'GET',
    uri: path,
    destination: to.name,
  })
  return fetch(`${to.http.url}${path}`, { headers: { authorization } })
}

describe('federation keys between real servers', () => {
  it('authenticates a signed request, fetching the origin key over HTTP', async () => {
    const response = await whoami(server('b.test'), server('a.test'))
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ origin: 'b.test' })
    expect(server('a.test').heard).toEqual(['b.test'])
    const stored = await server('a.test').storage.remoteKeys.getKeys('b.test' as ServerName)
    expect(stored.map((key) => key.keyId)).toEqual([server('b.test').signingKey.keyId])
  })

  it('refuses an unsigned request, and one signed for another server', async () => {
    const unsigned = await fetch(`${server('a.test').http.url}/_matrix/federation/v1/whoami`)
    expect(unsigned.status).toBe(401)
    expect(await unsigned.json()).toMatchObject({ errcode: 'M_UNAUTHORIZED' })
    // Signed for c.test, sent to a.test.
    const path = '/_matrix/federation/v1/whoami'
    const b = server('b.test')
    const authorization = createRequestSigner(
      b.name,
      b.signingKey,
      crypto,
    )({
      method: 'GET',
      uri: path,
      destination: 'c.test' as ServerName,
    })
    const misdirected = await fetch(`${server('a.test').http.url}${path}`, {
      headers: { authorization },
    })
    expect(misdirected.status).toBe(401)
    expect(await misdirected.json()).toMatchObject({ errcode: 'M_UNAUTHORIZED' })
  })

  it("learns an unreachable server's key through its trusted notary", async () => {
    const c = server('c.test')
    const b = server('b.test')
    const key = await c.keys.fetcher.verifyKey(b.name, b.signingKey.keyId, Date.now())
    expect(key.ok && Buffer.from(key.value).equals(Buffer.from(b.signingKey.publicKey))).toBe(true)
    // And so authenticates b's requests, though it cannot reach b.
    const response = await whoami(b, c)
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ origin: 'b.test' })
  })

  it('serves as a notary over HTTP, countersigning', async () => {
    const a = server('a.test')
    const b = server('b.test')
    const response = await fetch(`${a.http.url}/_matrix/key/v2/query/b.test`)
    const body: unknown = await response.json()
    if (!isJsonObject(body) || !Array.isArray(body['server_keys'])) throw new Error('shape')
    const [entry] = body['server_keys'] as readonly unknown[]
    if (!isJsonObject(entry)) throw new Error('no entry')
    const { keyId, publicKey } = b.signingKey
    expect(verifyJsonSignature(entry, b.name, keyId, publicKey, crypto).ok).toBe(true)
    const notaryKey = a.signingKey
    expect(
      verifyJsonSignature(entry, a.name, notaryKey.keyId, notaryKey.publicKey, crypto).ok,
    ).toBe(true)
  })
})

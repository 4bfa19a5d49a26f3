import { writeFileSync } from 'node:fs'
import type { IncomingHttpHeaders } from 'node:http'
import { createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import { err, ok, type JsonObject, type Result, type ServerName } from '@rhizome/core'
import { Agent } from 'undici'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { FederationConfig } from '../../config/config.js'
import { captureLogs } from '../../testing/capture-logs.js'
import { makeTestPki, type TestPki } from '../../testing/test-ca.js'
import type { RequestSigner } from '../auth/x-matrix.js'
import { policyLookup } from './address-policy.js'
import type { DnsResolver, SrvRecord } from './dns-resolver.js'
import {
  createFederationClient,
  type CreateFederationClientOptions,
  type FederationClient,
} from './federation-client.js'
import type { WellKnownFetcher } from './well-known.js'
import { createWellKnownFetcher } from './well-known-fetcher.js'

/** Names the fake DNS resolves to 127.0.0.1 and the test certificate is valid for. */
const TEST_HOSTS: readonly string[] = [
  'fed.test',
  'multi.test',
  'alive.test',
  'dead.test',
  'delegating.test',
  'hops.test',
  'loop.test',
  'toomany.test',
  'plain.test',
  'missing.test',
]

interface Received {
  readonly method: string
  readonly url: string
  readonly headers: IncomingHttpHeaders
  /** The SNI the client sent; false when it sent none. */
  readonly servername: string | false | null | undefined
  readonly body: string
}

let pki: TestPki
let server: Server
let port: number
let closedPort: number
const received: Received[] = []

/** What the remote homeserver on 127.0.0.1 answers; `/.well-known` depends on the Host. */
function handle(
  method: string,
  url: string,
  host: string,
): { status: number; headers?: Record<string, string>; body: string; delayMs?: number } {
  const path = url.split('?')[0]
  if (path === '/slow') return { status: 200, body: '{}', delayMs: 3000 }
  if (path === '/missing')
    return { status: 404, body: '{"errcode":"M_NOT_FOUND","error":"no such thing"}' }
  if (path === '/crash') return { status: 500, body: '<html>oops</html>' }
  if (path === '/text') return { status: 200, body: 'this is not json' }
  if (path === '/big') return { status: 200, body: JSON.stringify({ pad: 'x'.repeat(5000) }) }
  if (path === '/.well-known/matrix/server') {
    const name = host.split(':')[0]
    if (name === 'hops.test') {
      return { status: 301, headers: { location: `https://fed.test:${port}/hop/3` }, body: '' }
    }
    if (name === 'loop.test')
      return { status: 302, headers: { location: '/redirect-loop' }, body: '' }
    if (name === 'toomany.test') return { status: 302, headers: { location: '/hop/9' }, body: '' }
    if (name === 'plain.test') {
      return { status: 302, headers: { location: `http://fed.test:${port}/` }, body: '' }
    }
    if (name === 'missing.test') return { status: 404, body: '{"errcode":"M_NOT_FOUND"}' }
    return {
      status: 200,
      headers: { 'cache-control': 'max-age=600' },
      body: JSON.stringify({ 'm.server': `fed.test:${port}` }),
    }
  }
  if (path === '/redirect-loop')
    return { status: 302, headers: { location: '/redirect-loop2' }, body: '' }
  if (path === '/redirect-loop2')
    return { status: 302, headers: { location: '/redirect-loop' }, body: '' }
  if (path?.startsWith('/hop/') === true) {
    const n = Number(path.slice('/hop/'.length))
    const location = n > 0 ? `/hop/${n - 1}` : '/.well-known/matrix/server'
    return { status: 301, headers: { location }, body: '' }
  }
  return { status: 200, body: JSON.stringify({ method, url }) }
}

beforeAll(async () => {
  pki = makeTestPki([...TEST_HOSTS], ['127.0.0.1'])
  server = createServer({ cert: pki.cert, key: pki.key }, (req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      received.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        servername: (req.socket as { servername?: string | false | null }).servername,
        body: Buffer.concat(chunks).toString('utf8'),
      })
      const answer = handle(req.method ?? '', req.url ?? '', req.headers.host ?? '')
      const send = (): void => {
        if (res.destroyed) return
        res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers })
        res.end(answer.body)
      }
      if (answer.delayMs === undefined) send()
      else setTimeout(send, answer.delayMs).unref()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  port = (server.address() as AddressInfo).port
  // A port nothing listens on: bind one, note it, release it.
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  closedPort = (probe.address() as AddressInfo).port
  await new Promise<void>((resolve) =>
    probe.close(() => {
      resolve()
    }),
  )
})

afterAll(async () => {
  server.closeAllConnections()
  await new Promise<void>((resolve) =>
    server.close(() => {
      resolve()
    }),
  )
  pki.remove()
})

const clients: FederationClient[] = []
afterEach(async () => {
  received.length = 0
  await Promise.all(clients.splice(0).map((c) => c.close()))
})

const fakeDns: DnsResolver = {
  resolveSrv(name): Promise<Result<readonly SrvRecord[], string>> {
    if (name === '_matrix-fed._tcp.multi.test') {
      return Promise.resolve(
        ok([
          { name: 'dead.test', port: closedPort, priority: 1, weight: 0 },
          { name: 'alive.test', port, priority: 2, weight: 0 },
        ]),
      )
    }
    return Promise.resolve(ok([]))
  },
  lookupAddresses(hostname): Promise<Result<readonly string[], string>> {
    return Promise.resolve(ok(TEST_HOSTS.includes(hostname) ? ['127.0.0.1'] : []))
  },
}

/** Stands in for the X-Matrix signer: a header that shows exactly what it was asked to sign. */
const stubSigner: RequestSigner = ({ method, uri, destination, content }) =>
  `X-Matrix stub=${JSON.stringify({ method, uri, destination, content: content ?? null })}`

function signedWith(header: string | string[] | undefined): JsonObject {
  expect(typeof header).toBe('string')
  return JSON.parse((header as string).slice('X-Matrix stub='.length)) as JsonObject
}

const logs = captureLogs({ level: 'debug' })

async function client(
  federation: Partial<FederationConfig> = {},
  extra: Partial<CreateFederationClientOptions> = {},
): Promise<FederationClient> {
  const made = await createFederationClient({
    serverName: 'origin.test' as ServerName,
    signer: stubSigner,
    federation: {
      enabled: true,
      verifyTls: true,
      extraCaFiles: [pki.caPath],
      allowPrivateAddresses: true,
      ...federation,
    },
    logger: logs.logger,
    resolver: fakeDns,
    // Discovery of names without a port would fetch https://<name>:443; none of these tests wants it.
    fetchWellKnown: () => Promise.resolve(err('no /.well-known in this test')),
    ...extra,
  })
  if (!made.ok) throw new Error(made.error)
  clients.push(made.value)
  return made.value
}

const fed = (): ServerName => `fed.test:${port}` as ServerName

describe('FederationClient: requests', () => {
  it('sends a signed JSON request with the Host and SNI of the server name', async () => {
    const c = await client()
    const content = { pdus: [], edus: [{ edu_type: 'm.typing', content: {} }] }
    const result = await c.request(fed(), 'PUT', '/_matrix/federation/v1/send/txn1', content)
    expect(result).toEqual(
      ok({ status: 200, body: { method: 'PUT', url: '/_matrix/federation/v1/send/txn1' } }),
    )
    expect(received).toHaveLength(1)
    const [got] = received
    expect(got?.headers.host).toBe(`fed.test:${port}`)
    expect(got?.servername).toBe('fed.test')
    expect(got?.headers['content-type']).toBe('application/json')
    expect(JSON.parse(got?.body ?? '')).toEqual(content)
    expect(signedWith(got?.headers.authorization)).toEqual({
      method: 'PUT',
      uri: '/_matrix/federation/v1/send/txn1',
      destination: `fed.test:${port}`,
      content,
    })
  })

  it('signs and sends the query string, and sends {} for a POST without a body', async () => {
    const c = await client()
    const result = await c.request(
      fed(),
      'POST',
      '/_matrix/federation/v1/user/keys/query',
      undefined,
      {
        query: { limit: '10', v: ['a b', 'c&d'] },
      },
    )
    expect(result.ok).toBe(true)
    const [got] = received
    expect(got?.url).toBe('/_matrix/federation/v1/user/keys/query?limit=10&v=a%20b&v=c%26d')
    expect(got?.body).toBe('{}')
    expect(signedWith(got?.headers.authorization)).toMatchObject({
      uri: '/_matrix/federation/v1/user/keys/query?limit=10&v=a%20b&v=c%26d',
      content: {},
    })
  })

  it('sends GET without a body or a content to sign', async () => {
    const c = await client()
    await c.request(fed(), 'GET', '/_matrix/federation/v1/version')
    const [got] = received
    expect(got?.body).toBe('')
    expect(got?.headers['content-type']).toBeUndefined()
    expect(signedWith(got?.headers.authorization)).toMatchObject({ method: 'GET', content: null })
  })

  it('sends get() unsigned', async () => {
    const c = await client()
    const result = await c.get(fed(), '/_matrix/key/v2/server')
    expect(result.ok).toBe(true)
    expect(received[0]?.headers.authorization).toBeUndefined()
  })

  it('connects to an IP literal without SNI, with the certificate checked for the address', async () => {
    const c = await client()
    const result = await c.get(`127.0.0.1:${port}` as ServerName, '/_matrix/key/v2/server')
    expect(result.ok).toBe(true)
    expect(received[0]?.headers.host).toBe(`127.0.0.1:${port}`)
    expect(received[0]?.servername).toBe(false)
  })

  it('follows SRV records, trying the next target when one refuses the connection', async () => {
    const c = await client()
    const result = await c.request(
      'multi.test' as ServerName,
      'GET',
      '/_matrix/federation/v1/version',
    )
    expect(result.ok).toBe(true)
    const [got] = received
    expect(got?.headers.host).toBe('multi.test')
    expect(got?.servername).toBe('multi.test')
    expect(signedWith(got?.headers.authorization)).toMatchObject({ destination: 'multi.test' })
  })

  it('follows a /.well-known delegation, with the Host of the delegated name', async () => {
    const agent = new Agent({ connect: { ca: [pki.caPem], lookup: policyLookup(fakeDns, true) } })
    const c = await client(
      {},
      {
        fetchWellKnown: createWellKnownFetcher({
          dispatcher: agent,
          allowPrivateAddresses: true,
          port,
        }),
      },
    )
    const result = await c.request(
      'delegating.test' as ServerName,
      'GET',
      '/_matrix/federation/v1/version',
    )
    await agent.close()
    expect(result.ok).toBe(true)
    expect(received.map((r) => r.url)).toEqual([
      '/.well-known/matrix/server',
      '/_matrix/federation/v1/version',
    ])
    expect(received[1]?.headers.host).toBe(`fed.test:${port}`)
    // The signature still names the server before delegation.
    expect(signedWith(received[1]?.headers.authorization)).toMatchObject({
      destination: 'delegating.test',
    })
  })

  it('sends the SNI of each destination when two share an address and port', async () => {
    const c = await client()
    expect((await c.get(fed(), '/_matrix/key/v2/server')).ok).toBe(true)
    expect((await c.get('multi.test' as ServerName, '/_matrix/key/v2/server')).ok).toBe(true)
    expect((await c.get(fed(), '/_matrix/key/v2/server')).ok).toBe(true)
    expect(received.map((r) => [r.headers.host, r.servername])).toEqual([
      [`fed.test:${port}`, 'fed.test'],
      ['multi.test', 'multi.test'],
      [`fed.test:${port}`, 'fed.test'],
    ])
  })

  it('refuses a request to its own server name', async () => {
    const c = await client()
    const result = await c.request('origin.test' as ServerName, 'GET', '/x')
    expect(!result.ok && result.error.kind).toBe('refused')
  })

  it('refuses a path that is not an encoded absolute path, and a bad server name', async () => {
    const c = await client()
    for (const path of ['_matrix/federation/v1/version', '/a b', '/a\r\nX-Evil: 1', '/é']) {
      const result = await c.request(fed(), 'GET', path)
      expect(!result.ok && result.error.kind).toBe('refused')
    }
    for (const bad of ['', 'bad name', 'host:0', 'a/b']) {
      const result = await c.get(bad as ServerName, '/x')
      expect(!result.ok && result.error.kind).toBe('refused')
    }
    expect(received).toHaveLength(0)
  })
})

describe('FederationClient: failures', () => {
  it('returns an error status with its JSON body', async () => {
    const c = await client()
    const result = await c.request(fed(), 'GET', '/missing')
    expect(result).toEqual(
      err({
        kind: 'http',
        status: 404,
        body: { errcode: 'M_NOT_FOUND', error: 'no such thing' },
        message: '404 M_NOT_FOUND: no such thing',
      }),
    )
  })

  it('returns an error status without a JSON body with a null body', async () => {
    const c = await client()
    expect(await c.request(fed(), 'GET', '/crash')).toEqual(
      err({ kind: 'http', status: 500, body: null, message: 'status 500' }),
    )
  })

  it('maps a 2xx that is not JSON, or is too large, to an http failure', async () => {
    const c = await client({}, { maxResponseBytes: 1000 })
    const text = await c.request(fed(), 'GET', '/text')
    expect(text).toEqual(
      err({ kind: 'http', status: 200, body: null, message: 'response is not JSON' }),
    )
    const big = await c.request(fed(), 'GET', '/big')
    expect(!big.ok && big.error).toMatchObject({ kind: 'http', status: 200, body: null })
    expect(!big.ok && big.error.message).toContain('larger than 1000 bytes')
  })

  it('refuses to connect to 127.0.0.1 unless private addresses are allowed', async () => {
    const c = await client({ allowPrivateAddresses: false })
    for (const destination of [fed(), `127.0.0.1:${port}`]) {
      const result = await c.request(
        destination as ServerName,
        'GET',
        '/_matrix/federation/v1/version',
      )
      expect(!result.ok && result.error.kind).toBe('refused')
    }
    expect(received).toHaveLength(0)
  })

  it('fails TLS against a CA it does not trust', async () => {
    const c = await client({ extraCaFiles: [] })
    const result = await c.request(fed(), 'GET', '/_matrix/federation/v1/version')
    expect(!result.ok && result.error.kind).toBe('unreachable')
    expect(!result.ok && result.error.message).toMatch(/certificate/i)
    expect(received).toHaveLength(0)
  })

  it('fails TLS when the certificate is not for the name', async () => {
    const dns: DnsResolver = {
      resolveSrv: (name) => fakeDns.resolveSrv(name),
      lookupAddresses: () => Promise.resolve(ok(['127.0.0.1'])),
    }
    const c = await client({}, { resolver: dns })
    const result = await c.request(`other.test:${port}` as ServerName, 'GET', '/x')
    expect(!result.ok && result.error.kind).toBe('unreachable')
    expect(!result.ok && result.error.message).toMatch(/altnames|other\.test/i)
    expect(received).toHaveLength(0)
  })

  it('connects without verification when verify_tls is off, and says so once', async () => {
    const before = logs.entries().length
    const c = await client({ extraCaFiles: [], verifyTls: false })
    const warnings = logs
      .entries()
      .slice(before)
      .filter((e) => String(e['msg']).includes('verify_tls'))
    expect(warnings).toHaveLength(1)
    expect((await c.request(fed(), 'GET', '/x')).ok).toBe(true)
    expect((await c.request(fed(), 'GET', '/y')).ok).toBe(true)
    expect(
      logs
        .entries()
        .slice(before)
        .filter((e) => String(e['msg']).includes('verify_tls')),
    ).toHaveLength(1)
  })

  it('gives up at the timeout', async () => {
    const c = await client({}, { timeoutMs: 5000 })
    const started = Date.now()
    const result = await c.request(fed(), 'GET', '/slow', undefined, { timeoutMs: 300 })
    expect(Date.now() - started).toBeLessThan(2500)
    expect(result).toEqual(err({ kind: 'unreachable', message: 'no response within 300 ms' }))
  })

  it('applies the default timeout of the client', async () => {
    const c = await client({}, { timeoutMs: 300 })
    const result = await c.request(fed(), 'GET', '/slow')
    expect(result).toEqual(err({ kind: 'unreachable', message: 'no response within 300 ms' }))
  })

  it('stops when the caller aborts', async () => {
    const c = await client()
    const controller = new AbortController()
    setTimeout(() => {
      controller.abort()
    }, 100).unref()
    const result = await c.request(fed(), 'GET', '/slow', undefined, { signal: controller.signal })
    expect(result).toEqual(err({ kind: 'unreachable', message: 'the request was cancelled' }))
  })

  it('is unreachable when the name does not resolve or nothing listens', async () => {
    const c = await client()
    const unknown = await c.request('unknown.test:8448' as ServerName, 'GET', '/x')
    expect(!unknown.ok && unknown.error.kind).toBe('unreachable')
    const closed = await c.request(`fed.test:${closedPort}` as ServerName, 'GET', '/x')
    expect(!closed.ok && closed.error.kind).toBe('unreachable')
  })
})

describe('createFederationClient: extra_ca_files', () => {
  it('fails to start on a file that cannot be read or holds no certificate', async () => {
    const base = {
      serverName: 'origin.test' as ServerName,
      signer: stubSigner,
      logger: logs.logger,
    }
    const federation = { enabled: true, verifyTls: true, allowPrivateAddresses: false }
    const missing = await createFederationClient({
      ...base,
      federation: { ...federation, extraCaFiles: [`${pki.dir}/missing.pem`] },
    })
    expect(!missing.ok && missing.error).toContain('cannot read')
    const junkPath = `${pki.dir}/junk.pem`
    writeFileSync(junkPath, 'not a certificate')
    const junk = await createFederationClient({
      ...base,
      federation: { ...federation, extraCaFiles: [junkPath] },
    })
    expect(!junk.ok && junk.error).toContain('no PEM certificate')
  })
})

describe('createWellKnownFetcher', () => {
  const agents: Agent[] = []
  afterAll(() => Promise.all(agents.map((a) => a.close())))

  function fetcher(allowPrivateAddresses = true): WellKnownFetcher {
    const agent = new Agent({
      connect: { ca: [pki.caPem], lookup: policyLookup(fakeDns, allowPrivateAddresses) },
    })
    agents.push(agent)
    return createWellKnownFetcher({ dispatcher: agent, allowPrivateAddresses, port })
  }

  it('fetches the file with its caching headers, with SNI the hostname', async () => {
    const result = await fetcher()('fed.test')
    expect(result).toEqual(
      ok({
        status: 200,
        body: JSON.stringify({ 'm.server': `fed.test:${port}` }),
        cacheControl: 'max-age=600',
        date: expect.any(String) as string,
      }),
    )
    expect(received[0]?.servername).toBe('fed.test')
    expect(received[0]?.headers.host).toBe(`fed.test:${port}`)
  })

  it('follows redirects to other hosts, up to the limit', async () => {
    const result = await fetcher()('hops.test')
    expect(result.ok && result.value.status).toBe(200)
    expect(received.map((r) => `${String(r.headers.host)}${r.url}`)).toEqual([
      `hops.test:${port}/.well-known/matrix/server`,
      `fed.test:${port}/hop/3`,
      `fed.test:${port}/hop/2`,
      `fed.test:${port}/hop/1`,
      `fed.test:${port}/hop/0`,
      `fed.test:${port}/.well-known/matrix/server`,
    ])
  })

  it('stops at a loop, at too many redirects, and at a redirect away from https', async () => {
    const f = fetcher()
    expect(await f('loop.test')).toEqual(err('redirect loop'))
    expect(await f('toomany.test')).toEqual(err('too many redirects'))
    expect(await f('plain.test')).toEqual(err('redirect away from https'))
  })

  it('returns a non-200 status for discovery to skip', async () => {
    expect(await fetcher()('missing.test')).toEqual(ok({ status: 404, body: '' }))
  })

  it('does not connect to a private address unless allowed', async () => {
    const result = await fetcher(false)('fed.test')
    expect(result.ok).toBe(false)
    expect(!result.ok && result.error).toContain('may connect to')
    expect(received).toHaveLength(0)
  })
})

import { err, ok, parseUserId } from '@rhizome/core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RateLimitingConfig } from '../config/config.js'
import { createMemoryRateLimiter } from '../rate-limit/memory-rate-limiter.js'
import { expectMatchesSpec } from '../testing/openapi-spec.js'
import { startTestServer, type TestServer } from '../testing/test-server.js'
import type { Authenticate } from './authenticate.js'
import { CORS_HEADERS } from './cors.js'
import { clientV3Paths, defineEndpoint, handle, type Route } from './endpoint.js'
import { badJson, serverError, unknownToken } from './errors.js'

const alice = parseUserId('@alice:test.example')
if (!alice.ok) throw new Error('bad fixture')
const ALICE = alice.value
const SECRET_TOKEN = 'syt_c2VjcmV0_tokenvalue'
const SECRET_PASSWORD = 'hunter2-password-value'

const authenticate: Authenticate = (token) => {
  if (token === SECRET_TOKEN) {
    return Promise.resolve(ok({ userId: ALICE, deviceId: 'DEV', isGuest: false }))
  }
  if (token === 'expired') return Promise.resolve(err(unknownToken('Token expired', true)))
  return Promise.resolve(err(unknownToken()))
}

interface TestServices {
  readonly greeting: string
}

const parseName = (raw: string) =>
  raw === 'bad' ? err(serverError('M_INVALID_PARAM', 'bad name')) : ok(raw.toUpperCase())

const echo = handle(
  defineEndpoint({
    method: 'POST',
    paths: clientV3Paths('/test/echo/:name'),
    auth: 'none',
    params: { name: parseName },
    body: (json) =>
      typeof json['n'] === 'number' || !('n' in json)
        ? ok(json)
        : err(badJson('n must be a number')),
  }),
  ({ params, body }, { greeting }: TestServices) =>
    Promise.resolve(ok({ greeting, name: params.name, body })),
)

const whoami = handle(
  defineEndpoint({ method: 'GET', paths: ['/_matrix/client/v3/test/whoami'], auth: 'required' }),
  ({ requester }) =>
    Promise.resolve(ok({ user_id: requester.userId, device_id: requester.deviceId })),
)

const maybe = handle(
  defineEndpoint({ method: 'GET', paths: ['/_matrix/client/v3/test/maybe'], auth: 'optional' }),
  ({ requester }) => Promise.resolve(ok({ user_id: requester?.userId ?? null })),
)

const login = handle(
  defineEndpoint({
    method: 'POST',
    paths: ['/_matrix/client/v3/test/login'],
    auth: 'none',
    rateLimit: 'login',
    body: (json) => ok(json),
    emptyBody: 'empty-object',
  }),
  () => Promise.resolve(ok({})),
)

const send = handle(
  defineEndpoint({
    method: 'PUT',
    paths: ['/_matrix/client/v3/test/send/:txnId'],
    auth: 'required',
    rateLimit: 'message',
    params: { txnId: (raw: string) => ok(raw) },
  }),
  ({ params }) => Promise.resolve(ok({ txn_id: params.txnId })),
)

const boom = handle(
  defineEndpoint({ method: 'GET', paths: ['/_matrix/client/v3/test/boom'], auth: 'none' }),
  () => Promise.reject(new Error('the handler broke')),
)

const routes: readonly Route<TestServices>[] = [echo, whoami, maybe, login, send, boom]

const rateLimits: RateLimitingConfig = {
  enabled: true,
  rules: {
    login: { perSecond: 0.001, burstCount: 2 },
    registration: { perSecond: 1, burstCount: 1 },
    message: { perSecond: 0.001, burstCount: 1 },
    report: { perSecond: 1, burstCount: 1 },
  },
}

let server: TestServer

beforeAll(async () => {
  server = await startTestServer({
    routes,
    services: { greeting: 'hello' },
    authenticate,
    rateLimiter: createMemoryRateLimiter(rateLimits),
    maxBodySize: 4096,
  })
})

afterAll(async () => {
  await server.close()
})

function post(path: string, body: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(server.url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  })
}

function expectCors(response: Response): void {
  for (const [name, value] of Object.entries(CORS_HEADERS)) {
    expect(response.headers.get(name)).toBe(value)
  }
}

async function expectError(
  response: Response,
  status: number,
  errcode: string,
): Promise<Record<string, unknown>> {
  expect(response.status).toBe(status)
  expect(response.headers.get('content-type')).toMatch(/^application\/json/)
  const body = (await response.json()) as Record<string, unknown>
  expect(body['errcode']).toBe(errcode)
  expect(typeof body['error']).toBe('string')
  expectCors(response)
  return body
}

describe('routing', () => {
  it('serves an endpoint under both r0 and v3, with typed params and body', async () => {
    for (const version of ['v3', 'r0']) {
      const response = await post(`/_matrix/client/${version}/test/echo/bob`, '{"n":1}')
      expect(response.status).toBe(200)
      expect(await response.json()).toEqual({ greeting: 'hello', name: 'BOB', body: { n: 1 } })
      expectCors(response)
    }
  })

  it('takes path parameters far longer than 100 characters (percent-encoded IDs)', async () => {
    const id = '@' + 'x'.repeat(600) + ':example.org'
    const response = await post(`/_matrix/client/v3/test/echo/${encodeURIComponent(id)}`, '{}')
    expect(response.status).toBe(200)
    expect(((await response.json()) as { name: string }).name).toBe(id.toUpperCase())
  })

  it("answers a bad path parameter with the parser's error", async () => {
    await expectError(await post('/_matrix/client/v3/test/echo/bad', '{}'), 400, 'M_INVALID_PARAM')
  })

  it('answers an unknown path with 404 M_UNRECOGNIZED', async () => {
    await expectError(
      await fetch(`${server.url}/_matrix/client/v3/nothing/here`),
      404,
      'M_UNRECOGNIZED',
    )
    await expectError(await fetch(`${server.url}/`), 404, 'M_UNRECOGNIZED')
  })

  it('answers a known path with the wrong method with 405 M_UNRECOGNIZED and Allow', async () => {
    const response = await fetch(`${server.url}/_matrix/client/v3/test/echo/bob`, { method: 'GET' })
    await expectError(response, 405, 'M_UNRECOGNIZED')
    expect(response.headers.get('allow')).toBe('POST, OPTIONS')
    const del = await fetch(`${server.url}/_matrix/client/v3/test/whoami`, { method: 'DELETE' })
    await expectError(del, 405, 'M_UNRECOGNIZED')
    expect(del.headers.get('allow')).toBe('GET, HEAD, OPTIONS')
    await expectError(
      await fetch(`${server.url}/_matrix/client/r0/test/echo/x`, { method: 'PATCH' }),
      405,
      'M_UNRECOGNIZED',
    )
  })

  it('answers a URL that cannot be decoded with 400 and the CORS headers', async () => {
    const body = await expectError(
      await fetch(`${server.url}/_matrix/client/v3/test/echo/%zz`, { method: 'POST' }),
      400,
      'M_UNKNOWN',
    )
    expect(String(body['error'])).toMatch(/not a valid url/)
  })

  it('turns a handler that throws into 500 M_UNKNOWN, logged under the request ID', async () => {
    const body = await expectError(
      await fetch(`${server.url}/_matrix/client/v3/test/boom`),
      500,
      'M_UNKNOWN',
    )
    const id = /request (\S+)\)/.exec(String(body['error']))?.[1]
    expect(id).toBeDefined()
    const logged = server.logs.entries().find((e) => e['msg'] === 'unhandled error')
    expect(logged?.['request_id']).toBe(id)
    expect(JSON.stringify(logged)).toContain('the handler broke')
    expect(String(body['error'])).not.toContain('the handler broke')
    // The server is still up.
    expect((await post('/_matrix/client/v3/test/echo/ok', '{}')).status).toBe(200)
  })
})

describe('CORS', () => {
  it('answers any OPTIONS request with 204 and the CORS headers, without running the endpoint', async () => {
    const failures = () =>
      server.logs.entries().filter((e) => e['msg'] === 'unhandled error').length
    const before = failures()
    for (const path of [
      '/_matrix/client/v3/test/boom',
      '/_matrix/client/v3/test/whoami',
      '/unknown/path',
    ]) {
      const response = await fetch(server.url + path, {
        method: 'OPTIONS',
        headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' },
      })
      expect(response.status).toBe(204)
      expectCors(response)
      expect(await response.text()).toBe('')
    }
    expect(failures()).toBe(before)
  })

  it('adds the headers to errors too', async () => {
    await expectError(
      await fetch(`${server.url}/_matrix/client/v3/test/whoami`),
      401,
      'M_MISSING_TOKEN',
    )
  })
})

describe('JSON bodies', () => {
  const path = '/_matrix/client/v3/test/echo/bob'

  it('refuses text that is not JSON with M_NOT_JSON', async () => {
    await expectError(await post(path, '{"n":'), 400, 'M_NOT_JSON')
    await expectError(await post(path, 'hello'), 400, 'M_NOT_JSON')
    await expectError(await post(path, ''), 400, 'M_NOT_JSON')
  })

  it('refuses bytes that are not UTF-8 with M_NOT_JSON', async () => {
    const response = await fetch(server.url + path, {
      method: 'POST',
      body: new Uint8Array([0x7b, 0xff, 0x7d]),
    })
    await expectError(response, 400, 'M_NOT_JSON')
  })

  it('refuses JSON it cannot represent faithfully with M_BAD_JSON', async () => {
    await expectError(await post(path, `{"n":${2 ** 60}}`), 400, 'M_BAD_JSON')
    await expectError(await post(path, '{"n":1,"n":2}'), 400, 'M_BAD_JSON')
    await expectError(await post(path, '{"s":"\\ud800"}'), 400, 'M_BAD_JSON')
    await expectError(await post(path, '['.repeat(200) + ']'.repeat(200)), 400, 'M_BAD_JSON')
  })

  it('refuses JSON that is not an object with M_BAD_JSON', async () => {
    await expectError(await post(path, '[1]'), 400, 'M_BAD_JSON')
    await expectError(await post(path, '"text"'), 400, 'M_BAD_JSON')
  })

  it("passes the endpoint's own body check", async () => {
    const body = await expectError(await post(path, '{"n":"one"}'), 400, 'M_BAD_JSON')
    expect(body['error']).toBe('n must be a number')
  })

  it('reads the body whatever the Content-Type says', async () => {
    for (const type of ['text/plain', 'application/octet-stream']) {
      const response = await fetch(server.url + path, {
        method: 'POST',
        headers: { 'content-type': type },
        body: '{"n":2}',
      })
      expect(response.status).toBe(200)
    }
    const none = await fetch(server.url + path, {
      method: 'POST',
      body: new Uint8Array(Buffer.from('{"n":3}')),
    })
    expect(none.status).toBe(200)
  })

  it('takes a missing body as {} where the endpoint allows it', async () => {
    const response = await fetch(`${server.url}/_matrix/client/v3/test/login`, {
      method: 'POST',
      headers: { 'x-forwarded-for': '10.9.9.9' },
    })
    expect(response.status).toBe(200)
  })

  it('refuses a body over the limit with 413 M_TOO_LARGE', async () => {
    const big = JSON.stringify({ n: 1, pad: 'x'.repeat(5000) })
    await expectError(await post(path, big), 413, 'M_TOO_LARGE')
  })
})

describe('access tokens', () => {
  const whoamiUrl = () => `${server.url}/_matrix/client/v3/test/whoami`

  it('accepts the Authorization header and the access_token parameter', async () => {
    const byHeader = await fetch(whoamiUrl(), {
      headers: { authorization: `Bearer ${SECRET_TOKEN}` },
    })
    expect(await byHeader.json()).toEqual({ user_id: ALICE, device_id: 'DEV' })
    const byQuery = await fetch(`${whoamiUrl()}?access_token=${SECRET_TOKEN}`)
    expect(await byQuery.json()).toEqual({ user_id: ALICE, device_id: 'DEV' })
  })

  it('answers M_MISSING_TOKEN without one, M_UNKNOWN_TOKEN with a bad one', async () => {
    await expectError(await fetch(whoamiUrl()), 401, 'M_MISSING_TOKEN')
    const unknown = await expectError(
      await fetch(whoamiUrl(), { headers: { authorization: 'Bearer nope' } }),
      401,
      'M_UNKNOWN_TOKEN',
    )
    expect(unknown['soft_logout']).toBe(false)
    const expired = await expectError(
      await fetch(whoamiUrl(), { headers: { authorization: 'Bearer expired' } }),
      401,
      'M_UNKNOWN_TOKEN',
    )
    expect(expired['soft_logout']).toBe(true)
    expectMatchesSpec(
      'client-server',
      'whoami.yaml',
      'GET',
      '/_matrix/client/v3/account/whoami',
      401,
      unknown,
    )
  })

  it('uses a token on optional endpoints only when one is given', async () => {
    expect(await (await fetch(`${server.url}/_matrix/client/v3/test/maybe`)).json()).toEqual({
      user_id: null,
    })
    const withToken = await fetch(`${server.url}/_matrix/client/v3/test/maybe`, {
      headers: { authorization: `Bearer ${SECRET_TOKEN}` },
    })
    expect(await withToken.json()).toEqual({ user_id: ALICE })
    await expectError(
      await fetch(`${server.url}/_matrix/client/v3/test/maybe?access_token=nope`),
      401,
      'M_UNKNOWN_TOKEN',
    )
  })
})

describe('rate limiting', () => {
  let limited: TestServer
  beforeAll(async () => {
    limited = await startTestServer({
      routes,
      services: { greeting: 'hi' },
      authenticate,
      rateLimiter: createMemoryRateLimiter(rateLimits),
    })
  })
  afterAll(async () => {
    await limited.close()
  })

  it('answers 429 M_LIMIT_EXCEEDED with retry_after_ms and Retry-After once the burst is spent', async () => {
    const attempt = () =>
      fetch(`${limited.url}/_matrix/client/v3/test/login`, { method: 'POST', body: '{}' })
    expect((await attempt()).status).toBe(200)
    expect((await attempt()).status).toBe(200)
    const refused = await attempt()
    const body = await expectError(refused, 429, 'M_LIMIT_EXCEEDED')
    expect(body['retry_after_ms']).toBeGreaterThan(0)
    expect(Number(refused.headers.get('retry-after'))).toBe(
      Math.ceil(Number(body['retry_after_ms']) / 1000),
    )
    expectMatchesSpec('client-server', 'login.yaml', 'POST', '/_matrix/client/v3/login', 429, body)
  })

  it('counts authenticated requests per user', async () => {
    const send = (txn: string, token: string) =>
      fetch(`${limited.url}/_matrix/client/v3/test/send/${txn}`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${token}` },
      })
    expect((await send('a', SECRET_TOKEN)).status).toBe(200)
    await expectError(await send('b', SECRET_TOKEN), 429, 'M_LIMIT_EXCEEDED')
  })

  it('refuses a request without its token before counting it', async () => {
    await expectError(
      await fetch(`${limited.url}/_matrix/client/v3/test/send/c`, { method: 'PUT' }),
      401,
      'M_MISSING_TOKEN',
    )
  })
})

describe('request logs', () => {
  it('log each request without tokens, passwords or bodies', async () => {
    await fetch(`${server.url}/_matrix/client/v3/test/whoami?access_token=${SECRET_TOKEN}`)
    await fetch(`${server.url}/_matrix/client/v3/test/whoami`, {
      headers: { authorization: `Bearer ${SECRET_TOKEN}` },
    })
    await fetch(`${server.url}/unknown?access_token=${SECRET_TOKEN}&x=1`)
    await post('/_matrix/client/v3/test/echo/bob', JSON.stringify({ password: SECRET_PASSWORD }))
    await fetch(`${server.url}/_matrix/client/v3/test/boom?access_token=${SECRET_TOKEN}`)
    const text = server.logs.text()
    expect(text).not.toContain(SECRET_TOKEN)
    expect(text).not.toContain(SECRET_PASSWORD)
    const urls = server.logs
      .entries()
      .filter((e) => e['msg'] === 'request')
      .map((e) => e['url'])
    expect(urls).toContain('/_matrix/client/v3/test/whoami?access_token=[redacted]')
    expect(urls).toContain('/unknown?access_token=[redacted]&x=1')
    const line = server.logs.entries().find((e) => e['msg'] === 'request')
    expect(typeof line?.['method']).toBe('string')
    expect(typeof line?.['status']).toBe('number')
    expect(line?.['ip']).toBe('127.0.0.1')
    expect(typeof line?.['request_id']).toBe('string')
  })
})

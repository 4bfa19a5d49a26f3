import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  startAccountTestServer,
  type AccountTestServer,
} from '../../testing/account-test-server.js'
import { createMemoryRateLimiter } from '../../rate-limit/memory-rate-limiter.js'
import { expectMatchesSpec } from '../../testing/openapi-spec.js'

const LOGIN = '/_matrix/client/v3/login'

let t: AccountTestServer
beforeAll(async () => {
  t = await startAccountTestServer({ config: { public_baseurl: 'https://matrix.example.org/' } })
  await t.register('alice', 'wonderland')
})
afterAll(async () => {
  await t.close()
})

function passwordLogin(user: unknown, password: unknown, extra: Record<string, unknown> = {}) {
  return t.call('POST', LOGIN, {
    body: { type: 'm.login.password', identifier: { type: 'm.id.user', user }, password, ...extra },
  })
}

describe('GET /login', () => {
  it('offers password login only, on v3 and r0', async () => {
    for (const path of [LOGIN, '/_matrix/client/r0/login']) {
      const { status, body } = await t.call('GET', path)
      expect(status).toBe(200)
      expect(body).toEqual({ flows: [{ type: 'm.login.password' }] })
      expectMatchesSpec('client-server', 'login.yaml', 'GET', LOGIN, 200, body)
    }
  })
})

describe('POST /login', () => {
  it('logs in with a localpart and returns a token, a device and well_known', async () => {
    const { status, body } = await passwordLogin('alice', 'wonderland')
    expect(status).toBe(200)
    expectMatchesSpec('client-server', 'login.yaml', 'POST', LOGIN, 200, body)
    expect(body['user_id']).toBe('@alice:example.org')
    expect(body['home_server']).toBe('example.org')
    expect(body['access_token']).toMatch(/^rhz_[A-Za-z0-9_-]{43}$/)
    expect(body['device_id']).toMatch(/^[A-Z]{10}$/)
    expect(body['well_known']).toEqual({
      'm.homeserver': { base_url: 'https://matrix.example.org/' },
    })
    expect(body).not.toHaveProperty('refresh_token')
    expect(body).not.toHaveProperty('expires_in_ms')
    const whoami = await t.call('GET', '/_matrix/client/v3/account/whoami', {
      token: String(body['access_token']),
    })
    expect(whoami.body).toEqual({
      user_id: '@alice:example.org',
      device_id: body['device_id'],
      is_guest: false,
    })
  })

  it('accepts a full user ID, other letter cases, and the deprecated user field', async () => {
    for (const user of ['@alice:example.org', 'ALICE', '@Alice:example.org']) {
      expect((await passwordLogin(user, 'wonderland')).status, user).toBe(200)
    }
    const legacy = await t.call('POST', LOGIN, {
      body: { type: 'm.login.password', user: 'alice', password: 'wonderland' },
    })
    expect(legacy.status).toBe(200)
    expect(legacy.body['user_id']).toBe('@alice:example.org')
  })

  it('gives each login its own device unless the client names one, and keeps its name', async () => {
    const a = await t.login('alice', 'wonderland')
    const b = await t.login('alice', 'wonderland')
    expect(a.deviceId).not.toBe(b.deviceId)
    const named = await t.login('alice', 'wonderland', {
      device_id: 'MYPHONE',
      initial_device_display_name: 'Phone',
      refresh_token: true,
    })
    expect(named.deviceId).toBe('MYPHONE')
    const again = await t.login('alice', 'wonderland', {
      device_id: 'MYPHONE',
      initial_device_display_name: 'Ignored for a known device',
    })
    expect(again.deviceId).toBe('MYPHONE')
    // The device's earlier token is replaced by the new one.
    const oldToken = await t.call('GET', '/_matrix/client/v3/account/whoami', {
      token: named.accessToken,
    })
    expect(oldToken.status).toBe(401)
    const device = await t.call('GET', '/_matrix/client/v3/devices/MYPHONE', {
      token: again.accessToken,
    })
    expect(device.body).toMatchObject({ device_id: 'MYPHONE', display_name: 'Phone' })
    expect(device.body['last_seen_ip']).toBe('127.0.0.1')
    expect(typeof device.body['last_seen_ts']).toBe('number')
  })

  it('answers a wrong password and an unknown user alike: 403 M_FORBIDDEN', async () => {
    const wrong = await passwordLogin('alice', 'wonderlan')
    const unknown = await passwordLogin('nobody', 'wonderland')
    const otherServer = await passwordLogin('@alice:other.org', 'wonderland')
    for (const response of [wrong, unknown, otherServer]) {
      expect(response.status).toBe(403)
      expect(response.body).toEqual({
        errcode: 'M_FORBIDDEN',
        error: 'Invalid username or password',
      })
      expectMatchesSpec('client-server', 'login.yaml', 'POST', LOGIN, 403, response.body)
    }
  })

  it('answers 403 for third-party identifiers, which are never bound here', async () => {
    const response = await t.call('POST', LOGIN, {
      body: {
        type: 'm.login.password',
        identifier: { type: 'm.id.thirdparty', medium: 'email', address: 'alice@example.org' },
        password: 'wonderland',
      },
    })
    expect(response.status).toBe(403)
    expect(response.body['errcode']).toBe('M_FORBIDDEN')
  })

  it('answers M_USER_DEACTIVATED for a deactivated account', async () => {
    const carol = await t.register('carol', 'secret')
    expect((await passwordLogin('carol', 'secret')).status).toBe(200)
    await t.stores.accounts.deactivate(carol.userId)
    const response = await passwordLogin('carol', 'secret')
    expect(response.status).toBe(403)
    expect(response.body['errcode']).toBe('M_USER_DEACTIVATED')
    expectMatchesSpec('client-server', 'login.yaml', 'POST', LOGIN, 403, response.body)
  })

  it('rejects unsupported types and malformed bodies with 400', async () => {
    const cases: [unknown, string][] = [
      [{ type: 'm.login.token', token: 'abc' }, 'M_UNKNOWN'],
      [{ identifier: { type: 'm.id.user', user: 'alice' }, password: 'x' }, 'M_MISSING_PARAM'],
      [{ type: 5, password: 'x' }, 'M_BAD_JSON'],
      [
        { type: 'm.login.password', identifier: { type: 'm.id.user', user: 'alice' } },
        'M_MISSING_PARAM',
      ],
      [{ type: 'm.login.password', user: 'alice', password: 7 }, 'M_BAD_JSON'],
      [{ type: 'm.login.password', password: 'x' }, 'M_MISSING_PARAM'],
      [{ type: 'm.login.password', identifier: { type: 'm.id.nope' }, password: 'x' }, 'M_UNKNOWN'],
      [
        { type: 'm.login.password', user: 'alice', password: 'x', device_id: '' },
        'M_INVALID_PARAM',
      ],
      [
        { type: 'm.login.password', user: 'alice', password: 'x', device_id: 'A\nB' },
        'M_INVALID_PARAM',
      ],
      [
        { type: 'm.login.password', user: 'alice', password: 'x', device_id: 'x'.repeat(256) },
        'M_INVALID_PARAM',
      ],
      [
        {
          type: 'm.login.password',
          user: 'alice',
          password: 'x',
          initial_device_display_name: 'n'.repeat(101),
        },
        'M_INVALID_PARAM',
      ],
      [
        { type: 'm.login.password', user: 'alice', password: 'x', refresh_token: 'yes' },
        'M_BAD_JSON',
      ],
      [{ type: 'm.login.password', user: 'alice', password: 'x'.repeat(513) }, 'M_INVALID_PARAM'],
    ]
    for (const [body, errcode] of cases) {
      const response = await t.call('POST', LOGIN, { body })
      expect(response.status, JSON.stringify(body)).toBe(400)
      expect(response.body['errcode'], JSON.stringify(body)).toBe(errcode)
    }
    const notJson = await t.call('POST', LOGIN, { raw: '{"type":' })
    expect(notJson.body['errcode']).toBe('M_NOT_JSON')
  })

  it('never writes the password or the token to the log', async () => {
    const { body } = await passwordLogin('alice', 'wonderland')
    await passwordLogin('alice', 'a-wrong-password')
    const logs = t.server.logs.text()
    expect(logs).toContain('/_matrix/client/v3/login')
    expect(logs).not.toContain('wonderland')
    expect(logs).not.toContain('a-wrong-password')
    expect(logs).not.toContain(String(body['access_token']))
  })
})

describe('POST /login rate limit', () => {
  it('counts attempts per client address with the configured login limit', async () => {
    const limited = await startAccountTestServer({
      rateLimiter: createMemoryRateLimiter({
        enabled: true,
        rules: {
          login: { perSecond: 0.001, burstCount: 2 },
          registration: { perSecond: 1, burstCount: 100 },
          message: { perSecond: 1, burstCount: 1 },
          report: { perSecond: 1, burstCount: 1 },
        },
      }),
    })
    try {
      await limited.register('dave', 'pw')
      const attempt = () =>
        limited.call('POST', LOGIN, {
          body: { type: 'm.login.password', user: 'dave', password: 'pw' },
        })
      expect((await attempt()).status).toBe(200)
      expect((await attempt()).status).toBe(200)
      const third = await attempt()
      expect(third.status).toBe(429)
      expect(third.body['errcode']).toBe('M_LIMIT_EXCEEDED')
      expectMatchesSpec('client-server', 'login.yaml', 'POST', LOGIN, 429, third.body)
    } finally {
      await limited.close()
    }
  })
})

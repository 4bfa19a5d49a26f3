import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  startAccountTestServer,
  type AccountTestServer,
} from '../../testing/account-test-server.js'
import { createMemoryRateLimiter } from '../../rate-limit/memory-rate-limiter.js'
import { expectMatchesSpec } from '../../testing/openapi-spec.js'

const REGISTER = '/_matrix/client/v3/register'

function spec(status: number, body: unknown): void {
  expectMatchesSpec('client-server', 'registration.yaml', 'POST', REGISTER, status, body)
}

let open: AccountTestServer
let tokens: AccountTestServer
let closed: AccountTestServer
beforeAll(async () => {
  open = await startAccountTestServer()
  tokens = await startAccountTestServer({
    config: { registration: { enabled: true, registration_token_required: true } },
  })
  closed = await startAccountTestServer({ config: { registration: { enabled: false } } })
})
afterAll(async () => {
  await Promise.all([open.close(), tokens.close(), closed.close()])
})

describe('POST /register with open registration', () => {
  it('asks for m.login.dummy first, then registers and logs in', async () => {
    const first = await open.call('POST', REGISTER, {
      body: { username: 'alice', password: 'pw', initial_device_display_name: 'Laptop' },
    })
    expect(first.status).toBe(401)
    spec(401, first.body)
    expect(first.body).toEqual({
      flows: [{ stages: ['m.login.dummy'] }],
      params: {},
      session: expect.any(String) as unknown,
    })
    const session = first.body['session']
    const done = await open.call('POST', REGISTER, {
      body: {
        username: 'alice',
        password: 'pw',
        initial_device_display_name: 'Laptop',
        auth: { type: 'm.login.dummy', session },
      },
    })
    expect(done.status).toBe(200)
    spec(200, done.body)
    expect(done.body).toEqual({
      user_id: '@alice:example.org',
      home_server: 'example.org',
      access_token: expect.stringMatching(/^rhz_/) as unknown,
      device_id: expect.stringMatching(/^[A-Z]{10}$/) as unknown,
    })
    const devices = await open.call('GET', '/_matrix/client/v3/devices', {
      token: String(done.body['access_token']),
    })
    expect(devices.body['devices']).toMatchObject([{ display_name: 'Laptop' }])
    // The session is used up: replaying it does not register again.
    const replay = await open.call('POST', REGISTER, {
      body: { username: 'alice2', password: 'pw', auth: { type: 'm.login.dummy', session } },
    })
    expect(replay.status).toBe(400)
    expect(replay.body['errcode']).toBe('M_UNKNOWN')
  })

  it('stores a scrypt hash of the password, never the password', async () => {
    const bob = await open.register('bob', 'a very secret password')
    const user = await open.stores.accounts.getUser(bob.userId)
    expect(user?.passwordHash).toMatch(/^scrypt\$\d+\$8\$1\$/)
    expect(user?.passwordHash).not.toContain('a very secret password')
    expect(open.server.logs.text()).not.toContain('a very secret password')
    expect(open.server.logs.text()).not.toContain(bob.accessToken)
  })

  it('accepts a dummy stage on the first request without a session', async () => {
    const response = await open.call('POST', REGISTER, {
      body: { username: 'carol', password: 'pw', auth: { type: 'm.login.dummy' } },
    })
    expect(response.status).toBe(200)
    expect(response.body['user_id']).toBe('@carol:example.org')
  })

  it('uses the client device ID, honours inhibit_login, and downcases the username', async () => {
    const withDevice = await open.register('dan', 'pw', { device_id: 'DANSPHONE' })
    expect(withDevice.deviceId).toBe('DANSPHONE')

    const first = await open.call('POST', REGISTER, {
      body: { username: 'Erin-UPPER', password: 'pw' },
    })
    const inhibited = await open.call('POST', REGISTER, {
      body: {
        username: 'Erin-UPPER',
        password: 'pw',
        inhibit_login: true,
        refresh_token: true,
        auth: { type: 'm.login.dummy', session: first.body['session'] },
      },
    })
    expect(inhibited.status).toBe(200)
    spec(200, inhibited.body)
    expect(inhibited.body).toEqual({
      user_id: '@erin-upper:example.org',
      home_server: 'example.org',
    })
    expect((await open.login('erin-upper', 'pw')).userId).toBe('@erin-upper:example.org')
  })

  it('makes up a localpart when the client names none, and allows no password', async () => {
    const first = await open.call('POST', REGISTER, { body: {} })
    const done = await open.call('POST', REGISTER, {
      body: { auth: { type: 'm.login.dummy', session: first.body['session'] } },
    })
    expect(done.status).toBe(200)
    expect(done.body['user_id']).toMatch(/^@[a-z0-9]{12}:example\.org$/)
  })

  it('answers M_USER_IN_USE and M_INVALID_USERNAME before interactive auth', async () => {
    await open.register('frank', 'pw')
    const cases: [Record<string, unknown>, string][] = [
      [{ username: 'frank', password: 'pw' }, 'M_USER_IN_USE'],
      [{ username: 'FRANK', password: 'pw' }, 'M_USER_IN_USE'],
      [{ username: 'fr ank', password: 'pw' }, 'M_INVALID_USERNAME'],
      [{ username: 'frank:x', password: 'pw' }, 'M_INVALID_USERNAME'],
      [{ username: 'frånk', password: 'pw' }, 'M_INVALID_USERNAME'],
      [{ username: '', password: 'pw' }, 'M_INVALID_USERNAME'],
      [{ username: 'f'.repeat(243), password: 'pw' }, 'M_INVALID_USERNAME'],
    ]
    for (const [body, errcode] of cases) {
      const response = await open.call('POST', REGISTER, { body })
      expect(response.status, JSON.stringify(body)).toBe(400)
      expect(response.body['errcode'], JSON.stringify(body)).toBe(errcode)
      spec(400, response.body)
    }
  })

  it('checks the username again after interactive auth', async () => {
    const first = await open.call('POST', REGISTER, { body: { username: 'gina', password: 'pw' } })
    await open.register('gina', 'pw')
    const late = await open.call('POST', REGISTER, {
      body: {
        username: 'gina',
        password: 'pw',
        auth: { type: 'm.login.dummy', session: first.body['session'] },
      },
    })
    expect(late.status).toBe(400)
    expect(late.body['errcode']).toBe('M_USER_IN_USE')
  })

  it('rejects bad bodies, an empty password and an unknown kind', async () => {
    const cases: [string, Record<string, unknown>, string][] = [
      [REGISTER, { username: 5 }, 'M_BAD_JSON'],
      [REGISTER, { username: 'h', password: ['pw'] }, 'M_BAD_JSON'],
      [REGISTER, { username: 'h', password: '' }, 'M_WEAK_PASSWORD'],
      [REGISTER, { username: 'h', password: 'p'.repeat(513) }, 'M_INVALID_PARAM'],
      [REGISTER, { username: 'h', inhibit_login: 'yes' }, 'M_BAD_JSON'],
      [REGISTER, { username: 'h', auth: 'dummy' }, 'M_BAD_JSON'],
      [REGISTER, { username: 'h', auth: { type: 1 } }, 'M_BAD_JSON'],
      [REGISTER, { username: 'h', auth: { session: 1 } }, 'M_BAD_JSON'],
      [`${REGISTER}?kind=admin`, { username: 'h' }, 'M_INVALID_PARAM'],
    ]
    for (const [path, body, errcode] of cases) {
      const response = await open.call('POST', path, { body })
      expect(response.status, JSON.stringify(body)).toBe(400)
      expect(response.body['errcode'], JSON.stringify(body)).toBe(errcode)
    }
  })

  it('refuses guests with M_GUEST_ACCESS_FORBIDDEN, whatever the body', async () => {
    for (const body of [{}, { username: 5 }]) {
      const response = await open.call('POST', `${REGISTER}?kind=guest`, { body })
      expect(response.status).toBe(403)
      expect(response.body['errcode']).toBe('M_GUEST_ACCESS_FORBIDDEN')
      spec(403, response.body)
    }
  })

  it('answers an unknown session with 400, and a stage not offered with 401 M_UNRECOGNIZED', async () => {
    const unknown = await open.call('POST', REGISTER, {
      body: { username: 'ivan', password: 'pw', auth: { type: 'm.login.dummy', session: 'nope' } },
    })
    expect(unknown.status).toBe(400)
    const first = await open.call('POST', REGISTER, { body: { username: 'ivan', password: 'pw' } })
    const wrongStage = await open.call('POST', REGISTER, {
      body: {
        username: 'ivan',
        password: 'pw',
        auth: { type: 'm.login.password', session: first.body['session'], password: 'x' },
      },
    })
    expect(wrongStage.status).toBe(401)
    spec(401, wrongStage.body)
    expect(wrongStage.body).toMatchObject({
      errcode: 'M_UNRECOGNIZED',
      session: first.body['session'],
      completed: [],
      flows: [{ stages: ['m.login.dummy'] }],
    })
    // The session survives a failed attempt.
    const retry = await open.call('POST', REGISTER, {
      body: {
        username: 'ivan',
        password: 'pw',
        auth: { session: first.body['session'], type: 'm.login.dummy' },
      },
    })
    expect(retry.status).toBe(200)
  })
})

describe('POST /register with registration tokens', () => {
  it('asks for m.login.registration_token and counts a use when registration completes', async () => {
    await tokens.stores.accounts.createRegistrationToken({ token: 'invite-1', usesAllowed: 1 })
    const first = await tokens.call('POST', REGISTER, {
      body: { username: 'alice', password: 'pw' },
    })
    expect(first.status).toBe(401)
    spec(401, first.body)
    expect(first.body['flows']).toEqual([{ stages: ['m.login.registration_token'] }])
    const session = first.body['session']

    const dummy = await tokens.call('POST', REGISTER, {
      body: { username: 'alice', password: 'pw', auth: { type: 'm.login.dummy', session } },
    })
    expect(dummy.status).toBe(401)
    expect(dummy.body['errcode']).toBe('M_UNRECOGNIZED')

    const bad = await tokens.call('POST', REGISTER, {
      body: {
        username: 'alice',
        password: 'pw',
        auth: { type: 'm.login.registration_token', token: 'wrong-token', session },
      },
    })
    expect(bad.status).toBe(401)
    spec(401, bad.body)
    expect(bad.body).toMatchObject({ errcode: 'M_UNAUTHORIZED', session, completed: [] })

    const malformed = await tokens.call('POST', REGISTER, {
      body: {
        username: 'alice',
        password: 'pw',
        auth: { type: 'm.login.registration_token', token: 'no spaces allowed', session },
      },
    })
    expect(malformed.body['errcode']).toBe('M_UNAUTHORIZED')

    const good = await tokens.call('POST', REGISTER, {
      body: {
        username: 'alice',
        password: 'pw',
        auth: { type: 'm.login.registration_token', token: 'invite-1', session },
      },
    })
    expect(good.status).toBe(200)
    spec(200, good.body)
    expect(await tokens.stores.accounts.getRegistrationToken('invite-1')).toMatchObject({
      pending: 0,
      completed: 1,
    })

    // The single use is spent.
    const next = await tokens.call('POST', REGISTER, { body: { username: 'bob', password: 'pw' } })
    const spent = await tokens.call('POST', REGISTER, {
      body: {
        username: 'bob',
        password: 'pw',
        auth: {
          type: 'm.login.registration_token',
          token: 'invite-1',
          session: next.body['session'],
        },
      },
    })
    expect(spent.status).toBe(401)
    expect(spent.body['errcode']).toBe('M_UNAUTHORIZED')
  })

  it('completes the token stage and registration in one request when the client sends both', async () => {
    await tokens.stores.accounts.createRegistrationToken({ token: 'invite-2', usesAllowed: 2 })
    const first = await tokens.call('POST', REGISTER, {
      body: { username: 'carol', password: 'pw' },
    })
    const done = await tokens.call('POST', REGISTER, {
      body: {
        username: 'carol',
        password: 'pw',
        auth: {
          type: 'm.login.registration_token',
          token: 'invite-2',
          session: first.body['session'],
        },
      },
    })
    expect(done.status).toBe(200)
    expect(done.body['user_id']).toBe('@carol:example.org')
    expect(await tokens.stores.accounts.getRegistrationToken('invite-2')).toMatchObject({
      pending: 0,
      completed: 1,
    })
  })

  it('missing or non-string tokens are request errors', async () => {
    const first = await tokens.call('POST', REGISTER, {
      body: { username: 'dora', password: 'pw' },
    })
    const session = first.body['session']
    const missing = await tokens.call('POST', REGISTER, {
      body: { username: 'dora', auth: { type: 'm.login.registration_token', session } },
    })
    expect(missing.status).toBe(400)
    expect(missing.body['errcode']).toBe('M_MISSING_PARAM')
    const wrongType = await tokens.call('POST', REGISTER, {
      body: { username: 'dora', auth: { type: 'm.login.registration_token', token: 5, session } },
    })
    expect(wrongType.body['errcode']).toBe('M_BAD_JSON')
  })
})

describe('POST /register with registration disabled', () => {
  it('answers 403 M_FORBIDDEN', async () => {
    const response = await closed.call('POST', REGISTER, {
      body: { username: 'alice', password: 'pw' },
    })
    expect(response.status).toBe(403)
    expect(response.body['errcode']).toBe('M_FORBIDDEN')
    spec(403, response.body)
  })
})

describe('POST /register rate limit', () => {
  it('uses the configured registration limit', async () => {
    const limited = await startAccountTestServer({
      rateLimiter: createMemoryRateLimiter({
        enabled: true,
        rules: {
          login: { perSecond: 1, burstCount: 100 },
          registration: { perSecond: 0.001, burstCount: 2 },
          message: { perSecond: 1, burstCount: 1 },
          report: { perSecond: 1, burstCount: 1 },
        },
      }),
    })
    try {
      for (let i = 0; i < 2; i++) {
        expect((await limited.call('POST', REGISTER, { body: {} })).status).toBe(401)
      }
      const third = await limited.call('POST', REGISTER, { body: {} })
      expect(third.status).toBe(429)
      spec(429, third.body)
    } finally {
      await limited.close()
    }
  })
})

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  passwordAuth,
  startAccountTestServer,
  type AccountTestServer,
  type Credentials,
} from '../../testing/account-test-server.js'
import { createMemoryRateLimiter } from '../../rate-limit/memory-rate-limiter.js'
import { expectMatchesSpec } from '../../testing/openapi-spec.js'

const DEVICES = '/_matrix/client/v3/devices'
const DEVICE = '/_matrix/client/v3/devices/{deviceId}'

function spec(method: 'GET' | 'PUT' | 'DELETE', path: string, status: number, body: unknown) {
  expectMatchesSpec('client-server', 'device_management.yaml', method, path, status, body)
}

let t: AccountTestServer
let alice: Credentials
let bob: Credentials
beforeAll(async () => {
  t = await startAccountTestServer()
  alice = await t.register('alice', 'pw', { initial_device_display_name: 'Laptop' })
  bob = await t.register('bob', 'pw')
})
afterAll(async () => {
  await t.close()
})

describe('GET /devices and /devices/{deviceId}', () => {
  it("lists the user's own devices only", async () => {
    const phone = await t.login('alice', 'pw', { device_id: 'PHONE' })
    const { status, body } = await t.call('GET', DEVICES, { token: alice.accessToken })
    expect(status).toBe(200)
    spec('GET', DEVICES, 200, body)
    const devices = body['devices'] as Record<string, unknown>[]
    expect(devices.map((d) => d['device_id']).sort()).toEqual(
      [alice.deviceId, phone.deviceId].sort(),
    )
    expect(devices.find((d) => d['device_id'] === alice.deviceId)).toMatchObject({
      display_name: 'Laptop',
      last_seen_ip: '127.0.0.1',
    })
    expect(devices.find((d) => d['device_id'] === 'PHONE')).not.toHaveProperty('display_name')
  })

  it('gets one device, and 404 for a device of another user or none at all', async () => {
    const one = await t.call('GET', `${DEVICES}/${alice.deviceId}`, { token: alice.accessToken })
    expect(one.status).toBe(200)
    spec('GET', DEVICE, 200, one.body)
    expect(one.body).toMatchObject({ device_id: alice.deviceId, display_name: 'Laptop' })
    for (const id of [bob.deviceId, 'NOSUCHDEVICE']) {
      const missing = await t.call('GET', `${DEVICES}/${id}`, { token: alice.accessToken })
      expect(missing.status).toBe(404)
      expect(missing.body['errcode']).toBe('M_NOT_FOUND')
    }
  })

  it('needs a token', async () => {
    expect((await t.call('GET', DEVICES)).body['errcode']).toBe('M_MISSING_TOKEN')
  })
})

describe('PUT /devices/{deviceId}', () => {
  it('renames a device, and leaves the name alone without display_name', async () => {
    const put = await t.call('PUT', `${DEVICES}/${alice.deviceId}`, {
      token: alice.accessToken,
      body: { display_name: 'Work laptop' },
    })
    expect(put.status).toBe(200)
    expect(put.body).toEqual({})
    spec('PUT', DEVICE, 200, put.body)
    const unchanged = await t.call('PUT', `${DEVICES}/${alice.deviceId}`, {
      token: alice.accessToken,
      body: {},
    })
    expect(unchanged.status).toBe(200)
    const got = await t.call('GET', `${DEVICES}/${alice.deviceId}`, { token: alice.accessToken })
    expect(got.body['display_name']).toBe('Work laptop')
  })

  it('answers 404 for an unknown device (clients cannot create devices) and 400 for bad names', async () => {
    const missing = await t.call('PUT', `${DEVICES}/NEWDEVICE`, {
      token: alice.accessToken,
      body: { display_name: 'x' },
    })
    expect(missing.status).toBe(404)
    const other = await t.call('PUT', `${DEVICES}/${bob.deviceId}`, {
      token: alice.accessToken,
      body: { display_name: 'mine now' },
    })
    expect(other.status).toBe(404)
    const bad = await t.call('PUT', `${DEVICES}/${alice.deviceId}`, {
      token: alice.accessToken,
      body: { display_name: 5 },
    })
    expect(bad.body['errcode']).toBe('M_BAD_JSON')
    const long = await t.call('PUT', `${DEVICES}/${alice.deviceId}`, {
      token: alice.accessToken,
      body: { display_name: 'n'.repeat(101) },
    })
    expect(long.body['errcode']).toBe('M_INVALID_PARAM')
  })
})

describe('DELETE /devices/{deviceId}', () => {
  it('asks for interactive auth, refuses a wrong password, then deletes device and token', async () => {
    const tablet = await t.login('alice', 'pw', { device_id: 'TABLET' })
    const path = `${DEVICES}/TABLET`
    const first = await t.call('DELETE', path, { token: alice.accessToken })
    expect(first.status).toBe(401)
    spec('DELETE', DEVICE, 401, first.body)
    expect(first.body).toEqual({
      flows: [{ stages: ['m.login.password'] }],
      params: {},
      session: expect.any(String) as unknown,
    })
    const session = first.body['session']

    const wrong = await t.call('DELETE', path, {
      token: alice.accessToken,
      body: { auth: passwordAuth('alice', 'wrong', session) },
    })
    expect(wrong.status).toBe(401)
    spec('DELETE', DEVICE, 401, wrong.body)
    expect(wrong.body).toEqual({
      errcode: 'M_FORBIDDEN',
      error: 'Invalid password',
      flows: [{ stages: ['m.login.password'] }],
      params: {},
      session,
      completed: [],
    })
    expect(
      (await t.call('GET', '/_matrix/client/v3/account/whoami', { token: tablet.accessToken }))
        .status,
    ).toBe(200)

    const done = await t.call('DELETE', path, {
      token: alice.accessToken,
      body: { auth: passwordAuth('alice', 'pw', session) },
    })
    expect(done.status).toBe(200)
    spec('DELETE', DEVICE, 200, done.body)
    const whoami = await t.call('GET', '/_matrix/client/v3/account/whoami', {
      token: tablet.accessToken,
    })
    expect(whoami.status).toBe(401)
    expect((await t.call('GET', path, { token: alice.accessToken })).status).toBe(404)
  })

  it('binds the session to the device: it cannot be used to delete another one', async () => {
    await t.login('alice', 'pw', { device_id: 'ONE' })
    await t.login('alice', 'pw', { device_id: 'TWO' })
    const first = await t.call('DELETE', `${DEVICES}/ONE`, { token: alice.accessToken })
    const swapped = await t.call('DELETE', `${DEVICES}/TWO`, {
      token: alice.accessToken,
      body: { auth: passwordAuth('alice', 'pw', first.body['session']) },
    })
    expect(swapped.status).toBe(403)
    expect((await t.call('GET', `${DEVICES}/TWO`, { token: alice.accessToken })).status).toBe(200)
  })

  it('succeeds for a device that is already gone', async () => {
    const response = await t.call('DELETE', `${DEVICES}/GONE`, {
      token: alice.accessToken,
      body: { auth: passwordAuth('alice', 'pw') },
    })
    expect(response.status).toBe(200)
  })

  it('rate-limits password attempts per user with the login limit', async () => {
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
      const carol = await limited.register('carol', 'pw')
      const attempt = () =>
        limited.call('DELETE', `${DEVICES}/X`, {
          token: carol.accessToken,
          body: { auth: passwordAuth('carol', 'guess') },
        })
      expect((await attempt()).status).toBe(401)
      expect((await attempt()).status).toBe(401)
      const third = await attempt()
      expect(third.status).toBe(429)
      expect(third.body['errcode']).toBe('M_LIMIT_EXCEEDED')
    } finally {
      await limited.close()
    }
  })
})

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  passwordAuth,
  startAccountTestServer,
  type AccountTestServer,
} from '../../testing/account-test-server.js'
import { expectMatchesSpec } from '../../testing/openapi-spec.js'

const DELETE_DEVICES = '/_matrix/client/v3/delete_devices'

function spec(status: number, body: unknown): void {
  expectMatchesSpec('client-server', 'device_management.yaml', 'POST', DELETE_DEVICES, status, body)
}

let t: AccountTestServer
beforeAll(async () => {
  t = await startAccountTestServer()
})
afterAll(async () => {
  await t.close()
})

describe('POST /delete_devices', () => {
  it('deletes the listed devices and their tokens after m.login.password', async () => {
    const main = await t.register('alice', 'pw')
    const a = await t.login('alice', 'pw')
    const b = await t.login('alice', 'pw')
    const devices = [a.deviceId, b.deviceId, 'NEVERWAS']
    const first = await t.call('POST', DELETE_DEVICES, {
      token: main.accessToken,
      body: { devices },
    })
    expect(first.status).toBe(401)
    spec(401, first.body)
    // The device list may come in another order: it is the same operation.
    const done = await t.call('POST', DELETE_DEVICES, {
      token: main.accessToken,
      body: {
        devices: [...devices].reverse(),
        auth: passwordAuth('alice', 'pw', first.body['session']),
      },
    })
    expect(done.status).toBe(200)
    spec(200, done.body)
    for (const gone of [a, b]) {
      const whoami = await t.call('GET', '/_matrix/client/v3/account/whoami', {
        token: gone.accessToken,
      })
      expect(whoami.status).toBe(401)
    }
    expect((await t.stores.accounts.listDevices(main.userId)).map((d) => d.deviceId)).toEqual([
      main.deviceId,
    ])
  })

  it('refuses a session made for other devices', async () => {
    const bob = await t.register('bob', 'pw')
    const first = await t.call('POST', DELETE_DEVICES, {
      token: bob.accessToken,
      body: { devices: ['A'] },
    })
    const other = await t.call('POST', DELETE_DEVICES, {
      token: bob.accessToken,
      body: { devices: [bob.deviceId], auth: passwordAuth('bob', 'pw', first.body['session']) },
    })
    expect(other.status).toBe(403)
    expect(
      (await t.call('GET', '/_matrix/client/v3/account/whoami', { token: bob.accessToken })).status,
    ).toBe(200)
  })

  it('rejects malformed bodies', async () => {
    const carol = await t.register('carol', 'pw')
    const cases: [unknown, string][] = [
      [{}, 'M_MISSING_PARAM'],
      [{ devices: 'A' }, 'M_BAD_JSON'],
      [{ devices: ['A', 5] }, 'M_BAD_JSON'],
      [{ devices: [''] }, 'M_INVALID_PARAM'],
      [{ devices: Array.from({ length: 1001 }, (_, i) => `D${i}`) }, 'M_INVALID_PARAM'],
      [{ devices: ['A'], auth: [] }, 'M_BAD_JSON'],
    ]
    for (const [body, errcode] of cases) {
      const response = await t.call('POST', DELETE_DEVICES, { token: carol.accessToken, body })
      expect(response.status).toBe(400)
      expect(response.body['errcode']).toBe(errcode)
    }
  })
})

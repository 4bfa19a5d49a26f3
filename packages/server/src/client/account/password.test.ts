import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  passwordAuth,
  startAccountTestServer,
  type AccountTestServer,
} from '../../testing/account-test-server.js'
import { expectMatchesSpec } from '../../testing/openapi-spec.js'

const PASSWORD = '/_matrix/client/v3/account/password'
const WHOAMI = '/_matrix/client/v3/account/whoami'

function spec(status: number, body: unknown): void {
  expectMatchesSpec('client-server', 'password_management.yaml', 'POST', PASSWORD, status, body)
}

let t: AccountTestServer
beforeAll(async () => {
  t = await startAccountTestServer()
})
afterAll(async () => {
  await t.close()
})

describe('POST /account/password', () => {
  it('asks for m.login.password, then changes the password and logs out the other devices', async () => {
    const main = await t.register('alice', 'old-password')
    const other = await t.login('alice', 'old-password')

    const first = await t.call('POST', PASSWORD, {
      token: main.accessToken,
      body: { new_password: 'new-password' },
    })
    expect(first.status).toBe(401)
    spec(401, first.body)
    expect(first.body).toEqual({
      flows: [{ stages: ['m.login.password'] }],
      params: {},
      session: expect.any(String) as unknown,
    })

    const wrong = await t.call('POST', PASSWORD, {
      token: main.accessToken,
      body: {
        new_password: 'new-password',
        auth: passwordAuth('alice', 'not-it', first.body['session']),
      },
    })
    expect(wrong.status).toBe(401)
    spec(401, wrong.body)
    expect(wrong.body).toMatchObject({
      errcode: 'M_FORBIDDEN',
      session: first.body['session'],
      completed: [],
      flows: [{ stages: ['m.login.password'] }],
    })

    const done = await t.call('POST', PASSWORD, {
      token: main.accessToken,
      body: {
        new_password: 'new-password',
        auth: passwordAuth('@alice:example.org', 'old-password', first.body['session']),
      },
    })
    expect(done.status).toBe(200)
    expect(done.body).toEqual({})
    spec(200, done.body)

    expect((await t.call('GET', WHOAMI, { token: main.accessToken })).status).toBe(200)
    expect((await t.call('GET', WHOAMI, { token: other.accessToken })).status).toBe(401)
    expect((await t.stores.accounts.listDevices(main.userId)).map((d) => d.deviceId)).toEqual([
      main.deviceId,
    ])
    await expect(t.login('alice', 'old-password')).rejects.toThrow(/403/)
    expect((await t.login('alice', 'new-password')).userId).toBe(main.userId)
    const logs = t.server.logs.text()
    for (const secret of ['old-password', 'new-password', 'not-it', main.accessToken]) {
      expect(logs).not.toContain(secret)
    }
  })

  it('keeps the other devices with logout_devices: false', async () => {
    const main = await t.register('bob', 'pw1')
    const other = await t.login('bob', 'pw1')
    const done = await t.call('POST', PASSWORD, {
      token: main.accessToken,
      body: { new_password: 'pw2', logout_devices: false, auth: passwordAuth('bob', 'pw1') },
    })
    expect(done.status).toBe(200)
    expect((await t.call('GET', WHOAMI, { token: other.accessToken })).status).toBe(200)
  })

  it("refuses another account's password", async () => {
    await t.register('carol', 'carol-pw')
    const dave = await t.register('dave', 'dave-pw')
    const response = await t.call('POST', PASSWORD, {
      token: dave.accessToken,
      body: { new_password: 'x', auth: passwordAuth('carol', 'carol-pw') },
    })
    expect(response.status).toBe(401)
    expect(response.body['errcode']).toBe('M_FORBIDDEN')
  })

  it('binds the session to its user: another account cannot reuse it', async () => {
    const erin = await t.register('erin', 'pw')
    const frank = await t.register('frank', 'pw')
    const first = await t.call('POST', PASSWORD, {
      token: erin.accessToken,
      body: { new_password: 'x' },
    })
    const stolen = await t.call('POST', PASSWORD, {
      token: frank.accessToken,
      body: { new_password: 'x', auth: passwordAuth('frank', 'pw', first.body['session']) },
    })
    expect(stolen.status).toBe(403)
    expect(stolen.body['errcode']).toBe('M_FORBIDDEN')
  })

  it('needs a token and a well-formed body', async () => {
    const noToken = await t.call('POST', PASSWORD, { body: { new_password: 'x' } })
    expect(noToken.status).toBe(401)
    expect(noToken.body['errcode']).toBe('M_MISSING_TOKEN')
    const gina = await t.register('gina', 'pw')
    const cases: [Record<string, unknown>, string][] = [
      [{}, 'M_MISSING_PARAM'],
      [{ new_password: 5 }, 'M_BAD_JSON'],
      [{ new_password: '' }, 'M_WEAK_PASSWORD'],
      [{ new_password: 'x', logout_devices: 'no' }, 'M_BAD_JSON'],
      [{ new_password: 'x', auth: { type: 'm.login.password', user: 'gina' } }, 'M_BAD_JSON'],
      [
        { new_password: 'x', auth: { type: 'm.login.password', password: 'pw' } },
        'M_MISSING_PARAM',
      ],
    ]
    for (const [body, errcode] of cases) {
      const response = await t.call('POST', PASSWORD, { token: gina.accessToken, body })
      expect(response.status, JSON.stringify(body)).toBe(400)
      expect(response.body['errcode'], JSON.stringify(body)).toBe(errcode)
    }
  })
})

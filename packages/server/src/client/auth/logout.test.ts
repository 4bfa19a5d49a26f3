import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  startAccountTestServer,
  type AccountTestServer,
} from '../../testing/account-test-server.js'
import { expectMatchesSpec } from '../../testing/openapi-spec.js'

const WHOAMI = '/_matrix/client/v3/account/whoami'

let t: AccountTestServer
beforeAll(async () => {
  t = await startAccountTestServer()
  await t.register('alice', 'pw')
  await t.register('bob', 'pw')
})
afterAll(async () => {
  await t.close()
})

describe('POST /logout', () => {
  it('invalidates the token and deletes its device, leaving other devices alone', async () => {
    const a = await t.login('alice', 'pw')
    const b = await t.login('alice', 'pw')
    const response = await t.call('POST', '/_matrix/client/v3/logout', { token: a.accessToken })
    expect(response.status).toBe(200)
    expect(response.body).toEqual({})
    expectMatchesSpec(
      'client-server',
      'logout.yaml',
      'POST',
      '/_matrix/client/v3/logout',
      200,
      response.body,
    )

    const after = await t.call('GET', WHOAMI, { token: a.accessToken })
    expect(after.status).toBe(401)
    expect(after.body).toEqual({
      errcode: 'M_UNKNOWN_TOKEN',
      error: 'Unknown access token',
      soft_logout: false,
    })
    expect((await t.call('GET', WHOAMI, { token: b.accessToken })).status).toBe(200)
    const devices = await t.call('GET', '/_matrix/client/v3/devices', { token: b.accessToken })
    const ids = (devices.body['devices'] as { device_id: string }[]).map((d) => d.device_id)
    expect(ids).toContain(b.deviceId)
    expect(ids).not.toContain(a.deviceId)
    // Logging out twice: the token is gone, so the second attempt is M_UNKNOWN_TOKEN.
    const twice = await t.call('POST', '/_matrix/client/r0/logout', { token: a.accessToken })
    expect(twice.status).toBe(401)
  })

  it('needs a token: M_MISSING_TOKEN without one, M_UNKNOWN_TOKEN for a wrong one', async () => {
    const missing = await t.call('POST', '/_matrix/client/v3/logout')
    expect(missing.status).toBe(401)
    expect(missing.body['errcode']).toBe('M_MISSING_TOKEN')
    const wrong = await t.call('POST', '/_matrix/client/v3/logout', { token: 'rhz_nonsense' })
    expect(wrong.status).toBe(401)
    expect(wrong.body['errcode']).toBe('M_UNKNOWN_TOKEN')
  })
})

describe('POST /logout/all', () => {
  it("invalidates every token and device of the user, and only that user's", async () => {
    const tokens = [await t.login('alice', 'pw'), await t.login('alice', 'pw')]
    const bob = await t.login('bob', 'pw')
    const response = await t.call('POST', '/_matrix/client/v3/logout/all', {
      token: tokens[0]!.accessToken,
    })
    expect(response.status).toBe(200)
    expectMatchesSpec(
      'client-server',
      'logout.yaml',
      'POST',
      '/_matrix/client/v3/logout/all',
      200,
      response.body,
    )
    for (const { accessToken } of tokens) {
      expect((await t.call('GET', WHOAMI, { token: accessToken })).status).toBe(401)
    }
    expect(await t.stores.accounts.listDevices(tokens[0]!.userId)).toEqual([])
    expect((await t.call('GET', WHOAMI, { token: bob.accessToken })).status).toBe(200)
  })
})

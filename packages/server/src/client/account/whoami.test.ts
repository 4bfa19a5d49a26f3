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
})
afterAll(async () => {
  await t.close()
})

describe('GET /account/whoami', () => {
  it('names the user and device of the token, from the header or the query', async () => {
    const alice = await t.register('alice', 'pw')
    const { status, body } = await t.call('GET', WHOAMI, { token: alice.accessToken })
    expect(status).toBe(200)
    expect(body).toEqual({ user_id: alice.userId, device_id: alice.deviceId, is_guest: false })
    expectMatchesSpec('client-server', 'whoami.yaml', 'GET', WHOAMI, 200, body)
    const viaQuery = await t.call(
      'GET',
      `/_matrix/client/r0/account/whoami?access_token=${encodeURIComponent(alice.accessToken)}`,
    )
    expect(viaQuery.body).toEqual(body)
  })

  it('answers 401 M_MISSING_TOKEN without a token and M_UNKNOWN_TOKEN for an unknown one', async () => {
    const missing = await t.call('GET', WHOAMI)
    expect(missing.status).toBe(401)
    expect(missing.body['errcode']).toBe('M_MISSING_TOKEN')
    expectMatchesSpec('client-server', 'whoami.yaml', 'GET', WHOAMI, 401, missing.body)
    const unknown = await t.call('GET', WHOAMI, {
      token: 'rhz_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    })
    expect(unknown.status).toBe(401)
    expect(unknown.body).toMatchObject({ errcode: 'M_UNKNOWN_TOKEN', soft_logout: false })
    expectMatchesSpec('client-server', 'whoami.yaml', 'GET', WHOAMI, 401, unknown.body)
  })

  it('does not log the token, even when it comes in the query string', async () => {
    const bob = await t.register('bob', 'pw')
    await t.call('GET', `${WHOAMI}?access_token=${bob.accessToken}`)
    expect(t.server.logs.text()).not.toContain(bob.accessToken)
  })
})

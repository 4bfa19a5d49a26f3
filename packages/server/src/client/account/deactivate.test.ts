import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  passwordAuth,
  startAccountTestServer,
  type AccountTestServer,
} from '../../testing/account-test-server.js'
import { expectMatchesSpec } from '../../testing/openapi-spec.js'

const DEACTIVATE = '/_matrix/client/v3/account/deactivate'

function spec(status: number, body: unknown): void {
  expectMatchesSpec('client-server', 'account_deactivation.yaml', 'POST', DEACTIVATE, status, body)
}

let t: AccountTestServer
beforeAll(async () => {
  t = await startAccountTestServer()
})
afterAll(async () => {
  await t.close()
})

describe('POST /account/deactivate', () => {
  it('asks for the password, then closes the account for good', async () => {
    const alice = await t.register('alice', 'pw')
    const other = await t.login('alice', 'pw')
    const first = await t.call('POST', DEACTIVATE, { token: alice.accessToken })
    expect(first.status).toBe(401)
    spec(401, first.body)
    expect(first.body['flows']).toEqual([{ stages: ['m.login.password'] }])

    const wrong = await t.call('POST', DEACTIVATE, {
      token: alice.accessToken,
      body: { auth: passwordAuth('alice', 'nope', first.body['session']) },
    })
    expect(wrong.status).toBe(401)
    expect(wrong.body['errcode']).toBe('M_FORBIDDEN')

    const done = await t.call('POST', DEACTIVATE, {
      token: alice.accessToken,
      body: { erase: true, auth: passwordAuth('alice', 'pw', first.body['session']) },
    })
    expect(done.status).toBe(200)
    spec(200, done.body)
    expect(done.body).toEqual({ id_server_unbind_result: 'success' })

    for (const token of [alice.accessToken, other.accessToken]) {
      const whoami = await t.call('GET', '/_matrix/client/v3/account/whoami', { token })
      expect(whoami.status).toBe(401)
      expect(whoami.body['errcode']).toBe('M_UNKNOWN_TOKEN')
    }
    const login = await t.call('POST', '/_matrix/client/v3/login', {
      body: { type: 'm.login.password', user: 'alice', password: 'pw' },
    })
    expect(login.status).toBe(403)
    expect(login.body['errcode']).toBe('M_USER_DEACTIVATED')
    // The name stays taken: a deactivated account's ID is never handed out again.
    const available = await t.call('GET', '/_matrix/client/v3/register/available?username=alice')
    expect(available.body['errcode']).toBe('M_USER_IN_USE')
  })

  it('rejects a malformed body and needs a token', async () => {
    const bob = await t.register('bob', 'pw')
    const bad = await t.call('POST', DEACTIVATE, { token: bob.accessToken, body: { erase: 'yes' } })
    expect(bad.status).toBe(400)
    expect(bad.body['errcode']).toBe('M_BAD_JSON')
    const badServer = await t.call('POST', DEACTIVATE, {
      token: bob.accessToken,
      body: { id_server: 1 },
    })
    expect(badServer.body['errcode']).toBe('M_BAD_JSON')
    const noToken = await t.call('POST', DEACTIVATE, { body: {} })
    expect(noToken.body['errcode']).toBe('M_MISSING_TOKEN')
  })
})

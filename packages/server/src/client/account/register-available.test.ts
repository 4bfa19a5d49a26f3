import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  startAccountTestServer,
  type AccountTestServer,
} from '../../testing/account-test-server.js'
import { expectMatchesSpec } from '../../testing/openapi-spec.js'

const AVAILABLE = '/_matrix/client/v3/register/available'

let t: AccountTestServer
let closed: AccountTestServer
beforeAll(async () => {
  t = await startAccountTestServer()
  closed = await startAccountTestServer({ config: { registration: { enabled: false } } })
  await t.register('alice', 'pw')
})
afterAll(async () => {
  await Promise.all([t.close(), closed.close()])
})

const check = (server: AccountTestServer, username: string) =>
  server.call('GET', `${AVAILABLE}?username=${encodeURIComponent(username)}`)

describe('GET /register/available', () => {
  it('says a free, valid name is available', async () => {
    const { status, body } = await check(t, 'bob')
    expect(status).toBe(200)
    expect(body).toEqual({ available: true })
    expectMatchesSpec('client-server', 'registration.yaml', 'GET', AVAILABLE, 200, body)
  })

  it('answers M_USER_IN_USE for a taken name', async () => {
    const { status, body } = await check(t, 'alice')
    expect(status).toBe(400)
    expect(body['errcode']).toBe('M_USER_IN_USE')
    expectMatchesSpec('client-server', 'registration.yaml', 'GET', AVAILABLE, 400, body)
  })

  it('answers M_INVALID_USERNAME for uppercase, bad characters, empty and too long names', async () => {
    for (const name of ['Alice', 'BOB', 'al ice', 'a:b', 'é', '', 'x'.repeat(300)]) {
      const { status, body } = await check(t, name)
      expect(status, name).toBe(400)
      expect(body['errcode'], name).toBe('M_INVALID_USERNAME')
    }
  })

  it('needs the username parameter, and is closed with registration', async () => {
    const missing = await t.call('GET', AVAILABLE)
    expect(missing.status).toBe(400)
    expect(missing.body['errcode']).toBe('M_MISSING_PARAM')
    const disabled = await check(closed, 'bob')
    expect(disabled.status).toBe(403)
    expect(disabled.body['errcode']).toBe('M_FORBIDDEN')
  })
})

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  startAccountTestServer,
  type AccountTestServer,
} from '../../testing/account-test-server.js'
import { expectMatchesSpec } from '../../testing/openapi-spec.js'

const VALIDITY = '/_matrix/client/v1/register/m.login.registration_token/validity'

let now = 1_700_000_000_000
let t: AccountTestServer
let closed: AccountTestServer
beforeAll(async () => {
  t = await startAccountTestServer({
    config: { registration: { enabled: true, registration_token_required: true } },
    now: () => now,
  })
  closed = await startAccountTestServer({ config: { registration: { enabled: false } } })
  const store = t.stores.accounts
  await store.createRegistrationToken({ token: 'unlimited' })
  await store.createRegistrationToken({ token: 'once', usesAllowed: 1 })
  await store.createRegistrationToken({ token: 'soon-gone', expiryTime: now + 1000 })
})
afterAll(async () => {
  await Promise.all([t.close(), closed.close()])
})

const valid = async (token: string): Promise<unknown> => {
  const { status, body } = await t.call('GET', `${VALIDITY}?token=${encodeURIComponent(token)}`)
  expect(status).toBe(200)
  expectMatchesSpec('client-server', 'registration_tokens.yaml', 'GET', VALIDITY, 200, body)
  return body['valid']
}

describe('GET /register/m.login.registration_token/validity', () => {
  it('is true for usable tokens and false for unknown or malformed ones', async () => {
    expect(await valid('unlimited')).toBe(true)
    expect(await valid('once')).toBe(true)
    expect(await valid('soon-gone')).toBe(true)
    expect(await valid('unknown')).toBe(false)
    expect(await valid('not valid!')).toBe(false)
    expect(await valid('x'.repeat(65))).toBe(false)
  })

  it('is false once a token is used up or expired', async () => {
    expect(await t.stores.accounts.reserveRegistrationToken('once', now)).toBe(true)
    expect(await valid('once')).toBe(false)
    now += 1000
    expect(await valid('soon-gone')).toBe(false)
    expect(await valid('unlimited')).toBe(true)
  })

  it('needs the token parameter, and answers 403 while registration is disabled', async () => {
    const missing = await t.call('GET', VALIDITY)
    expect(missing.status).toBe(400)
    expect(missing.body['errcode']).toBe('M_MISSING_PARAM')
    const disabled = await closed.call('GET', `${VALIDITY}?token=unlimited`)
    expect(disabled.status).toBe(403)
    expectMatchesSpec(
      'client-server',
      'registration_tokens.yaml',
      'GET',
      VALIDITY,
      403,
      disabled.body,
    )
  })
})

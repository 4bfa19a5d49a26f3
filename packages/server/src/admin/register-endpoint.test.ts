import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startAccountTestServer, type AccountTestServer } from '../testing/account-test-server.js'
import { sharedSecretMac } from './shared-secret-registration.js'

const ADMIN_REGISTER = '/_synapse/admin/v1/register'
const SECRET = 'a long shared secret'

let now = 1_700_000_000_000
let t: AccountTestServer
let disabled: AccountTestServer
beforeAll(async () => {
  t = await startAccountTestServer({
    // Registration is closed: the shared secret works regardless.
    config: { registration: { enabled: false, shared_secret: SECRET } },
    now: () => now,
  })
  disabled = await startAccountTestServer()
})
afterAll(async () => {
  await Promise.all([t.close(), disabled.close()])
})

async function nonce(server = t): Promise<string> {
  const { status, body } = await server.call('GET', ADMIN_REGISTER)
  expect(status).toBe(200)
  expect(body['nonce']).toMatch(/^[A-Za-z0-9_-]{43}$/)
  return String(body['nonce'])
}

function signed(
  n: string,
  username: string,
  password: string,
  admin = false,
  secret = SECRET,
): Record<string, unknown> {
  return {
    nonce: n,
    username,
    password,
    admin,
    mac: sharedSecretMac(secret, n, username, password, admin),
  }
}

describe('/_synapse/admin/v1/register', () => {
  it('creates an account with a correct MAC, which can then log in', async () => {
    const n = await nonce()
    const { status, body } = await t.call('POST', ADMIN_REGISTER, {
      body: signed(n, 'alice', 'pw'),
    })
    expect(status).toBe(200)
    expect(body).toEqual({
      user_id: '@alice:example.org',
      home_server: 'example.org',
      access_token: expect.stringMatching(/^rhz_/) as unknown,
      device_id: expect.stringMatching(/^[A-Z]{10}$/) as unknown,
    })
    expect((await t.login('alice', 'pw')).userId).toBe('@alice:example.org')
    expect((await t.stores.accounts.getUser((await t.login('alice', 'pw')).userId))?.isAdmin).toBe(
      false,
    )
  })

  it('creates admins, matches the MAC of the name as sent, and downcases it', async () => {
    const n = await nonce()
    const response = await t.call('POST', ADMIN_REGISTER, {
      body: { ...signed(n, 'Boss', 'pw', true), inhibit_login: true, displayname: 'The Boss' },
    })
    expect(response.status).toBe(200)
    expect(response.body).toEqual({ user_id: '@boss:example.org', home_server: 'example.org' })
    const user = await t.stores.accounts.getUser((await t.login('boss', 'pw')).userId)
    expect(user?.isAdmin).toBe(true)
  })

  it('refuses a wrong MAC with 403, and the nonce is then spent', async () => {
    const n = await nonce()
    const wrongSecret = await t.call('POST', ADMIN_REGISTER, {
      body: signed(n, 'carol', 'pw', false, 'not the secret'),
    })
    expect(wrongSecret.status).toBe(403)
    expect(wrongSecret.body['errcode']).toBe('M_FORBIDDEN')
    const retry = await t.call('POST', ADMIN_REGISTER, { body: signed(n, 'carol', 'pw') })
    expect(retry.status).toBe(400)
    expect(retry.body['error']).toBe('Unrecognised nonce')

    // The MAC covers the admin flag: flipping it invalidates the MAC.
    const m = await nonce()
    const flipped = await t.call('POST', ADMIN_REGISTER, {
      body: { ...signed(m, 'carol', 'pw', false), admin: true },
    })
    expect(flipped.status).toBe(403)
    const garbage = await t.call('POST', ADMIN_REGISTER, {
      body: { ...signed(await nonce(), 'carol', 'pw'), mac: 'zz' },
    })
    expect(garbage.status).toBe(403)
    const carol = t.accounts.userIdFor('carol')
    if (!carol.ok) throw new Error('carol is a valid name')
    expect(await t.stores.accounts.getUser(carol.value)).toBeUndefined()
  })

  it('uses each nonce once, and only for a minute', async () => {
    const n = await nonce()
    expect((await t.call('POST', ADMIN_REGISTER, { body: signed(n, 'dave', 'pw') })).status).toBe(
      200,
    )
    const reused = await t.call('POST', ADMIN_REGISTER, { body: signed(n, 'dave2', 'pw') })
    expect(reused.status).toBe(400)
    expect(reused.body['error']).toBe('Unrecognised nonce')

    const old = await nonce()
    now += 60_001
    const late = await t.call('POST', ADMIN_REGISTER, { body: signed(old, 'erin', 'pw') })
    expect(late.status).toBe(400)
    const unknown = await t.call('POST', ADMIN_REGISTER, { body: signed('made-up', 'erin', 'pw') })
    expect(unknown.status).toBe(400)
  })

  it('answers user-in-use and invalid-username as registration does', async () => {
    const taken = await t.call('POST', ADMIN_REGISTER, {
      body: signed(await nonce(), 'alice', 'pw'),
    })
    expect(taken.status).toBe(400)
    expect(taken.body['errcode']).toBe('M_USER_IN_USE')
    const invalid = await t.call('POST', ADMIN_REGISTER, {
      body: signed(await nonce(), 'not valid', 'pw'),
    })
    expect(invalid.status).toBe(400)
    expect(invalid.body['errcode']).toBe('M_INVALID_USERNAME')
  })

  it('rejects malformed bodies before touching the nonce', async () => {
    const n = await nonce()
    const cases: [Record<string, unknown>, string][] = [
      [{ username: 'x', password: 'p', mac: 'm' }, 'M_BAD_JSON'],
      [{ nonce: n, password: 'p', mac: 'm' }, 'M_BAD_JSON'],
      [{ nonce: n, username: 'x', mac: 'm' }, 'M_BAD_JSON'],
      [{ nonce: n, username: 'x', password: 'p' }, 'M_BAD_JSON'],
      [{ nonce: n, username: 5, password: 'p', mac: 'm' }, 'M_BAD_JSON'],
      [{ nonce: n, username: 'x', password: 'p', mac: 'm', admin: 'yes' }, 'M_BAD_JSON'],
      [{ nonce: n, username: 'x', password: 'p', mac: 'm', inhibit_login: 1 }, 'M_BAD_JSON'],
      [{ nonce: n, username: 'x', password: 'p', mac: 'm', displayname: 1 }, 'M_BAD_JSON'],
      [{ nonce: n, username: 'x\u0000y', password: 'p', mac: 'm' }, 'M_INVALID_PARAM'],
      [{ nonce: n, username: 'x', password: 'p'.repeat(513), mac: 'm' }, 'M_INVALID_PARAM'],
      [{ nonce: n, username: 'x', password: 'p', mac: 'm', user_type: 'bot' }, 'M_INVALID_PARAM'],
    ]
    for (const [body, errcode] of cases) {
      const response = await t.call('POST', ADMIN_REGISTER, { body })
      expect(response.status, JSON.stringify(body)).toBe(400)
      expect(response.body['errcode'], JSON.stringify(body)).toBe(errcode)
    }
    // Still usable: none of those reached it.
    expect((await t.call('POST', ADMIN_REGISTER, { body: signed(n, 'frank', 'pw') })).status).toBe(
      200,
    )
  })

  it('is disabled without a shared secret, as Synapse answers: 400', async () => {
    const get = await disabled.call('GET', ADMIN_REGISTER)
    expect(get.status).toBe(400)
    expect(get.body['error']).toBe('Shared secret registration is not enabled')
    const post = await disabled.call('POST', ADMIN_REGISTER, { body: signed('n', 'x', 'p') })
    expect(post.status).toBe(400)
    expect(post.body['error']).toBe('Shared secret registration is not enabled')
  })

  it('never logs the password or the MAC', async () => {
    const body = signed(await nonce(), 'gina', 'gina-secret-pw')
    await t.call('POST', ADMIN_REGISTER, { body })
    const logs = t.server.logs.text()
    expect(logs).not.toContain('gina-secret-pw')
    expect(logs).not.toContain(String(body['mac']))
  })
})

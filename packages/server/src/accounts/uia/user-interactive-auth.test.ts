import { parseServerName, type ServerName, type UserId } from '@rhizome/core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ServerError } from '../../http/errors.js'
import { toHttpError } from '../../http/errors.js'
import { noRateLimits } from '../../rate-limit/rate-limiter.js'
import { expectMatchesSpec } from '../../testing/openapi-spec.js'
import { PasswordChecker } from '../password-checker.js'
import type { AccountStore, Storage } from '../../storage/interface.js'
import type { UiaSessionStore } from '../../storage/uia-session-store.js'
import { openTestStorage, TEST_HASHER } from '../../testing/account-test-server.js'
import type { AuthDict } from './auth-dict.js'
import { UserInteractiveAuth, type UiaOperation } from './user-interactive-auth.js'

const serverName = ((): ServerName => {
  const parsed = parseServerName('example.org')
  if (!parsed.ok) throw new Error('bad server name')
  return parsed.value
})()
const alice = '@alice:example.org' as UserId

let now: number
let storage: Storage
let accounts: AccountStore
let sessions: UiaSessionStore
let uia: UserInteractiveAuth

beforeEach(async () => {
  now = 1_000_000
  storage = await openTestStorage()
  accounts = storage.accounts
  sessions = storage.uiaSessions
  uia = new UserInteractiveAuth({
    sessions,
    accounts,
    passwords: new PasswordChecker(accounts, serverName, TEST_HASHER),
    rateLimiter: noRateLimits,
    now: () => now,
    sessionLifetimeMs: 10_000,
  })
  await accounts.createUser({
    userId: alice,
    passwordHash: await TEST_HASHER.hash('pw'),
    createdTs: 0,
  })
})

afterEach(async () => {
  await storage.close()
})

const auth = (fields: Record<string, unknown>): AuthDict => {
  const type = fields['type']
  const session = fields['session']
  return {
    type: typeof type === 'string' ? type : undefined,
    session: typeof session === 'string' ? session : undefined,
    fields: fields as AuthDict['fields'],
  }
}

function failure(result: { ok: boolean; error?: ServerError }): ServerError {
  if (result.ok || result.error === undefined) throw new Error('expected a failure')
  return result.error
}

function sessionOf(error: ServerError): string {
  const session = error.extra?.['session']
  if (typeof session !== 'string') throw new Error('no session in the challenge')
  return session
}

const twoStages: UiaOperation = {
  kind: 'register',
  flows: [['m.login.registration_token', 'm.login.dummy']],
}

describe('UserInteractiveAuth', () => {
  it('challenges a request without auth with a bare 401 that the spec accepts', async () => {
    const error = failure(
      await uia.run({ kind: 'register', flows: [['m.login.dummy']] }, undefined),
    )
    const http = toHttpError(error)
    expect(http.status).toBe(401)
    expect(http.body).toEqual({
      flows: [{ stages: ['m.login.dummy'] }],
      params: {},
      session: sessionOf(error),
    })
    expectMatchesSpec(
      'client-server',
      'registration.yaml',
      'POST',
      '/_matrix/client/v3/register',
      401,
      http.body,
    )
    expect(await sessions.getSession(sessionOf(error))).toMatchObject({
      kind: 'register',
      userId: undefined,
      createdTs: now,
      expiresTs: now + 10_000,
    })
  })

  it('walks a two-stage flow in order and reports completed stages', async () => {
    await accounts.createRegistrationToken({ token: 'tok' })
    const session = sessionOf(failure(await uia.run(twoStages, undefined)))
    const outOfOrder = failure(await uia.run(twoStages, auth({ type: 'm.login.dummy', session })))
    expect(toHttpError(outOfOrder)).toMatchObject({
      status: 401,
      body: { errcode: 'M_FORBIDDEN', completed: [], session },
    })
    const tokenStage = failure(
      await uia.run(twoStages, auth({ type: 'm.login.registration_token', token: 'tok', session })),
    )
    const body = toHttpError(tokenStage).body
    expect(body).toEqual({
      flows: [{ stages: ['m.login.registration_token', 'm.login.dummy'] }],
      params: {},
      session,
      completed: ['m.login.registration_token'],
    })
    expectMatchesSpec(
      'client-server',
      'registration.yaml',
      'POST',
      '/_matrix/client/v3/register',
      401,
      body,
    )
    // Asking with the session alone reports progress without attempting anything.
    const progress = failure(await uia.run(twoStages, auth({ session })))
    expect(toHttpError(progress).body['completed']).toEqual(['m.login.registration_token'])
    const passed = await uia.run(twoStages, auth({ type: 'm.login.dummy', session }))
    expect(passed.ok && [...passed.value.completed.entries()]).toEqual([
      ['m.login.registration_token', 'tok'],
      ['m.login.dummy', ''],
    ])
  })

  it('refuses a later stage before the earlier ones', async () => {
    const op: UiaOperation = {
      kind: 'register',
      flows: [['m.login.dummy', 'm.login.registration_token']],
    }
    const session = sessionOf(failure(await uia.run(op, undefined)))
    const early = failure(
      await uia.run(op, auth({ type: 'm.login.registration_token', token: 't', session })),
    )
    expect(toHttpError(early)).toMatchObject({ status: 401, body: { errcode: 'M_FORBIDDEN' } })
  })

  it('does not run a completed stage again, so a token is reserved once', async () => {
    await accounts.createRegistrationToken({ token: 'tok', usesAllowed: 5 })
    const op: UiaOperation = {
      kind: 'register',
      flows: [['m.login.registration_token', 'm.login.dummy']],
    }
    const session = sessionOf(failure(await uia.run(op, undefined)))
    for (let i = 0; i < 3; i++) {
      await uia.run(op, auth({ type: 'm.login.registration_token', token: 'tok', session }))
    }
    expect((await accounts.getRegistrationToken('tok'))?.pending).toBe(1)
  })

  it('gives back a reservation when another request completed the stage first', async () => {
    await accounts.createRegistrationToken({ token: 'tok', usesAllowed: 5 })
    const op: UiaOperation = {
      kind: 'register',
      flows: [['m.login.registration_token', 'm.login.dummy']],
    }
    const session = sessionOf(failure(await uia.run(op, undefined)))
    const [a, b] = await Promise.all([
      uia.run(op, auth({ type: 'm.login.registration_token', token: 'tok', session })),
      uia.run(op, auth({ type: 'm.login.registration_token', token: 'tok', session })),
    ])
    expect(a.ok || b.ok).toBe(false)
    expect((await accounts.getRegistrationToken('tok'))?.pending).toBe(1)
  })

  it('binds a session to its operation: kind, user and parameters', async () => {
    const op: UiaOperation = {
      kind: 'delete_devices',
      userId: alice,
      params: ['A'],
      flows: [['m.login.password']],
    }
    const session = sessionOf(failure(await uia.run(op, undefined)))
    const login = { type: 'm.login.password', user: 'alice', password: 'pw', session }
    for (const other of [
      { ...op, params: ['B'] },
      { ...op, kind: 'password' },
      { ...op, userId: '@bob:example.org' as UserId },
    ]) {
      const error = failure(await uia.run(other, auth(login)))
      expect(toHttpError(error)).toMatchObject({ status: 403, body: { errcode: 'M_FORBIDDEN' } })
    }
    expect((await uia.run(op, auth(login))).ok).toBe(true)
  })

  it('checks the password of the operation user, as a 401 with M_FORBIDDEN when wrong', async () => {
    const op: UiaOperation = { kind: 'password', userId: alice, flows: [['m.login.password']] }
    const wrong = failure(
      await uia.run(op, auth({ type: 'm.login.password', user: 'alice', password: 'x' })),
    )
    expect(toHttpError(wrong)).toMatchObject({
      status: 401,
      body: { errcode: 'M_FORBIDDEN', error: 'Invalid password', completed: [] },
    })
    await accounts.createUser({
      userId: '@bob:example.org' as UserId,
      passwordHash: await TEST_HASHER.hash('b'),
      createdTs: 0,
    })
    const other = failure(
      await uia.run(op, auth({ type: 'm.login.password', user: 'bob', password: 'b' })),
    )
    expect(toHttpError(other).body['errcode']).toBe('M_FORBIDDEN')
    const right = await uia.run(
      op,
      auth({
        type: 'm.login.password',
        identifier: { type: 'm.id.user', user: '@alice:example.org' },
        password: 'pw',
      }),
    )
    expect(right.ok).toBe(true)
  })

  it('treats an unknown or expired session as a 400', async () => {
    const op: UiaOperation = { kind: 'register', flows: [['m.login.dummy']] }
    const unknown = failure(await uia.run(op, auth({ type: 'm.login.dummy', session: 'nope' })))
    expect(toHttpError(unknown)).toMatchObject({ status: 400, body: { errcode: 'M_UNKNOWN' } })
    const session = sessionOf(failure(await uia.run(op, undefined)))
    now += 10_000
    const expired = failure(await uia.run(op, auth({ type: 'm.login.dummy', session })))
    expect(toHttpError(expired).status).toBe(400)
  })

  it('sweeps expired sessions and releases the registration tokens they reserved', async () => {
    await accounts.createRegistrationToken({ token: 'tok', usesAllowed: 1 })
    const op: UiaOperation = {
      kind: 'register',
      flows: [['m.login.registration_token', 'm.login.dummy']],
    }
    const session = sessionOf(failure(await uia.run(op, undefined)))
    await uia.run(op, auth({ type: 'm.login.registration_token', token: 'tok', session }))
    expect((await accounts.getRegistrationToken('tok'))?.pending).toBe(1)
    expect(await accounts.reserveRegistrationToken('tok', now)).toBe(false)

    now += 60_000
    // Creating a session sweeps (at most once a minute per process).
    await uia.run(op, undefined)
    expect(await sessions.getSession(session)).toBeUndefined()
    expect((await accounts.getRegistrationToken('tok'))?.pending).toBe(0)
    expect(await uia.sweep(now)).toBe(0)
  })

  it('sweeps in batches until none are left', async () => {
    for (let i = 0; i < 2500; i++) {
      await sessions.createSession({
        sessionId: `s${i}`,
        kind: 'k',
        paramsHash: '',
        createdTs: 0,
        expiresTs: 1,
      })
    }
    expect(await uia.sweep(now)).toBe(2500)
    expect(await sessions.deleteExpiredSessions(Number.MAX_SAFE_INTEGER, 10)).toEqual([])
  })

  it('finish returns the session once', async () => {
    const op: UiaOperation = { kind: 'register', flows: [['m.login.dummy']] }
    const passed = await uia.run(op, auth({ type: 'm.login.dummy' }))
    if (!passed.ok) throw new Error('dummy must pass')
    expect((await uia.finish(passed.value.sessionId))?.kind).toBe('register')
    expect(await uia.finish(passed.value.sessionId)).toBeUndefined()
  })

  it('keeps nonces single-use, of their own kind, and short-lived', async () => {
    const nonce = await uia.createNonce('n', 1000)
    expect(await uia.consumeNonce('other', nonce)).toBe(false)
    expect(await uia.consumeNonce('n', nonce)).toBe(true)
    expect(await uia.consumeNonce('n', nonce)).toBe(false)
    const old = await uia.createNonce('n', 1000)
    now += 1000
    expect(await uia.consumeNonce('n', old)).toBe(false)
    // A UIA session ID is no nonce, and asking does not end the session.
    const session = sessionOf(
      failure(await uia.run({ kind: 'register', flows: [['m.login.dummy']] }, undefined)),
    )
    expect(await uia.consumeNonce('n', session)).toBe(false)
    expect(await sessions.getSession(session)).toBeDefined()
  })
})

import { parseServerName, type ServerName, type UserId } from '@rhizome/core'
import { afterEach, describe, expect, it } from 'vitest'
import { noRateLimits } from '../rate-limit/rate-limiter.js'
import type { Storage } from '../storage/interface.js'
import { AccountService, type AccountServiceOptions } from './account-service.js'
import { hashAccessToken } from './credentials.js'
import { openTestStorage, TEST_HASHER } from '../testing/account-test-server.js'

const serverName = ((): ServerName => {
  const parsed = parseServerName('example.org')
  if (!parsed.ok) throw new Error('bad server name')
  return parsed.value
})()

const opened: Storage[] = []
afterEach(async () => {
  await Promise.all(opened.splice(0).map((storage) => storage.close()))
})

async function setup(overrides: Partial<AccountServiceOptions> = {}) {
  let now = 1_000_000
  const storage = await openTestStorage()
  opened.push(storage)
  const options: AccountServiceOptions = {
    serverName,
    registration: { enabled: true, registrationTokenRequired: false, sharedSecret: undefined },
    accounts: storage.accounts,
    uiaSessions: storage.uiaSessions,
    rateLimiter: noRateLimits,
    now: () => now,
    hasher: TEST_HASHER,
    ...overrides,
  }
  return {
    storage,
    accounts: options.accounts,
    service: new AccountService(options),
    /** A second server process on the same database, with its own token cache. */
    sibling: () => new AccountService(options),
    advance: (ms: number) => (now += ms),
  }
}

async function user(service: AccountService, localpart: string, password = 'pw'): Promise<UserId> {
  const userId = service.userIdFor(localpart)
  if (!userId.ok) throw new Error(userId.error.error)
  const created = await service.createAccount({ userId: userId.value, password })
  if (!created.ok) throw new Error(created.error.error)
  return userId.value
}

describe('AccountService.authenticate', () => {
  it('resolves a token to its user and device, and refuses unknown ones', async () => {
    const { service } = await setup()
    const alice = await user(service, 'alice')
    const session = await service.startSession(alice, { deviceId: 'DEV' })
    expect(await service.authenticate(session.accessToken)).toEqual({
      ok: true,
      value: { userId: alice, deviceId: 'DEV', isGuest: false },
    })
    const unknown = await service.authenticate('rhz_unknown')
    expect(!unknown.ok && unknown.error).toMatchObject({
      errcode: 'M_UNKNOWN_TOKEN',
      softLogout: false,
    })
  })

  it('stores only the hash of a token', async () => {
    const { service, accounts } = await setup()
    const alice = await user(service, 'alice')
    const session = await service.startSession(alice, {})
    expect(await accounts.lookupAccessToken(hashAccessToken(session.accessToken))).toMatchObject({
      userId: alice,
      deviceId: session.deviceId,
    })
    expect(await accounts.lookupAccessToken(session.accessToken)).toBeUndefined()
  })

  it('stops a logged-out token at once in this process, and within the TTL in others', async () => {
    const { service, sibling, advance } = await setup({
      tokenCache: { ttlMs: 5000, maxEntries: 100 },
    })
    const other = sibling()
    const alice = await user(service, 'alice')
    const session = await service.startSession(alice, {})
    // Both processes have seen the token, so both have cached it.
    expect((await service.authenticate(session.accessToken)).ok).toBe(true)
    expect((await other.authenticate(session.accessToken)).ok).toBe(true)
    await service.logout({ userId: alice, deviceId: session.deviceId, isGuest: false })
    expect((await service.authenticate(session.accessToken)).ok).toBe(false)
    // The other process trusts its cache for at most ttlMs: that is the documented bound.
    expect((await other.authenticate(session.accessToken)).ok).toBe(true)
    advance(5000)
    expect((await other.authenticate(session.accessToken)).ok).toBe(false)
  })

  it('does not cache failures: a token created by another process works at once', async () => {
    const { service, sibling } = await setup()
    const other = sibling()
    const alice = await user(service, 'alice')
    expect((await other.authenticate('rhz_not_yet')).ok).toBe(false)
    const session = await service.startSession(alice, {})
    expect((await other.authenticate(session.accessToken)).ok).toBe(true)
  })

  it('refuses the token of a deactivated account even if it is still stored', async () => {
    // A store whose token rows outlived the deactivation (which deletes them): a torn state.
    const { service, accounts } = await setup()
    const lookup = accounts.lookupAccessToken.bind(accounts)
    accounts.lookupAccessToken = async (hash) => {
      const record = await lookup(hash)
      return record && { ...record, isDeactivated: true }
    }
    const alice = await user(service, 'alice')
    const session = await service.startSession(alice, {})
    const result = await service.authenticate(session.accessToken)
    expect(!result.ok && result.error.errcode).toBe('M_UNKNOWN_TOKEN')
  })
})

describe('AccountService registration', () => {
  it('releases the reserved registration token when the name is taken after auth', async () => {
    const { service, accounts } = await setup({
      registration: { enabled: true, registrationTokenRequired: true, sharedSecret: undefined },
    })
    await accounts.createRegistrationToken({ token: 'tok', usesAllowed: 1 })
    await user(service, 'alice')
    // The name looks free when checked, but is taken when the account is created (a race).
    accounts.getUser = () => Promise.resolve(undefined)
    const result = await service.register(
      {
        kind: 'user',
        username: 'alice',
        password: 'pw',
        inhibitLogin: false,
        auth: {
          type: 'm.login.registration_token',
          session: undefined,
          fields: { type: 'm.login.registration_token', token: 'tok' },
        },
      },
      { ip: '127.0.0.1' },
    )
    expect(!result.ok && result.error.errcode).toBe('M_USER_IN_USE')
    expect(await accounts.getRegistrationToken('tok')).toMatchObject({ pending: 0, completed: 0 })
  })

  it('hashes with the production scrypt parameters by default', async () => {
    const { service, accounts, storage } = await setup()
    const withDefaults = new AccountService({
      serverName,
      registration: { enabled: true, registrationTokenRequired: false, sharedSecret: undefined },
      accounts,
      uiaSessions: storage.uiaSessions,
      rateLimiter: noRateLimits,
      now: Date.now,
    })
    const alice = await user(withDefaults, 'alice', 'correct horse')
    expect((await accounts.getUser(alice))?.passwordHash).toMatch(/^scrypt\$32768\$8\$1\$/)
    expect(
      (
        await withDefaults.login(
          { identifier: { kind: 'user', user: 'alice' }, password: 'correct horse' },
          { ip: '::1' },
        )
      ).ok,
    ).toBe(true)
    expect(service.serverName).toBe('example.org')
  })

  it('creates admins directly, and checks the new password', async () => {
    const { service, accounts } = await setup()
    const root = service.userIdFor('root')
    if (!root.ok) throw new Error('root is valid')
    const created = await service.createAccount({ userId: root.value, password: 'pw', admin: true })
    expect(created.ok && created.value.isAdmin).toBe(true)
    expect((await accounts.getUser(root.value))?.isAdmin).toBe(true)
    const again = await service.createAccount({ userId: root.value, password: 'pw' })
    expect(!again.ok && again.error.errcode).toBe('M_USER_IN_USE')
    const empty = await service.createAccount({ userId: root.value, password: '' })
    expect(!empty.ok && empty.error.errcode).toBe('M_WEAK_PASSWORD')
    const none = service.userIdFor('NOT VALID')
    expect(!none.ok && none.error.errcode).toBe('M_INVALID_USERNAME')
  })
})

describe('AccountService device deletion', () => {
  it('tells afterDevicesDeleted of each device a logout deletes', async () => {
    const deleted: [UserId, readonly string[]][] = []
    const { service } = await setup({
      afterDevicesDeleted: (userId, deviceIds) => {
        deleted.push([userId, deviceIds])
        return Promise.resolve()
      },
    })
    const alice = await user(service, 'alice')
    await service.startSession(alice, { deviceId: 'ONE' })
    await service.startSession(alice, { deviceId: 'TWO' })
    await service.logout({ userId: alice, deviceId: 'ONE', isGuest: false })
    expect(deleted).toEqual([[alice, ['ONE']]])
    await service.logoutAll({ userId: alice, deviceId: 'TWO', isGuest: false })
    expect(deleted).toEqual([
      [alice, ['ONE']],
      [alice, ['TWO']],
    ])
  })

  it('tells afterDevicesDeleted of every device of a deactivated account', async () => {
    const deleted: [UserId, readonly string[]][] = []
    const { service } = await setup({
      afterDevicesDeleted: (userId, deviceIds) => {
        deleted.push([userId, [...deviceIds].sort()])
        return Promise.resolve()
      },
    })
    const alice = await user(service, 'alice', 'pw')
    await service.startSession(alice, { deviceId: 'ONE' })
    await service.startSession(alice, { deviceId: 'TWO' })
    const requester = { userId: alice, deviceId: 'ONE', isGuest: false }
    const first = await service.deactivate(requester, { auth: undefined, erase: false })
    const session = first.ok ? undefined : first.error.extra?.['session']
    if (typeof session !== 'string') throw new Error('no session in the challenge')
    const fields = {
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: alice },
      password: 'pw',
      session,
    }
    const done = await service.deactivate(requester, {
      auth: { type: 'm.login.password', session, fields },
      erase: false,
    })
    expect(done.ok).toBe(true)
    expect(deleted).toEqual([[alice, ['ONE', 'TWO']]])
  })

  it('tells afterDeviceRenamed of a new display name, and not of the same one', async () => {
    const renamed: string[] = []
    const { service } = await setup({
      afterDeviceRenamed: (_userId, deviceId) => {
        renamed.push(deviceId)
        return Promise.resolve()
      },
    })
    const alice = await user(service, 'alice')
    await service.startSession(alice, { deviceId: 'ONE', displayName: 'phone' })
    const requester = { userId: alice, deviceId: 'ONE', isGuest: false }
    expect((await service.updateDevice(requester, 'ONE', 'phone')).ok).toBe(true)
    expect((await service.updateDevice(requester, 'ONE', 'tablet')).ok).toBe(true)
    expect((await service.updateDevice(requester, 'ONE', undefined)).ok).toBe(true)
    expect(renamed).toEqual(['ONE'])
  })
})

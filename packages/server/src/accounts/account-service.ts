import { err, ok, userIdLocalpart, type Result, type ServerName, type UserId } from '@rhizome/core'
import type { RegistrationConfig } from '../config/config.js'
import type { Authenticate, Requester } from '../http/authenticate.js'
import type { DeviceActivity } from './device-activity.js'
import { forbidden, notFound, serverError, unknownToken, type ServerError } from '../http/errors.js'
import type { RateLimiter } from '../rate-limit/rate-limiter.js'
import type { AccountStore, DeviceRecord, UserRecord } from '../storage/interface.js'
import { generateAccessToken, generateDeviceId, hashAccessToken } from './credentials.js'
import type { LoginIdentifier } from './login-identifier.js'
import {
  MAX_PASSWORD_LENGTH,
  PasswordChecker,
  scryptHasher,
  type PasswordHasher,
} from './password-checker.js'
import { AccessTokenCache, DEFAULT_TOKEN_CACHE, type TokenCacheOptions } from './token-cache.js'
import type { AuthDict } from './uia/auth-dict.js'
import type { UiaSessionStore } from '../storage/uia-session-store.js'
import {
  isRegistrationTokenSyntax,
  REGISTRATION_TOKEN_STAGE,
  UserInteractiveAuth,
  type UiaStage,
} from './uia/user-interactive-auth.js'
import { generateLocalpart, newUserId, userIdForRegistration } from './usernames.js'

export interface AccountServiceOptions {
  readonly serverName: ServerName
  readonly registration: RegistrationConfig
  readonly accounts: AccountStore
  readonly uiaSessions: UiaSessionStore
  readonly rateLimiter: RateLimiter
  readonly now: () => number
  /** scrypt with the default parameters unless given (tests use cheaper ones). */
  readonly hasher?: PasswordHasher
  readonly tokenCache?: TokenCacheOptions
  readonly uiaSessionLifetimeMs?: number
  /** Told of each authenticated request, to keep devices' last-seen fields current. */
  readonly deviceActivity?: DeviceActivity
  /**
   * Runs once an account is deactivated, before the request is answered (parting its rooms).
   * Whatever it leaves undone must be finished at the next startup.
   */
  readonly afterDeactivation?: (userId: UserId) => Promise<void>
  /** Runs after devices of a user are deleted (telling other servers); must not reject. */
  readonly afterDevicesDeleted?: (userId: UserId, deviceIds: readonly string[]) => Promise<void>
  /** Runs after a device is renamed (telling other servers); must not reject. */
  readonly afterDeviceRenamed?: (userId: UserId, deviceId: string) => Promise<void>
}

/** Where a request came from, for the device's "last seen" fields. */
export interface ClientInfo {
  readonly ip: string
}

/** A logged-in device: what login and registration hand back. */
export interface LoginSession {
  readonly userId: UserId
  readonly deviceId: string
  readonly accessToken: string
}

export interface DeviceOptions {
  /** The client's own device ID; one is generated when absent. */
  readonly deviceId?: string | undefined
  /** The display name of a device created now (ignored for an existing device). */
  readonly displayName?: string | undefined
}

export interface RegisterRequest extends DeviceOptions {
  readonly kind: 'user' | 'guest'
  readonly username: string | undefined
  readonly password: string | undefined
  readonly inhibitLogin: boolean
  readonly auth: AuthDict | undefined
}

export interface RegisterResult {
  readonly userId: UserId
  /** Undefined when the request asked for inhibit_login. */
  readonly session: LoginSession | undefined
}

export interface LoginRequest extends DeviceOptions {
  readonly identifier: LoginIdentifier
  readonly password: string
}

export interface NewAccount {
  readonly userId: UserId
  /** Undefined: an account that cannot log in with a password. */
  readonly password: string | undefined
  readonly admin?: boolean
  /** The profile's display name; the localpart when absent. */
  readonly displayName?: string | undefined
}

export interface ChangePasswordRequest {
  readonly newPassword: string
  /** Whether the user's other devices (and their tokens) are deleted; the spec's default is true. */
  readonly logoutDevices: boolean
  readonly auth: AuthDict | undefined
}

export interface DeactivateRequest {
  readonly auth: AuthDict | undefined
  /** Accepted and recorded nowhere yet: there is no content erasure (see the report). */
  readonly erase: boolean
}

/** Registration attempts a generated localpart this many times before giving up. */
const GENERATED_NAME_ATTEMPTS = 5
/** A client can choose its device ID; a generated one that collides is generated again. */
const GENERATED_DEVICE_ATTEMPTS = 5

/**
 * Accounts: registration, login and logout, the access tokens that requests carry, passwords,
 * deactivation and devices. Everything shared between server processes (accounts, devices,
 * tokens, interactive-auth sessions) is in the database; the only process state is a short-lived
 * cache of valid tokens (see TokenCacheOptions.ttlMs for how stale it can be).
 */
export class AccountService {
  readonly authenticate: Authenticate
  /** Interactive-auth sessions, and the single-use nonces of shared-secret registration. */
  readonly uia: UserInteractiveAuth
  private readonly accounts: AccountStore
  private readonly hasher: PasswordHasher
  private readonly passwords: PasswordChecker
  private readonly tokens: AccessTokenCache

  constructor(private readonly options: AccountServiceOptions) {
    this.accounts = options.accounts
    this.hasher = options.hasher ?? scryptHasher()
    this.passwords = new PasswordChecker(options.accounts, options.serverName, this.hasher)
    this.uia = new UserInteractiveAuth({
      sessions: options.uiaSessions,
      accounts: options.accounts,
      passwords: this.passwords,
      rateLimiter: options.rateLimiter,
      now: options.now,
      ...(options.uiaSessionLifetimeMs === undefined
        ? {}
        : { sessionLifetimeMs: options.uiaSessionLifetimeMs }),
    })
    this.tokens = new AccessTokenCache(options.tokenCache ?? DEFAULT_TOKEN_CACHE, options.now)
    this.authenticate = async (token, client) => {
      const found = await this.lookupToken(token)
      const deviceId = found.ok ? found.value.deviceId : undefined
      if (client !== undefined && found.ok && deviceId !== undefined) {
        options.deviceActivity?.seen(found.value.userId, deviceId, client.ip)
      }
      return found
    }
  }

  get serverName(): ServerName {
    return this.options.serverName
  }

  /** The user ID an account named `localpart` would get, or why it cannot exist. */
  userIdFor(localpart: string): Result<UserId, ServerError> {
    return newUserId(localpart, this.options.serverName)
  }

  // -------------------------------------------------------------------------------------------
  // Registration

  /** The stages that registration asks for, by configuration. */
  registrationFlows(): readonly (readonly UiaStage[])[] {
    return this.options.registration.registrationTokenRequired
      ? [[REGISTRATION_TOKEN_STAGE]]
      : [['m.login.dummy']]
  }

  /** `POST /register`: checks, then user-interactive auth, then the account and its first login. */
  async register(
    request: RegisterRequest,
    client: ClientInfo,
  ): Promise<Result<RegisterResult, ServerError>> {
    if (request.kind === 'guest') {
      return err(
        serverError('M_GUEST_ACCESS_FORBIDDEN', 'Guest accounts are not supported by this server'),
      )
    }
    if (!this.options.registration.enabled) {
      return err(forbidden('Registration is disabled on this server'))
    }
    // The spec asks for the username checks before interactive auth (and again after it).
    let requested: UserId | undefined
    if (request.username !== undefined) {
      const userId = userIdForRegistration(request.username, this.options.serverName)
      if (!userId.ok) return userId
      if ((await this.accounts.getUser(userId.value)) !== undefined) return err(userInUse())
      requested = userId.value
    }
    const password = checkNewPassword(request.password)
    if (!password.ok) return password

    const passed = await this.uia.run(
      { kind: 'register', flows: this.registrationFlows() },
      request.auth,
    )
    if (!passed.ok) return passed
    const passwordHash =
      request.password === undefined ? undefined : await this.hasher.hash(request.password)
    const session = await this.uia.finish(passed.value.sessionId)
    if (session === undefined) {
      return err(serverError('M_UNKNOWN', 'Unknown or expired session ID', { status: 400 }))
    }
    const created = await this.createUser(requested, passwordHash, false)
    if (!created.ok) {
      await this.uia.releaseReservation(session.completed)
      return created
    }
    const token = session.completed.get(REGISTRATION_TOKEN_STAGE)
    if (token !== undefined) await this.accounts.completeRegistrationToken(token)
    const userId = created.value.userId
    if (request.inhibitLogin) return ok({ userId, session: undefined })
    return ok({ userId, session: await this.startSession(userId, request, client) })
  }

  /**
   * Creates an account directly, without interactive auth or the registration switch: for the
   * `rhizome register` command and shared-secret registration, whose callers are trusted.
   */
  async createAccount(account: NewAccount): Promise<Result<UserRecord, ServerError>> {
    const password = checkNewPassword(account.password)
    if (!password.ok) return password
    const passwordHash =
      account.password === undefined ? undefined : await this.hasher.hash(account.password)
    return this.createUser(
      account.userId,
      passwordHash,
      account.admin ?? false,
      account.displayName,
    )
  }

  /** `GET /register/available`: the name as given (not downcased) must be valid and free. */
  async usernameAvailable(username: string): Promise<Result<true, ServerError>> {
    if (!this.options.registration.enabled) {
      return err(forbidden('Registration is disabled on this server'))
    }
    const userId = newUserId(username, this.options.serverName)
    if (!userId.ok) return userId
    if ((await this.accounts.getUser(userId.value)) !== undefined) return err(userInUse())
    return ok(true)
  }

  /** `GET /register/m.login.registration_token/validity`: a point-in-time check. */
  async registrationTokenValid(token: string): Promise<Result<boolean, ServerError>> {
    if (!this.options.registration.enabled) {
      return err(forbidden('Registration is disabled on this server'))
    }
    if (!isRegistrationTokenSyntax(token)) return ok(false)
    const record = await this.accounts.getRegistrationToken(token)
    if (record === undefined) return ok(false)
    const now = this.options.now()
    const expired = record.expiryTime !== undefined && record.expiryTime <= now
    const usedUp =
      record.usesAllowed !== undefined && record.pending + record.completed >= record.usesAllowed
    return ok(!expired && !usedUp)
  }

  // -------------------------------------------------------------------------------------------
  // Login, logout, tokens

  async login(
    request: LoginRequest,
    client: ClientInfo,
  ): Promise<Result<LoginSession, ServerError>> {
    const user = await this.passwords.check(request.identifier, request.password)
    if (!user.ok) return user
    return ok(await this.startSession(user.value.userId, request, client))
  }

  /**
   * Logs `userId` in on a device: the client's device ID (created if new) or a generated one, and
   * a new access token for it.
   */
  async startSession(
    userId: UserId,
    device: DeviceOptions,
    client?: ClientInfo,
  ): Promise<LoginSession> {
    const now = this.options.now()
    let deviceId = device.deviceId
    if (deviceId === undefined) {
      for (let attempt = 0; deviceId === undefined; attempt++) {
        if (attempt === GENERATED_DEVICE_ATTEMPTS) throw new Error('no free device ID found')
        const candidate = generateDeviceId()
        const made = await this.accounts.createDevice({
          userId,
          deviceId: candidate,
          createdTs: now,
          ...(device.displayName === undefined ? {} : { displayName: device.displayName }),
        })
        if (made.created) deviceId = candidate
      }
    } else {
      const made = await this.accounts.createDevice({
        userId,
        deviceId,
        createdTs: now,
        ...(device.displayName === undefined ? {} : { displayName: device.displayName }),
      })
      // Naming a known device replaces its session: the tokens it had stop working
      // (client-server-api §Relationship between access tokens and devices).
      if (!made.created) await this.revokeDeviceTokens(userId, deviceId)
    }
    const accessToken = generateAccessToken()
    await this.accounts.createAccessToken({
      tokenHash: hashAccessToken(accessToken),
      userId,
      deviceId,
      createdTs: now,
    })
    if (client !== undefined) await this.accounts.recordDeviceSeen(userId, deviceId, now, client.ip)
    return { userId, deviceId, accessToken }
  }

  /** `POST /logout`: the token's device goes, and with it every token of that device. */
  async logout(requester: Requester): Promise<void> {
    if (requester.deviceId === undefined) return
    await this.deleteDevicesOf(requester.userId, [requester.deviceId])
  }

  /** `POST /logout/all`: every device and token of the user. */
  async logoutAll(requester: Requester): Promise<void> {
    const devices = await this.accounts.listDevices(requester.userId)
    await this.deleteDevicesOf(
      requester.userId,
      devices.map((d) => d.deviceId),
    )
    await this.accounts.deleteAllAccessTokens(requester.userId)
    this.tokens.evict(requester.userId, {})
  }

  // -------------------------------------------------------------------------------------------
  // Account management

  /** `POST /account/password`: after m.login.password, sets the new password. */
  async changePassword(
    requester: Requester,
    request: ChangePasswordRequest,
  ): Promise<Result<void, ServerError>> {
    const password = checkNewPassword(request.newPassword)
    if (!password.ok) return password
    const passed = await this.uia.run(
      { kind: 'password', userId: requester.userId, flows: [['m.login.password']] },
      request.auth,
    )
    if (!passed.ok) return passed
    const hash = await this.hasher.hash(request.newPassword)
    await this.accounts.setPasswordHash(requester.userId, hash)
    if (request.logoutDevices) {
      const others = (await this.accounts.listDevices(requester.userId))
        .map((d) => d.deviceId)
        .filter((id) => id !== requester.deviceId)
      await this.accounts.deleteDevices(requester.userId, others)
      await this.options.afterDevicesDeleted?.(requester.userId, others)
      this.tokens.evict(
        requester.userId,
        requester.deviceId === undefined ? {} : { keep: requester.deviceId },
      )
    }
    await this.uia.finish(passed.value.sessionId)
    return ok(undefined)
  }

  /** `POST /account/deactivate`: after m.login.password, the account can never log in again. */
  async deactivate(
    requester: Requester,
    request: DeactivateRequest,
  ): Promise<Result<void, ServerError>> {
    const passed = await this.uia.run(
      { kind: 'deactivate', userId: requester.userId, flows: [['m.login.password']] },
      request.auth,
    )
    if (!passed.ok) return passed
    const devices = await this.accounts.listDevices(requester.userId)
    await this.accounts.deactivate(requester.userId)
    this.tokens.evict(requester.userId, {})
    await this.uia.finish(passed.value.sessionId)
    // While the account is still in its rooms, so that their other servers hear of it.
    await this.options.afterDevicesDeleted?.(
      requester.userId,
      devices.map((d) => d.deviceId),
    )
    await this.options.afterDeactivation?.(requester.userId)
    return ok(undefined)
  }

  // -------------------------------------------------------------------------------------------
  // Devices

  listDevices(requester: Requester): Promise<readonly DeviceRecord[]> {
    return this.accounts.listDevices(requester.userId)
  }

  async getDevice(
    requester: Requester,
    deviceId: string,
  ): Promise<Result<DeviceRecord, ServerError>> {
    const device = await this.accounts.getDevice(requester.userId, deviceId)
    return device === undefined ? err(noSuchDevice()) : ok(device)
  }

  /** `PUT /devices/{deviceId}`: only existing devices (creating is for application services). */
  async updateDevice(
    requester: Requester,
    deviceId: string,
    displayName: string | undefined,
  ): Promise<Result<void, ServerError>> {
    const device = await this.accounts.getDevice(requester.userId, deviceId)
    if (device === undefined) return err(noSuchDevice())
    if (displayName !== undefined) {
      await this.accounts.updateDeviceDisplayName(requester.userId, deviceId, displayName)
      if (displayName !== device.displayName) {
        await this.options.afterDeviceRenamed?.(requester.userId, deviceId)
      }
    }
    return ok(undefined)
  }

  /**
   * `DELETE /devices/{deviceId}` and `POST /delete_devices`: after m.login.password, deletes the
   * devices and their tokens. Devices that do not exist (any more) are no error.
   */
  async deleteDevices(
    requester: Requester,
    deviceIds: readonly string[],
    auth: AuthDict | undefined,
  ): Promise<Result<void, ServerError>> {
    const ids = [...new Set(deviceIds)].sort()
    const passed = await this.uia.run(
      {
        kind: 'delete_devices',
        userId: requester.userId,
        params: ids,
        flows: [['m.login.password']],
      },
      auth,
    )
    if (!passed.ok) return passed
    await this.deleteDevicesOf(requester.userId, ids)
    await this.uia.finish(passed.value.sessionId)
    return ok(undefined)
  }

  // -------------------------------------------------------------------------------------------

  private async lookupToken(token: string): Promise<Result<Requester, ServerError>> {
    const hash = hashAccessToken(token)
    const cached = this.tokens.get(hash)
    if (cached !== undefined) return ok(cached)
    const record = await this.accounts.lookupAccessToken(hash)
    if (record === undefined) return err(unknownToken())
    if (record.isDeactivated) return err(unknownToken('This account has been deactivated'))
    const requester: Requester = {
      userId: record.userId,
      deviceId: record.deviceId,
      isGuest: false,
    }
    this.tokens.set(hash, requester)
    return ok(requester)
  }

  private async revokeDeviceTokens(userId: UserId, deviceId: string): Promise<void> {
    await this.accounts.deleteDeviceAccessTokens(userId, deviceId)
    this.tokens.evict(userId, { deviceIds: [deviceId] })
  }

  private async deleteDevicesOf(userId: UserId, deviceIds: readonly string[]): Promise<void> {
    if (deviceIds.length === 0) return
    await this.accounts.deleteDevices(userId, deviceIds)
    this.tokens.evict(userId, { deviceIds })
    await this.options.afterDevicesDeleted?.(userId, deviceIds)
  }

  private async createUser(
    userId: UserId | undefined,
    passwordHash: string | undefined,
    isAdmin: boolean,
    displayName?: string,
  ): Promise<Result<UserRecord, ServerError>> {
    const createdTs = this.options.now()
    const fields = {
      createdTs,
      isAdmin,
      ...(passwordHash === undefined ? {} : { passwordHash }),
    }
    // A new account's display name is its localpart, as other servers make it, so that clients
    // have a name to show from the first member event on.
    const name = displayName === '' ? undefined : displayName
    if (userId !== undefined) {
      const created = await this.accounts.createUser({
        userId,
        displayName: name ?? userIdLocalpart(userId),
        ...fields,
      })
      return created.ok ? created : err(userInUse())
    }
    for (let attempt = 0; attempt < GENERATED_NAME_ATTEMPTS; attempt++) {
      const generated = newUserId(generateLocalpart(), this.options.serverName)
      if (!generated.ok) return generated
      const created = await this.accounts.createUser({
        userId: generated.value,
        displayName: name ?? userIdLocalpart(generated.value),
        ...fields,
      })
      if (created.ok) return created
    }
    throw new Error('no free generated user ID found')
  }
}

/** A password for a new account or a change: not empty, and at most MAX_PASSWORD_LENGTH. */
function checkNewPassword(password: string | undefined): Result<void, ServerError> {
  if (password === undefined) return ok(undefined)
  if (password === '') return err(serverError('M_WEAK_PASSWORD', 'The password must not be empty'))
  if (password.length > MAX_PASSWORD_LENGTH) {
    return err(
      serverError('M_INVALID_PARAM', `Passwords are at most ${MAX_PASSWORD_LENGTH} characters`),
    )
  }
  return ok(undefined)
}

function userInUse(): ServerError {
  return serverError('M_USER_IN_USE', 'That user ID is already taken')
}

function noSuchDevice(): ServerError {
  return notFound('No device with that ID')
}

import { createHmac, timingSafeEqual } from 'node:crypto'
import { err, ok, type Result, type UserId } from '@rhizome/core'
import type { AccountService, ClientInfo, LoginSession } from '../accounts/account-service.js'
import { asciiLowercase } from '../accounts/usernames.js'
import { forbidden, serverError, type ServerError } from '../http/errors.js'

/**
 * Shared-secret registration, compatible with Synapse's admin API (`/_synapse/admin/v1/register`,
 * used by `register_new_matrix_user` and by deployment tools): whoever knows
 * `registration.shared_secret` can create accounts, admins included, even with registration
 * closed. A nonce from GET is used once and expires after a minute; the POST carries
 * HMAC-SHA1(secret, nonce NUL username NUL password NUL "admin"|"notadmin") in hex.
 */
export interface SharedSecretRequest {
  readonly nonce: string
  readonly username: string
  readonly password: string
  readonly admin: boolean
  readonly mac: string
  readonly inhibitLogin: boolean
  /** The new account's display name; its localpart when absent. */
  readonly displayName?: string | undefined
}

export interface SharedSecretResult {
  readonly userId: UserId
  readonly session: LoginSession | undefined
}

export const NONCE_KIND = 'shared_secret_nonce'
export const NONCE_LIFETIME_MS = 60_000

export class SharedSecretRegistration {
  constructor(
    private readonly secret: string | undefined,
    private readonly accounts: AccountService,
  ) {}

  async createNonce(): Promise<Result<string, ServerError>> {
    if (this.secret === undefined) return err(disabled())
    return ok(await this.accounts.uia.createNonce(NONCE_KIND, NONCE_LIFETIME_MS))
  }

  async register(
    request: SharedSecretRequest,
    client: ClientInfo,
  ): Promise<Result<SharedSecretResult, ServerError>> {
    if (this.secret === undefined) return err(disabled())
    // The nonce is used up first, so that even a wrong MAC cannot be retried with it.
    if (!(await this.accounts.uia.consumeNonce(NONCE_KIND, request.nonce))) {
      return err(serverError('M_UNKNOWN', 'Unrecognised nonce', { status: 400 }))
    }
    if (!macMatches(this.secret, request)) return err(forbidden('HMAC incorrect'))
    const userId = this.accounts.userIdFor(asciiLowercase(request.username))
    if (!userId.ok) return userId
    const created = await this.accounts.createAccount({
      userId: userId.value,
      password: request.password,
      admin: request.admin,
      displayName: request.displayName,
    })
    if (!created.ok) return created
    if (request.inhibitLogin) return ok({ userId: userId.value, session: undefined })
    return ok({
      userId: userId.value,
      session: await this.accounts.startSession(userId.value, {}, client),
    })
  }
}

/** The MAC a request must carry, in lowercase hex. */
export function sharedSecretMac(
  secret: string,
  nonce: string,
  username: string,
  password: string,
  admin: boolean,
): string {
  return createHmac('sha1', Buffer.from(secret, 'utf8'))
    .update(`${nonce}\0${username}\0${password}\0${admin ? 'admin' : 'notadmin'}`, 'utf8')
    .digest('hex')
}

function macMatches(secret: string, request: SharedSecretRequest): boolean {
  const want = Buffer.from(
    sharedSecretMac(secret, request.nonce, request.username, request.password, request.admin),
    'utf8',
  )
  const got = Buffer.from(request.mac.toLowerCase(), 'utf8')
  return got.length === want.length && timingSafeEqual(got, want)
}

function disabled(): ServerError {
  return serverError('M_UNKNOWN', 'Shared secret registration is not enabled', { status: 400 })
}

import { err, ok, type Result, type ServerName } from '@rhizome/core'
import { randomBytes } from 'node:crypto'
import { forbidden, serverError, type ServerError } from '../http/errors.js'
import type { AccountStore, UserRecord } from '../storage/interface.js'
import { candidateUserIds, type LoginIdentifier } from './login-identifier.js'
import {
  DEFAULT_SCRYPT_PARAMS,
  hashPassword,
  verifyPassword,
  type ScryptParams,
} from './password-hash.js'

/** How passwords are hashed and checked; tests pass cheaper scrypt parameters. */
export interface PasswordHasher {
  hash(password: string): Promise<string>
  verify(password: string, stored: string): Promise<boolean>
}

export function scryptHasher(params: ScryptParams = DEFAULT_SCRYPT_PARAMS): PasswordHasher {
  return {
    hash: (password) => hashPassword(password, params),
    verify: verifyPassword,
  }
}

/** Longer passwords are refused outright (as Synapse does): hashing them is work for nothing. */
export const MAX_PASSWORD_LENGTH = 512

/** The one answer for every wrong name or password, so that a login reveals no account. */
const WRONG_CREDENTIALS = 'Invalid username or password'

/**
 * Checks a password login. Every failure takes about one hash verification, whether the account
 * exists or not, so response times do not tell which user IDs exist.
 */
export class PasswordChecker {
  private decoy: Promise<string> | undefined

  constructor(
    private readonly accounts: AccountStore,
    private readonly serverName: ServerName,
    private readonly hasher: PasswordHasher,
  ) {}

  async check(
    identifier: LoginIdentifier,
    password: string,
  ): Promise<Result<UserRecord, ServerError>> {
    if (password.length > MAX_PASSWORD_LENGTH) {
      return err(
        serverError('M_INVALID_PARAM', `Passwords are at most ${MAX_PASSWORD_LENGTH} characters`),
      )
    }
    const user = identifier.kind === 'user' ? await this.findUser(identifier.user) : undefined
    if (user === undefined || user.passwordHash === undefined) {
      await this.hasher.verify(password, await this.decoyHash())
      if (user?.isDeactivated === true) return err(deactivated())
      return err(forbidden(WRONG_CREDENTIALS))
    }
    if (!(await this.hasher.verify(password, user.passwordHash))) {
      return err(forbidden(WRONG_CREDENTIALS))
    }
    if (user.isDeactivated) return err(deactivated())
    return ok(user)
  }

  private async findUser(user: string): Promise<UserRecord | undefined> {
    for (const userId of candidateUserIds(user, this.serverName)) {
      const found = await this.accounts.getUser(userId)
      if (found !== undefined) return found
    }
    return undefined
  }

  /** A hash of a random password with the current parameters, made once, to verify against. */
  private decoyHash(): Promise<string> {
    this.decoy ??= this.hasher.hash(randomBytes(16).toString('hex'))
    return this.decoy
  }
}

function deactivated(): ServerError {
  return serverError('M_USER_DEACTIVATED', 'This account has been deactivated')
}

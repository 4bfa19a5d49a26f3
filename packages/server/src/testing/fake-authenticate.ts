/**
 * FOR TESTS ONLY. An Authenticate hook that knows the tokens a test hands out, for endpoint tests
 * that need users the account service cannot make (guests, which it does not offer yet). The
 * users are also created in storage, since the room service checks that invitees exist.
 */
import { randomBytes } from 'node:crypto'
import { err, ok, parseUserId, type UserId } from '@rhizome/core'
import type { Authenticate, Requester } from '../http/authenticate.js'
import { unknownToken } from '../http/errors.js'
import type { Storage } from '../storage/interface.js'

export interface TestUser {
  readonly userId: UserId
  readonly deviceId: string
  readonly accessToken: string
  readonly requester: Requester
}

export class FakeAuthenticate {
  readonly #tokens = new Map<string, Requester>()
  readonly #storage: Storage
  readonly #serverName: string

  constructor(storage: Storage, serverName = 'example.org') {
    this.#storage = storage
    this.#serverName = serverName
  }

  readonly authenticate: Authenticate = (token) => {
    const requester = this.#tokens.get(token)
    return Promise.resolve(requester === undefined ? err(unknownToken()) : ok(requester))
  }

  /** A user (created in storage if new) with a new device and token. */
  async user(
    localpart: string,
    options: { readonly deviceId?: string; readonly isGuest?: boolean } = {},
  ): Promise<TestUser> {
    const parsed = parseUserId(`@${localpart}:${this.#serverName}`)
    if (!parsed.ok) throw new Error(parsed.error.error)
    const userId = parsed.value
    if ((await this.#storage.accounts.getUser(userId)) === undefined) {
      const created = await this.#storage.accounts.createUser({ userId, createdTs: Date.now() })
      if (!created.ok) throw new Error(created.error.error)
    }
    const deviceId = options.deviceId ?? randomBytes(5).toString('hex').toUpperCase()
    const accessToken = randomBytes(16).toString('hex')
    const requester: Requester = { userId, deviceId, isGuest: options.isGuest ?? false }
    this.#tokens.set(accessToken, requester)
    return { userId, deviceId, accessToken, requester }
  }
}

import type { Result, UserId } from '@rhizome/core'
import { unknownToken, type ServerError } from './errors.js'

/** Who made an authenticated request. The accounts service fills it in from the access token. */
export interface Requester {
  readonly userId: UserId
  /** The device the token belongs to; absent for tokens not tied to one (appservices). */
  readonly deviceId: string | undefined
  readonly isGuest: boolean
}

/**
 * Looks up an access token: M_UNKNOWN_TOKEN (with soft_logout where it applies) for one that is
 * not, or no longer, valid. Injected into the HTTP layer, so it needs no knowledge of storage.
 */
export type Authenticate = (
  accessToken: string,
  /** Where the request came from, for the device's last-seen address; absent outside HTTP. */
  client?: { readonly ip: string },
) => Promise<Result<Requester, ServerError>>

/** Until accounts exist, no token is known, and saying so is the honest answer. */
export const noAccounts: Authenticate = () =>
  Promise.resolve({
    ok: false,
    error: unknownToken('Unknown access token: this server has no accounts yet'),
  })

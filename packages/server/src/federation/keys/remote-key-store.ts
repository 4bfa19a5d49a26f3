import type { JsonObject, ServerName } from '@rhizome/core'

/**
 * Other servers' signing keys, as their key servers (or notaries on their behalf) published them
 * (server-server-api §Retrieving server keys). Only responses whose signatures were checked are
 * stored; the store itself trusts what it is given.
 */
export interface RemoteVerifyKey {
  readonly serverName: ServerName
  /** `ed25519:<version>`. */
  readonly keyId: string
  /** The public key, unpadded base64 as published. */
  readonly key: string
  /**
   * Until when the key may be used: for a current key the response's `valid_until_ts`, capped at
   * seven days after it was fetched (the spec's limit); for an old key its `expired_ts`.
   */
  readonly validUntilTs: number
  /** Set for keys the server listed in `old_verify_keys`: when it stopped using them. */
  readonly expiredTs: number | undefined
  readonly fetchedTs: number
}

/** A server's key response as it signed it, kept so that this server can serve as a notary. */
export interface RemoteKeyResponse {
  readonly serverName: ServerName
  /** The response with only the origin's own signatures. */
  readonly response: JsonObject
  /** The response's `valid_until_ts`, uncapped, as other servers will read it. */
  readonly validUntilTs: number
  readonly fetchedTs: number
}

export interface RemoteKeyStore {
  /**
   * Stores a response and the keys read from it, in one transaction. A key already known keeps
   * the later of the two validities, unless the response retires it (an `expired_ts`) or names
   * other key material under the same ID, which replace what was stored. The stored response is
   * replaced only by one valid for at least as long, so a stale copy relayed late cannot hide a
   * newer one.
   */
  storeResponse(response: RemoteKeyResponse, keys: readonly RemoteVerifyKey[]): Promise<void>
  /** The stored keys of `serverName`, only those with the given IDs when `keyIds` is passed. */
  getKeys(serverName: ServerName, keyIds?: readonly string[]): Promise<readonly RemoteVerifyKey[]>
  /** The stored response of `serverName`, if one was ever stored. */
  getResponse(serverName: ServerName): Promise<RemoteKeyResponse | undefined>
}

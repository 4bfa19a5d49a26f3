import type { JsonObject, RoomId, UserId } from '@rhizome/core'

/**
 * Server-side key backups (client-server-api §Server-side key backups): each user's backup
 * versions, and the encrypted room keys stored in them. A version is a decimal string, larger for
 * each new backup of the user. A deleted version is remembered (deleting it again succeeds) but
 * loses its keys and is never current again.
 */
export interface KeyBackupVersion {
  readonly version: string
  readonly algorithm: string
  readonly authData: JsonObject
  /** Changes whenever the version's keys change. */
  readonly etag: string
  /** How many keys the version holds. */
  readonly count: number
}

/** A key as the client backed it up. */
export interface BackedUpKey {
  readonly firstMessageIndex: number
  readonly forwardedCount: number
  readonly isVerified: boolean
  /** Encrypted by the client: the server never reads it. */
  readonly sessionData: JsonObject
}

export interface RoomKeyRecord extends BackedUpKey {
  readonly roomId: RoomId
  readonly sessionId: string
}

/** Which keys of a version: every key, one room's, or one session's. */
export interface KeyScope {
  readonly roomId?: RoomId
  /** Only together with `roomId`. */
  readonly sessionId?: string
}

/** Whether `incoming` should take the place of `existing`, a stored key of the same session. */
export type KeyReplacementRule = (existing: BackedUpKey, incoming: BackedUpKey) => boolean

/** The state of a version's keys after a change. */
export interface KeysState {
  readonly etag: string
  readonly count: number
}

export type PutKeysOutcome =
  | ({ readonly kind: 'stored' } & KeysState)
  /** The user has no backup that keys could go to. */
  | { readonly kind: 'no-backup' }
  /** Keys only go to the current backup, and this one is not it. */
  | { readonly kind: 'not-current'; readonly currentVersion: string }

export type DeleteVersionOutcome = 'deleted' | 'already-deleted' | 'unknown'

export interface KeyBackupStore {
  /** Creates a new version, which becomes the current one; returns its version. */
  createVersion(userId: UserId, algorithm: string, authData: JsonObject): Promise<string>
  /**
   * The version, or with `version` undefined the current one: the newest that is not deleted.
   * Undefined when there is none, or it was deleted.
   */
  getVersion(userId: UserId, version: string | undefined): Promise<KeyBackupVersion | undefined>
  /** Replaces the auth_data of a version that is not deleted; false when there is none. */
  updateAuthData(userId: UserId, version: string, authData: JsonObject): Promise<boolean>
  /** Deletes the version and all of its keys. */
  deleteVersion(userId: UserId, version: string): Promise<DeleteVersionOutcome>
  /**
   * Stores the keys in the version if it is the current one, all or none. A key for a session
   * that already has one replaces it only where `replace` says so; the etag changes when some key
   * was written.
   */
  putKeys(
    userId: UserId,
    version: string,
    keys: readonly RoomKeyRecord[],
    replace: KeyReplacementRule,
  ): Promise<PutKeysOutcome>
  /**
   * The version's keys in the scope, ordered by room and session; undefined when the version
   * does not exist or was deleted.
   */
  getKeys(
    userId: UserId,
    version: string,
    scope: KeyScope,
  ): Promise<readonly RoomKeyRecord[] | undefined>
  /**
   * Deletes the version's keys in the scope; undefined when the version does not exist or was
   * deleted. The etag changes when some key was deleted.
   */
  deleteKeys(userId: UserId, version: string, scope: KeyScope): Promise<KeysState | undefined>
}

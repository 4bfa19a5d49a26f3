import type { UserId } from '@rhizome/core'

/**
 * Users' global profiles (client-server-api §Profiles) and the user directory search over them
 * (§User Directory). A local user's profile row is made with the account (AccountStore.createUser),
 * so every local user has one.
 */
export interface ProfileRecord {
  readonly userId: UserId
  readonly displayname: string | undefined
  readonly avatarUrl: string | undefined
}

export type ProfileField = 'displayname' | 'avatar_url'

export interface UserSearchQuery {
  /** Who searches: users who share a room with them are found. */
  readonly searcher: UserId
  /**
   * The words to find (engine/profile-search-text.ts `searchWords`): a user matches when each is
   * the start of a word of their user ID or display name. No words match no one.
   */
  readonly words: readonly string[]
  readonly limit: number
}

export interface UserSearchResult {
  /**
   * Best first: more words matched whole, then users with a display name, then by user ID.
   * Only users who are not deactivated and are joined to a room the searcher is joined to, or to
   * a room whose join rule is `public` or whose history is `world_readable`.
   */
  readonly users: readonly ProfileRecord[]
  /** More users matched than `limit`. */
  readonly limited: boolean
}

export interface ProfileStore {
  /** Undefined for a user without a profile (unknown, or of another server). */
  getProfile(userId: UserId): Promise<ProfileRecord | undefined>
  /**
   * Sets one field (undefined clears it), leaving the other as it is, and returns the profile
   * after the change. Creates the profile of a user who has none.
   */
  setField(userId: UserId, field: ProfileField, value: string | undefined): Promise<ProfileRecord>
  searchUsers(query: UserSearchQuery): Promise<UserSearchResult>
}

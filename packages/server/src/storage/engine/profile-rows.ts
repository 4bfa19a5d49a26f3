import type { UserId } from '@rhizome/core'
import type { ProfileRecord, UserSearchResult } from '../profile-store.js'

/** A profiles row, as both dialects select it. */
export interface ProfileRow {
  readonly user_id: string
  readonly displayname: string | null
  readonly avatar_url: string | null
}

export const PROFILE_COLUMNS = 'user_id, displayname, avatar_url'
/** The columns in a query that joins `profiles p` to other tables. */
export const PROFILE_COLUMNS_OF_P = 'p.user_id, p.displayname, p.avatar_url'

/** Rows hold user IDs that were parsed before they were stored. */
export function profileFromRow(row: ProfileRow): ProfileRecord {
  return {
    userId: row.user_id as UserId,
    displayname: row.displayname ?? undefined,
    avatarUrl: row.avatar_url ?? undefined,
  }
}

/** A search's rows, fetched with one row beyond the limit to tell whether there were more. */
export function profileSearchRows(rows: readonly ProfileRow[], limit: number): UserSearchResult {
  return {
    users: rows.slice(0, limit).map(profileFromRow),
    limited: rows.length > limit,
  }
}

import type { UserId } from '@rhizome/core'
import {
  PROFILE_COLUMNS,
  PROFILE_COLUMNS_OF_P,
  profileFromRow,
  profileSearchRows,
  type ProfileRow,
} from '../engine/profile-rows.js'
import { profileSearchText } from '../engine/profile-search-text.js'
import type {
  ProfileField,
  ProfileRecord,
  ProfileStore,
  UserSearchQuery,
  UserSearchResult,
} from '../profile-store.js'
import { sqliteJsonText } from './sqlite-json.js'
import { settle, sqlList, type SqliteStatements } from './sqlite-statements.js'

const jsonText = (path: string): string => sqliteJsonText('e.json', path)

/**
 * The users a search may find: joined to a room the searcher is joined to, or to a room that is
 * public or world-readable. Parameters: searcher, words (JSON list) twice, limit.
 */
const SEARCH_USERS = `
WITH visible_rooms AS (
  SELECT room_id FROM room_memberships WHERE user_id = ? AND membership = 'join'
  UNION
  SELECT c.room_id FROM current_state c JOIN events e ON e.event_id = c.event_id
  WHERE c.type = 'm.room.join_rules' AND c.state_key = ''
    AND ${jsonText('$.content.join_rule')} = 'public'
  UNION
  SELECT c.room_id FROM current_state c JOIN events e ON e.event_id = c.event_id
  WHERE c.type = 'm.room.history_visibility' AND c.state_key = ''
    AND ${jsonText('$.content.history_visibility')} = 'world_readable'
),
words AS (SELECT value AS word FROM json_each(?))
SELECT ${PROFILE_COLUMNS_OF_P},
  (SELECT COUNT(*) FROM words WHERE p.search_text LIKE '% ' || word || ' %') AS whole_words
FROM profiles p JOIN users u ON u.user_id = p.user_id
WHERE u.is_deactivated = 0
  AND NOT EXISTS (SELECT 1 FROM words WHERE p.search_text NOT LIKE '% ' || word || '%')
  AND EXISTS (
    SELECT 1 FROM room_memberships m JOIN visible_rooms v ON v.room_id = m.room_id
    WHERE m.user_id = p.user_id AND m.membership = 'join'
  )
ORDER BY whole_words DESC, p.displayname IS NULL, p.user_id
LIMIT ?`

export class SqliteProfileStore implements ProfileStore {
  readonly #q: SqliteStatements

  constructor(statements: SqliteStatements) {
    this.#q = statements
  }

  getProfile(userId: UserId): Promise<ProfileRecord | undefined> {
    return settle(() => {
      const row = this.#q.one<ProfileRow>(
        `SELECT ${PROFILE_COLUMNS} FROM profiles WHERE user_id = ?`,
        userId,
      )
      return row === undefined ? undefined : profileFromRow(row)
    })
  }

  setField(userId: UserId, field: ProfileField, value: string | undefined): Promise<ProfileRecord> {
    return settle(() => {
      // The search text depends on the display name only, so an avatar change keeps it; the
      // upsert changes one column, so two changes of different fields cannot undo each other.
      const row =
        field === 'displayname'
          ? this.#q.one<ProfileRow>(
              `INSERT INTO profiles (user_id, displayname, avatar_url, search_text)
               VALUES (?, ?, NULL, ?)
               ON CONFLICT (user_id) DO UPDATE
                 SET displayname = excluded.displayname, search_text = excluded.search_text
               RETURNING ${PROFILE_COLUMNS}`,
              userId,
              value ?? null,
              profileSearchText(userId, value),
            )
          : this.#q.one<ProfileRow>(
              `INSERT INTO profiles (user_id, displayname, avatar_url, search_text)
               VALUES (?, NULL, ?, ?)
               ON CONFLICT (user_id) DO UPDATE SET avatar_url = excluded.avatar_url
               RETURNING ${PROFILE_COLUMNS}`,
              userId,
              value ?? null,
              profileSearchText(userId, undefined),
            )
      if (row === undefined) throw new Error(`the profile of ${userId} was not written`)
      return profileFromRow(row)
    })
  }

  searchUsers(query: UserSearchQuery): Promise<UserSearchResult> {
    return settle(() => {
      if (query.words.length === 0) return { users: [], limited: false }
      const rows = this.#q.all<ProfileRow>(
        SEARCH_USERS,
        query.searcher,
        sqlList(query.words),
        query.limit + 1,
      )
      return profileSearchRows(rows, query.limit)
    })
  }
}

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
import type { Queryable } from './postgres-connection.js'
import { pgJsonText } from './postgres-json.js'

/**
 * The users a search may find: joined to a room the searcher is joined to, or to a room that is
 * public or world-readable. Parameters: $1 searcher, $2 words, $3 limit.
 */
const SEARCH_USERS = `
WITH visible_rooms AS (
  SELECT room_id FROM room_memberships WHERE user_id = $1 AND membership = 'join'
  UNION
  SELECT c.room_id FROM current_state c JOIN events e ON e.event_id = c.event_id
  WHERE c.type = 'm.room.join_rules' AND c.state_key = ''
    AND ${pgJsonText('e.json', ['content', 'join_rule'])} = 'public'
  UNION
  SELECT c.room_id FROM current_state c JOIN events e ON e.event_id = c.event_id
  WHERE c.type = 'm.room.history_visibility' AND c.state_key = ''
    AND ${pgJsonText('e.json', ['content', 'history_visibility'])} = 'world_readable'
),
words AS (SELECT unnest($2::text[]) AS word)
SELECT ${PROFILE_COLUMNS_OF_P},
  (SELECT COUNT(*) FROM words WHERE p.search_text LIKE '% ' || word || ' %') AS whole_words
FROM profiles p JOIN users u ON u.user_id = p.user_id
WHERE NOT u.is_deactivated
  AND NOT EXISTS (SELECT 1 FROM words WHERE p.search_text NOT LIKE '% ' || word || '%')
  AND EXISTS (
    SELECT 1 FROM room_memberships m JOIN visible_rooms v ON v.room_id = m.room_id
    WHERE m.user_id = p.user_id AND m.membership = 'join'
  )
ORDER BY whole_words DESC, p.displayname IS NULL, p.user_id COLLATE "C"
LIMIT $3`

export class PostgresProfileStore implements ProfileStore {
  readonly #db: Queryable

  constructor(db: Queryable) {
    this.#db = db
  }

  async getProfile(userId: UserId): Promise<ProfileRecord | undefined> {
    const { rows } = await this.#db.query<ProfileRow>(
      `SELECT ${PROFILE_COLUMNS} FROM profiles WHERE user_id = $1`,
      [userId],
    )
    const row = rows[0]
    return row === undefined ? undefined : profileFromRow(row)
  }

  async setField(
    userId: UserId,
    field: ProfileField,
    value: string | undefined,
  ): Promise<ProfileRecord> {
    // The search text depends on the display name only, so an avatar change keeps it; the
    // upsert changes one column, so two changes of different fields cannot undo each other.
    const { rows } =
      field === 'displayname'
        ? await this.#db.query<ProfileRow>(
            `INSERT INTO profiles (user_id, displayname, avatar_url, search_text)
             VALUES ($1, $2, NULL, $3)
             ON CONFLICT (user_id) DO UPDATE
               SET displayname = excluded.displayname, search_text = excluded.search_text
             RETURNING ${PROFILE_COLUMNS}`,
            [userId, value ?? null, profileSearchText(userId, value)],
          )
        : await this.#db.query<ProfileRow>(
            `INSERT INTO profiles (user_id, displayname, avatar_url, search_text)
             VALUES ($1, NULL, $2, $3)
             ON CONFLICT (user_id) DO UPDATE SET avatar_url = excluded.avatar_url
             RETURNING ${PROFILE_COLUMNS}`,
            [userId, value ?? null, profileSearchText(userId, undefined)],
          )
    const row = rows[0]
    if (row === undefined) throw new Error(`the profile of ${userId} was not written`)
    return profileFromRow(row)
  }

  async searchUsers(query: UserSearchQuery): Promise<UserSearchResult> {
    if (query.words.length === 0) return { users: [], limited: false }
    const { rows } = await this.#db.query<ProfileRow>(SEARCH_USERS, [
      query.searcher,
      query.words,
      query.limit + 1,
    ])
    return profileSearchRows(rows, query.limit)
  }
}

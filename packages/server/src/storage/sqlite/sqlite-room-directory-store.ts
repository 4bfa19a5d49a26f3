import {
  containsPattern,
  LISTED_JOIN_RULES,
  PUBLISHED_ROOM_FIELDS,
  publishedRoomsPage,
  type PublishedRoomRow,
} from '../engine/published-room-rows.js'
import type {
  PublishedRoomsPage,
  PublishedRoomsQuery,
  RoomDirectoryStore,
} from '../room-directory-store.js'
import { sqliteJsonText } from './sqlite-json.js'
import { settle, sqlBool, sqlList, type SqliteStatements } from './sqlite-statements.js'

const fieldColumns = PUBLISHED_ROOM_FIELDS.map(({ column, type, key, keptByRedaction }) => {
  const text = sqliteJsonText('e.json', `$.content.${key}`)
  const value = keptByRedaction ? text : `CASE WHEN e.redacted_by IS NULL THEN ${text} END`
  return `(SELECT ${value}
    FROM current_state c JOIN events e ON e.event_id = c.event_id
    WHERE c.room_id = r.room_id AND c.type = '${type}' AND c.state_key = '') AS ${column}`
}).join(',\n  ')

/**
 * The published rooms that are listed and match the filter. Named parameters: pattern (NULL for
 * no search term), typed (1 when room types are filtered), types (JSON list), untyped (1 when
 * rooms without a type are wanted).
 */
const MATCHING = `
WITH listed AS (
  SELECT r.room_id,
  (SELECT COUNT(*) FROM room_memberships m
    WHERE m.room_id = r.room_id AND m.membership = 'join') AS joined_members,
  ${fieldColumns}
  FROM rooms r WHERE r.is_public = 1
),
matching AS (
  SELECT * FROM listed
  WHERE (join_rule IN ${LISTED_JOIN_RULES} OR history_visibility = 'world_readable')
    AND (@pattern IS NULL
      OR lower(name) LIKE @pattern ESCAPE '\\'
      OR lower(topic) LIKE @pattern ESCAPE '\\'
      OR lower(canonical_alias) LIKE @pattern ESCAPE '\\')
    AND (@typed = 0
      OR room_type IN (SELECT value FROM json_each(@types))
      OR (room_type IS NULL AND @untyped = 1))
)`

const COUNT = `${MATCHING} SELECT COUNT(*) AS total FROM matching`

const PAGE = {
  first: `${MATCHING} SELECT * FROM matching
    ORDER BY joined_members DESC, room_id LIMIT @limit`,
  forwards: `${MATCHING} SELECT * FROM matching
    WHERE joined_members < @joined OR (joined_members = @joined AND room_id > @room)
    ORDER BY joined_members DESC, room_id LIMIT @limit`,
  backwards: `${MATCHING} SELECT * FROM matching
    WHERE joined_members > @joined OR (joined_members = @joined AND room_id < @room)
    ORDER BY joined_members, room_id DESC LIMIT @limit`,
}

export class SqliteRoomDirectoryStore implements RoomDirectoryStore {
  readonly #q: SqliteStatements

  constructor(statements: SqliteStatements) {
    this.#q = statements
  }

  publishedRooms(query: PublishedRoomsQuery): Promise<PublishedRoomsPage> {
    return settle(() => {
      const types = query.roomTypes ?? []
      const filter = {
        pattern: query.searchTerm === undefined ? null : containsPattern(query.searchTerm),
        typed: sqlBool(query.roomTypes !== undefined),
        types: sqlList(types.filter((t): t is string => t !== null)),
        untyped: sqlBool(types.includes(null)),
      }
      const { from } = query
      const page = this.#q.all<PublishedRoomRow>(
        from === undefined ? PAGE.first : PAGE[from.direction],
        {
          ...filter,
          // LIMIT -1 is no limit; one row beyond the limit tells whether there are more.
          limit: query.limit === undefined ? -1 : query.limit + 1,
          ...(from === undefined ? {} : { joined: from.joinedMembers, room: from.roomId }),
        },
      )
      const total = this.#q.one<{ total: number }>(COUNT, filter)?.total ?? 0
      return publishedRoomsPage(page, query, total)
    })
  }
}

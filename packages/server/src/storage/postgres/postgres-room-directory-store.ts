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
import type { Queryable } from './postgres-connection.js'
import { pgJsonText } from './postgres-json.js'

const fieldColumns = PUBLISHED_ROOM_FIELDS.map(({ column, type, key, keptByRedaction }) => {
  const text = pgJsonText('e.json', ['content', key])
  const value = keptByRedaction ? text : `CASE WHEN e.redacted_by IS NULL THEN ${text} END`
  return `(SELECT ${value}
    FROM current_state c JOIN events e ON e.event_id = c.event_id
    WHERE c.room_id = r.room_id AND c.type = '${type}' AND c.state_key = '') AS ${column}`
}).join(',\n  ')

/**
 * The published rooms that are listed and match the filter. Parameters: $1 the LIKE pattern (NULL
 * for no search term), $2 whether room types are filtered, $3 the room types, $4 whether rooms
 * without a type are wanted.
 */
const MATCHING = `
WITH listed AS (
  SELECT r.room_id,
  (SELECT COUNT(*) FROM room_memberships m
    WHERE m.room_id = r.room_id AND m.membership = 'join') AS joined_members,
  ${fieldColumns}
  FROM rooms r WHERE r.is_public
),
matching AS (
  SELECT * FROM listed
  WHERE (join_rule IN ${LISTED_JOIN_RULES} OR history_visibility = 'world_readable')
    AND ($1::text IS NULL
      OR lower(name) LIKE $1 ESCAPE '\\'
      OR lower(topic) LIKE $1 ESCAPE '\\'
      OR lower(canonical_alias) LIKE $1 ESCAPE '\\')
    AND (NOT $2::boolean
      OR room_type = ANY($3::text[])
      OR (room_type IS NULL AND $4::boolean))
)`

const COUNT = `${MATCHING} SELECT COUNT(*) AS total FROM matching`

/** $5 the limit (NULL for none), $6 and $7 the cursor's joined members and room ID. */
const PAGE = {
  first: `${MATCHING} SELECT * FROM matching
    ORDER BY joined_members DESC, room_id COLLATE "C" LIMIT $5`,
  forwards: `${MATCHING} SELECT * FROM matching
    WHERE joined_members < $6 OR (joined_members = $6 AND room_id COLLATE "C" > $7)
    ORDER BY joined_members DESC, room_id COLLATE "C" LIMIT $5`,
  backwards: `${MATCHING} SELECT * FROM matching
    WHERE joined_members > $6 OR (joined_members = $6 AND room_id COLLATE "C" < $7)
    ORDER BY joined_members, room_id COLLATE "C" DESC LIMIT $5`,
}

export class PostgresRoomDirectoryStore implements RoomDirectoryStore {
  readonly #db: Queryable

  constructor(db: Queryable) {
    this.#db = db
  }

  async publishedRooms(query: PublishedRoomsQuery): Promise<PublishedRoomsPage> {
    const types = query.roomTypes ?? []
    const filter = [
      query.searchTerm === undefined ? null : containsPattern(query.searchTerm),
      query.roomTypes !== undefined,
      types.filter((t): t is string => t !== null),
      types.includes(null),
    ]
    // One row beyond the limit tells whether there are more.
    const limit = query.limit === undefined ? null : query.limit + 1
    const { from } = query
    const [page, count] = await Promise.all([
      from === undefined
        ? this.#db.query<PublishedRoomRow>(PAGE.first, [...filter, limit])
        : this.#db.query<PublishedRoomRow>(PAGE[from.direction], [
            ...filter,
            limit,
            from.joinedMembers,
            from.roomId,
          ]),
      this.#db.query<{ total: number }>(COUNT, filter),
    ])
    return publishedRoomsPage(page.rows, query, count.rows[0]?.total ?? 0)
  }
}

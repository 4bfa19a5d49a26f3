/**
 * The push-action reads both dialects share (PushStore in push-store.ts), with PostgreSQL's
 * numbered parameters (SQLite runs them through toPositional). What counts for a user in a room
 * is the union of the room actions they have no row of their own at, and their own rows that
 * notify (see NewRoomPushAction).
 */

/** Actions of $1 in room $2 at positions in ($3, $4], in one thread ($5) or all. */
const COUNTED = (oneThread: boolean): string => {
  const thread = (alias: string): string => (oneThread ? `AND ${alias}.thread_id = $5` : '')
  return `SELECT r.thread_id, r.highlight FROM push_room_actions r
    WHERE r.room_id = $2 AND r.stream_position > $3 AND r.stream_position <= $4 ${thread('r')}
      AND NOT EXISTS (SELECT 1 FROM push_actions own
        WHERE own.user_id = $1 AND own.room_id = r.room_id
          AND own.stream_position = r.stream_position)
    UNION ALL
    SELECT p.thread_id, p.highlight FROM push_actions p
    WHERE p.user_id = $1 AND p.room_id = $2 AND p.stream_position > $3
      AND p.stream_position <= $4 AND p.notify ${thread('p')}`
}

const COUNTS = `CAST(COUNT(*) AS INTEGER) AS n,
  CAST(SUM(CASE WHEN a.highlight THEN 1 ELSE 0 END) AS INTEGER) AS h`

/** Unread counts per thread: $1 user, $2 room, ($3, $4] the range. */
export const UNREAD_BY_THREAD = `SELECT a.thread_id, ${COUNTS} FROM (${COUNTED(false)}) a
  GROUP BY a.thread_id`

/** The unread count of one thread ($5). */
export const UNREAD_IN_THREAD = `SELECT ${COUNTS} FROM (${COUNTED(true)}) a`

/**
 * The notifications of $1 before position $2, newest first, at most $3: their own rows that
 * notify, and the room actions of rooms they are joined to, since they joined, of events they
 * did not send, where they have no row of their own.
 */
export const notificationsSql = (onlyHighlight: boolean): string => {
  const highlight = (alias: string): string => (onlyHighlight ? `AND ${alias}.highlight` : '')
  return `SELECT * FROM (
    SELECT p.user_id, p.room_id, p.stream_position, e.event_id, p.thread_id, p.actions,
      p.highlight, p.ts
    FROM push_actions p JOIN events e ON e.stream_position = p.stream_position
    WHERE p.user_id = $1 AND p.stream_position < $2 AND p.notify ${highlight('p')}
    UNION ALL
    SELECT m.user_id, r.room_id, r.stream_position, e.event_id, r.thread_id, r.actions,
      r.highlight, r.ts
    FROM room_memberships m
    JOIN push_room_actions r ON r.room_id = m.room_id AND r.stream_position > m.stream_position
    JOIN events e ON e.stream_position = r.stream_position
    WHERE m.user_id = $1 AND m.membership = 'join' AND r.stream_position < $2
      AND e.sender <> $1 ${highlight('r')}
      AND NOT EXISTS (SELECT 1 FROM push_actions own
        WHERE own.user_id = $1 AND own.room_id = r.room_id
          AND own.stream_position = r.stream_position)
  ) n ORDER BY n.stream_position DESC LIMIT $3`
}

/** The read being raised, as SQL expressions of the query that asks. */
export interface ReadColumns {
  readonly user: string
  readonly room: string
  readonly thread: string
  /** The position it is raised to. */
  readonly position: string
}

/**
 * Whether raising a read position passes an action that may count for its user: their own
 * that notifies, or a room action of an event they did not send (taken to count: telling a
 * user whose count did not change is harmless, missing one is not). The range starts at the
 * read position held now for that thread.
 */
export function readPassesActions(read: ReadColumns): string {
  const since = `COALESCE((SELECT held.position FROM read_positions held
      WHERE held.user_id = ${read.user} AND held.room_id = ${read.room}
        AND held.thread_id = ${read.thread}), 0)`
  // Aliases unlike any of the asking query's, whose columns the expressions name.
  return `(EXISTS (SELECT 1 FROM push_actions own
      WHERE own.user_id = ${read.user} AND own.room_id = ${read.room} AND own.notify
        AND own.stream_position <= ${read.position} AND own.stream_position > ${since})
    OR EXISTS (SELECT 1 FROM push_room_actions shared
      JOIN events e ON e.stream_position = shared.stream_position
      WHERE shared.room_id = ${read.room} AND e.sender <> ${read.user}
        AND shared.stream_position <= ${read.position} AND shared.stream_position > ${since}))`
}

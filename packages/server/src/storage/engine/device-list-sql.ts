import type { UserId } from '@rhizome/core'
import type { OutboundStreamIds, SharingChanges } from '../e2e-key-store.js'

/**
 * The device-list queries of both dialects (DeviceListStore in e2e-key-store.ts), written with
 * PostgreSQL's numbered parameters: $1 the user, $2 since, $3 upTo. SQLite runs them through
 * numberedToPositional. "Sharing a room" means both users are joined to it now.
 */

/** Whether the user in `other` shares a joined room with $1. */
const SHARES_A_ROOM = (other: string): string => `EXISTS (
    SELECT 1 FROM room_memberships shared_mine
    JOIN room_memberships shared_theirs ON shared_theirs.room_id = shared_mine.room_id
    WHERE shared_mine.user_id = $1 AND shared_mine.membership = 'join'
      AND shared_theirs.user_id = ${other} AND shared_theirs.membership = 'join')`

export const CHANGED_IN_SHARED_ROOMS = `SELECT DISTINCT c.user_id FROM device_list_changes c
  WHERE c.stream_position > $2 AND c.stream_position <= $3
    AND (c.user_id = $1 OR ${SHARES_A_ROOM('c.user_id')})`

/** Members of $1's rooms who joined in the range, and every member of rooms $1 joined in it. */
const NEWLY_SHARING = `SELECT DISTINCT 'n' AS kind, theirs.user_id FROM room_memberships mine
  JOIN room_memberships theirs ON theirs.room_id = mine.room_id AND theirs.membership = 'join'
  WHERE mine.user_id = $1 AND mine.membership = 'join' AND theirs.user_id <> $1
    AND ((theirs.stream_position > $2 AND theirs.stream_position <= $3)
      OR (mine.stream_position > $2 AND mine.stream_position <= $3))`

/**
 * Members who left $1's rooms in the range, and members of rooms $1 left in it (who were still
 * there or left in the range too), of whom none shares a room with $1 now.
 */
const STOPPED_SHARING = `SELECT DISTINCT 's' AS kind, theirs.user_id FROM room_memberships mine
  JOIN room_memberships theirs ON theirs.room_id = mine.room_id
  WHERE mine.user_id = $1 AND theirs.user_id <> $1
    AND ((mine.membership = 'join' AND theirs.membership IN ('leave', 'ban')
          AND theirs.stream_position > $2 AND theirs.stream_position <= $3)
      OR (mine.membership IN ('leave', 'ban')
          AND mine.stream_position > $2 AND mine.stream_position <= $3
          AND (theirs.membership = 'join' OR theirs.stream_position > $2)))
    AND NOT ${SHARES_A_ROOM('theirs.user_id')}`

/** Both lists in one read: kind 'n' for newly sharing, 's' for stopped sharing. */
export const SHARING_CHANGES = `${NEWLY_SHARING}
  UNION ALL
  ${STOPPED_SHARING}`

export interface SharingRow {
  readonly kind: string
  readonly user_id: string
}

export function sharingFromRows(rows: readonly SharingRow[]): SharingChanges {
  const newly: UserId[] = []
  const stopped: UserId[] = []
  for (const row of rows) (row.kind === 'n' ? newly : stopped).push(row.user_id as UserId)
  return { newlySharing: newly, stoppedSharing: stopped }
}

/** The rooms users are joined to: whose members a change to their devices wakes. */
export const ROOMS_OF_USERS_SQLITE = `SELECT DISTINCT room_id FROM room_memberships
  WHERE user_id IN (SELECT value FROM json_each(?)) AND membership = 'join'`
export const ROOMS_OF_USERS_POSTGRES = `SELECT DISTINCT room_id FROM room_memberships
  WHERE user_id = ANY($1::text[]) AND membership = 'join'`

/** A numbered-parameter query rewritten for SQLite, with how to order its values. */
export interface PositionalQuery {
  readonly sql: string
  bind(values: readonly unknown[]): unknown[]
}

/**
 * better-sqlite3 cannot bind numbered parameters from an array: `$n` becomes `?`, and the values
 * are repeated in the order their parameters appear.
 */
export function toPositional(sql: string): PositionalQuery {
  const order: number[] = []
  const text = sql.replace(/\$(\d+)/g, (_, n: string) => {
    order.push(Number(n) - 1)
    return '?'
  })
  return { sql: text, bind: (values) => order.map((i) => values[i]) }
}

/**
 * Adds $2 to the user's last outbound stream ID (0 before the first) and returns the new last
 * one, in one statement, so that concurrent takers get disjoint IDs.
 */
const TAKE_OUTBOUND = (count: string): string => `INSERT INTO device_list_outbound_streams
  (user_id, stream_id) VALUES ($1, ${count})
  ON CONFLICT (user_id) DO UPDATE
    SET stream_id = device_list_outbound_streams.stream_id + excluded.stream_id
  RETURNING stream_id`
export const TAKE_OUTBOUND_STREAM_IDS_POSTGRES = TAKE_OUTBOUND('$2::bigint')
export const TAKE_OUTBOUND_STREAM_IDS_SQLITE = TAKE_OUTBOUND('?').replace('$1', '?')

export const OUTBOUND_STREAM_ID =
  'SELECT stream_id FROM device_list_outbound_streams WHERE user_id = $1'

/** The IDs taken, from the new last ID and how many were taken. */
export function outboundStreamIds(last: number, count: number): OutboundStreamIds {
  const first = last - count + 1
  return {
    previous: first > 1 ? first - 1 : undefined,
    ids: Array.from({ length: count }, (_, i) => first + i),
  }
}

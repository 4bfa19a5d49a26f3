import type { EventId, RoomId, UserId } from '@rhizome/core'
import type { RoomMemberSummary, RoomNews, SyncStore } from '../sync-store.js'
import type { Queryable } from './postgres-connection.js'

const PRESENT = ['join', 'invite']
const DEPARTED = ['leave', 'ban']

export class PostgresSyncStore implements SyncStore {
  readonly #db: Queryable

  constructor(db: Queryable) {
    this.#db = db
  }

  async roomsWithEventsSince(
    roomIds: readonly RoomId[],
    since: number,
    upTo: number,
  ): Promise<ReadonlySet<RoomId>> {
    if (roomIds.length === 0) return new Set()
    // EXISTS per room: an index probe on (room_id, stream_position) each, however long the gap.
    const { rows } = await this.#db.query<{ room_id: RoomId }>(
      `SELECT DISTINCT w.room_id FROM unnest($1::text[]) AS w (room_id)
       WHERE EXISTS (SELECT 1 FROM events e
         WHERE e.room_id = w.room_id AND e.stream_position > $2 AND e.stream_position <= $3
           AND e.rejection_reason IS NULL)`,
      [roomIds, since, upTo],
    )
    return new Set(rows.map((row) => row.room_id))
  }

  async roomNews(
    userId: UserId,
    roomIds: readonly RoomId[],
    since: number,
    upTo: number,
  ): Promise<RoomNews> {
    const events = new Set<RoomId>()
    const unreadCounts = new Set<RoomId>()
    if (roomIds.length === 0) return { events, unreadCounts }
    const { rows } = await this.#db.query<{ room_id: RoomId; counts: boolean }>(
      `SELECT w.room_id, false AS counts FROM unnest($1::text[]) AS w (room_id)
       WHERE EXISTS (SELECT 1 FROM events e
         WHERE e.room_id = w.room_id AND e.stream_position > $2 AND e.stream_position <= $3
           AND e.rejection_reason IS NULL)
       UNION ALL
       SELECT u.room_id, true AS counts FROM unread_changes u
       WHERE u.user_id = $4 AND u.position > $2 AND u.position <= $3
         AND u.room_id = ANY($1::text[])
       UNION ALL
       SELECT c.room_id, true AS counts FROM room_unread_changes c
       WHERE c.room_id = ANY($1::text[]) AND c.position > $2 AND c.position <= $3
         AND c.sender IS DISTINCT FROM $4`,
      [roomIds, since, upTo, userId],
    )
    for (const row of rows) (row.counts ? unreadCounts : events).add(row.room_id)
    return { events, unreadCounts }
  }

  async memberSummary(
    roomId: RoomId,
    excluding: UserId,
    heroes: number,
  ): Promise<RoomMemberSummary> {
    const counts = await this.#db.query<{ membership: string; n: number }>(
      `SELECT membership, COUNT(*)::bigint AS n FROM room_memberships
       WHERE room_id = $1 AND membership = ANY($2::text[]) GROUP BY membership`,
      [roomId, PRESENT],
    )
    const pick = async (memberships: readonly string[]): Promise<UserId[]> => {
      const { rows } = await this.#db.query<{ user_id: UserId }>(
        `SELECT user_id FROM room_memberships
         WHERE room_id = $1 AND membership = ANY($2::text[]) AND user_id <> $3
         ORDER BY stream_position, user_id LIMIT $4`,
        [roomId, memberships, excluding, heroes],
      )
      return rows.map((row) => row.user_id)
    }
    let chosen = await pick(PRESENT)
    if (chosen.length === 0) chosen = await pick(DEPARTED)
    return {
      joined: counts.rows.find((c) => c.membership === 'join')?.n ?? 0,
      invited: counts.rows.find((c) => c.membership === 'invite')?.n ?? 0,
      heroes: chosen,
    }
  }

  async transactionIds(
    userId: UserId,
    deviceId: string,
    eventIds: readonly EventId[],
  ): Promise<ReadonlyMap<EventId, string>> {
    const out = new Map<EventId, string>()
    if (eventIds.length === 0) return out
    const { rows } = await this.#db.query<{ event_id: EventId; txn_id: string }>(
      `SELECT event_id, txn_id FROM txn_ids
       WHERE event_id = ANY($1::text[]) AND user_id = $2 AND device_id = $3`,
      [eventIds, userId, deviceId],
    )
    for (const row of rows) out.set(row.event_id, row.txn_id)
    return out
  }
}

import type { EventId, RoomId, UserId } from '@rhizome/core'
import type { RoomMemberSummary, RoomNews, SyncStore } from '../sync-store.js'
import { settle, sqlList, type SqliteStatements } from './sqlite-statements.js'

const PRESENT = `('join', 'invite')`
const DEPARTED = `('leave', 'ban')`

export class SqliteSyncStore implements SyncStore {
  readonly #q: SqliteStatements

  constructor(statements: SqliteStatements) {
    this.#q = statements
  }

  roomsWithEventsSince(
    roomIds: readonly RoomId[],
    since: number,
    upTo: number,
  ): Promise<ReadonlySet<RoomId>> {
    return settle(() => {
      if (roomIds.length === 0) return new Set<RoomId>()
      // EXISTS per room: an index probe on (room_id, stream_position) each, however long the gap.
      const rows = this.#q.all<{ room_id: RoomId }>(
        `SELECT DISTINCT w.value AS room_id FROM json_each(?) w
         WHERE EXISTS (SELECT 1 FROM events e
           WHERE e.room_id = w.value AND e.stream_position > ? AND e.stream_position <= ?
             AND e.rejection_reason IS NULL)`,
        sqlList(roomIds),
        since,
        upTo,
      )
      return new Set(rows.map((row) => row.room_id))
    })
  }

  roomNews(
    userId: UserId,
    roomIds: readonly RoomId[],
    since: number,
    upTo: number,
  ): Promise<RoomNews> {
    return settle(() => {
      const events = new Set<RoomId>()
      const unreadCounts = new Set<RoomId>()
      if (roomIds.length === 0) return { events, unreadCounts }
      const rooms = sqlList(roomIds)
      const rows = this.#q.all<{ room_id: RoomId; counts: number }>(
        `SELECT w.value AS room_id, 0 AS counts FROM json_each(?) w
         WHERE EXISTS (SELECT 1 FROM events e
           WHERE e.room_id = w.value AND e.stream_position > ? AND e.stream_position <= ?
             AND e.rejection_reason IS NULL)
         UNION ALL
         SELECT u.room_id, 1 AS counts FROM unread_changes u
         WHERE u.user_id = ? AND u.position > ? AND u.position <= ?
           AND u.room_id IN (SELECT value FROM json_each(?))
         UNION ALL
         SELECT c.room_id, 1 AS counts FROM room_unread_changes c
         WHERE c.room_id IN (SELECT value FROM json_each(?)) AND c.position > ? AND c.position <= ?
           AND c.sender IS NOT ?`,
        rooms,
        since,
        upTo,
        userId,
        since,
        upTo,
        rooms,
        rooms,
        since,
        upTo,
        userId,
      )
      for (const row of rows) (row.counts === 1 ? unreadCounts : events).add(row.room_id)
      return { events, unreadCounts }
    })
  }

  memberSummary(roomId: RoomId, excluding: UserId, heroes: number): Promise<RoomMemberSummary> {
    return settle(() => {
      const counts = this.#q.all<{ membership: string; n: number }>(
        `SELECT membership, COUNT(*) AS n FROM room_memberships
         WHERE room_id = ? AND membership IN ${PRESENT} GROUP BY membership`,
        roomId,
      )
      const pick = (memberships: string): UserId[] =>
        this.#q
          .all<{ user_id: UserId }>(
            `SELECT user_id FROM room_memberships
             WHERE room_id = ? AND membership IN ${memberships} AND user_id <> ?
             ORDER BY stream_position, user_id LIMIT ?`,
            roomId,
            excluding,
            heroes,
          )
          .map((row) => row.user_id)
      let chosen = pick(PRESENT)
      if (chosen.length === 0) chosen = pick(DEPARTED)
      return {
        joined: counts.find((c) => c.membership === 'join')?.n ?? 0,
        invited: counts.find((c) => c.membership === 'invite')?.n ?? 0,
        heroes: chosen,
      }
    })
  }

  transactionIds(
    userId: UserId,
    deviceId: string,
    eventIds: readonly EventId[],
  ): Promise<ReadonlyMap<EventId, string>> {
    return settle(() => {
      const out = new Map<EventId, string>()
      if (eventIds.length === 0) return out
      const rows = this.#q.all<{ event_id: EventId; txn_id: string }>(
        `SELECT event_id, txn_id FROM txn_ids
         WHERE event_id IN (SELECT value FROM json_each(?)) AND user_id = ? AND device_id = ?`,
        sqlList(eventIds),
        userId,
        deviceId,
      )
      for (const row of rows) out.set(row.event_id, row.txn_id)
      return out
    })
  }
}

import type { EventId, RoomId, UserId } from '@rhizome/core'
import type {
  ExistingEvent,
  GroupEntry,
  MembershipChange,
  NewEventRow,
  OutlierRow,
  StateGroupEntryRow,
  StateGroupRow,
} from '../engine/engine-ops.js'
import type { AsyncEngineOps } from '../engine/steps.js'
import type { NewRoom, StateEntry, StateKeyPair, StreamNotification, TxnKey } from '../interface.js'
import { encodeNotification } from './notification-payload.js'
import type { Queryable } from './postgres-connection.js'

export const NOTIFY_CHANNEL = 'rhizome_stream'

interface GroupRow {
  id: number
  room_id: string
  prev_group: number | null
  delta_count: number
}

/**
 * The engine's primitives on one PostgreSQL connection, inside the transaction that the caller
 * opened. Lists travel as array parameters (unnest / ANY), so each primitive is one round trip.
 */
export class PostgresEngineOps implements AsyncEngineOps {
  readonly #db: Queryable

  constructor(db: Queryable) {
    this.#db = db
  }

  async findEvent(eventId: EventId): Promise<ExistingEvent | undefined> {
    const { rows } = await this.#db.query<{
      stream_position: number | null
      state_group_before: number | null
      state_group_after: number | null
    }>(
      `SELECT stream_position, state_group_before, state_group_after FROM events WHERE event_id = $1`,
      [eventId],
    )
    const row = rows[0]
    if (row === undefined) return undefined
    return {
      eventId,
      streamPosition: row.stream_position ?? undefined,
      stateGroupBefore: row.state_group_before ?? undefined,
      stateGroupAfter: row.state_group_after ?? undefined,
    }
  }

  async findTxn(txn: TxnKey): Promise<EventId | undefined> {
    const { rows } = await this.#db.query<{ event_id: EventId }>(
      'SELECT event_id FROM txn_ids WHERE user_id = $1 AND device_id = $2 AND txn_id = $3',
      [txn.userId, txn.deviceId, txn.txnId],
    )
    return rows[0]?.event_id
  }

  async claimTxn(
    txn: TxnKey,
    roomId: RoomId,
    eventId: EventId,
    createdTs: number,
  ): Promise<boolean> {
    // A concurrent claim of the same ID waits here for the other transaction, then does nothing.
    const { rowCount } = await this.#db.query(
      `INSERT INTO txn_ids (user_id, device_id, txn_id, room_id, event_id, created_ts)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
      [txn.userId, txn.deviceId, txn.txnId, roomId, eventId, createdTs],
    )
    return rowCount === 1
  }

  async getRoomRow(roomId: RoomId): Promise<{ currentStateGroup: number | undefined } | undefined> {
    const { rows } = await this.#db.query<{ current_state_group: number | null }>(
      'SELECT current_state_group FROM rooms WHERE room_id = $1',
      [roomId],
    )
    const row = rows[0]
    return row === undefined
      ? undefined
      : { currentStateGroup: row.current_state_group ?? undefined }
  }

  async insertRoom(roomId: RoomId, room: NewRoom, createdTs: number): Promise<void> {
    await this.#db.query(
      `INSERT INTO rooms (room_id, room_version, creator, created_ts, is_public)
       VALUES ($1, $2, $3, $4, $5)`,
      [roomId, room.version, room.creator, createdTs, room.isPublic],
    )
  }

  async getStateGroup(groupId: number): Promise<StateGroupRow | undefined> {
    const { rows } = await this.#db.query<GroupRow>(
      'SELECT id, room_id, prev_group, delta_count FROM state_groups WHERE id = $1',
      [groupId],
    )
    const row = rows[0]
    return row === undefined ? undefined : groupFromRow(row)
  }

  async stateGroupChain(groupId: number): Promise<readonly StateGroupRow[]> {
    const { rows } = await this.#db.query<GroupRow>(
      `WITH RECURSIVE chain (id, room_id, prev_group, delta_count, step) AS (
         SELECT id, room_id, prev_group, delta_count, 0 FROM state_groups WHERE id = $1
         UNION ALL
         SELECT g.id, g.room_id, g.prev_group, g.delta_count, chain.step + 1
         FROM state_groups g JOIN chain ON g.id = chain.prev_group
       )
       SELECT id, room_id, prev_group, delta_count FROM chain ORDER BY step`,
      [groupId],
    )
    return rows.map(groupFromRow)
  }

  async stateGroupEntries(groupIds: readonly number[]): Promise<readonly StateGroupEntryRow[]> {
    const { rows } = await this.#db.query<{
      group_id: number
      type: string
      state_key: string
      event_id: string | null
    }>(
      `SELECT group_id, type, state_key, event_id FROM state_group_entries
       WHERE group_id = ANY($1::bigint[])`,
      [groupIds],
    )
    return rows.map((row) => ({
      groupId: row.group_id,
      type: row.type,
      stateKey: row.state_key,
      eventId: (row.event_id ?? undefined) as EventId | undefined,
    }))
  }

  async insertStateGroup(
    roomId: RoomId,
    prevGroup: number | undefined,
    deltaCount: number,
    entries: readonly GroupEntry[],
  ): Promise<number> {
    const { rows } = await this.#db.query<{ id: number }>(
      'INSERT INTO state_groups (room_id, prev_group, delta_count) VALUES ($1, $2, $3) RETURNING id',
      [roomId, prevGroup ?? null, deltaCount],
    )
    const id = rows[0]?.id
    if (id === undefined) throw new Error('INSERT ... RETURNING gave no row')
    if (entries.length > 0) {
      await this.#db.query(
        `INSERT INTO state_group_entries (group_id, type, state_key, event_id)
         SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[])`,
        [
          id,
          entries.map((e) => e.type),
          entries.map((e) => e.stateKey),
          entries.map((e) => e.eventId ?? null),
        ],
      )
    }
    return id
  }

  async eventJson(
    eventIds: readonly EventId[],
  ): Promise<readonly { eventId: EventId; json: string }[]> {
    const { rows } = await this.#db.query<{ event_id: EventId; json: string }>(
      'SELECT event_id, json FROM events WHERE event_id = ANY($1::text[])',
      [eventIds],
    )
    return rows.map((row) => ({ eventId: row.event_id, json: row.json }))
  }

  async allocateStreamPosition(): Promise<number> {
    // The row stays locked until this transaction ends: the next writer waits here, so positions
    // become visible in commit order, with no gaps.
    const { rows } = await this.#db.query<{ position: number }>(
      `UPDATE stream_positions SET position = position + 1 WHERE name = 'main' RETURNING position`,
    )
    const position = rows[0]?.position
    if (position === undefined) throw new Error('the stream position counter is missing')
    return position
  }

  async reserveBackfillPositions(count: number): Promise<number> {
    const { rows } = await this.#db.query<{ position: number }>(
      `INSERT INTO stream_positions (name, position) VALUES ('backfill', $1)
       ON CONFLICT (name) DO UPDATE SET position = stream_positions.position - $2
       RETURNING position`,
      [-count, count],
    )
    const position = rows[0]?.position
    if (position === undefined) throw new Error('the backfill position counter is missing')
    return position
  }

  async insertOutlier(row: OutlierRow): Promise<void> {
    await this.#db.query(
      `INSERT INTO events (event_id, room_id, type, state_key, sender, depth, origin_server_ts, json,
         rejection_reason, redacts)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (event_id) DO NOTHING`,
      [
        row.eventId,
        row.roomId,
        row.type,
        row.stateKey ?? null,
        row.sender,
        row.depth,
        row.originServerTs,
        row.json,
        row.rejectionReason ?? null,
        row.redacts ?? null,
      ],
    )
  }

  async insertOutliers(rows: readonly OutlierRow[]): Promise<number> {
    const { rowCount } = await this.#db.query(
      `INSERT INTO events (event_id, room_id, type, state_key, sender, depth, origin_server_ts,
         json, rejection_reason, redacts)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
         $6::bigint[], $7::bigint[], $8::text[], $9::text[], $10::text[])
       ON CONFLICT (event_id) DO NOTHING`,
      [
        rows.map((r) => r.eventId),
        rows.map((r) => r.roomId),
        rows.map((r) => r.type),
        rows.map((r) => r.stateKey ?? null),
        rows.map((r) => r.sender),
        rows.map((r) => r.depth),
        rows.map((r) => r.originServerTs),
        rows.map((r) => r.json),
        rows.map((r) => r.rejectionReason ?? null),
        rows.map((r) => r.redacts ?? null),
      ],
    )
    return rowCount ?? 0
  }

  async deleteOutlier(eventId: EventId): Promise<void> {
    await this.#db.query(
      `DELETE FROM events
       WHERE event_id = $1 AND stream_position IS NULL AND state_group_before IS NULL`,
      [eventId],
    )
  }

  async insertEvent(row: NewEventRow): Promise<void> {
    // One statement (one round trip while the stream counter is held): the event and its edges,
    // with redacted_by from a redaction that arrived before it, and its relation
    // and search vector unless that redaction exists.
    const params: unknown[] = [
      row.eventId,
      row.roomId,
      row.type,
      row.stateKey ?? null,
      row.sender,
      row.depth,
      row.originServerTs,
      row.json,
      row.streamPosition,
      row.rejectionReason ?? null,
      row.stateGroupBefore,
      row.stateGroupAfter,
      row.redacts ?? null,
      row.prevEvents,
    ]
    const indexes: string[] = []
    if (row.relation !== undefined) {
      const at = params.length
      const { relatesTo, relType, key, hasNewContent } = row.relation
      params.push(relatesTo, relType, key ?? null, hasNewContent)
      indexes.push(`relation AS (
         INSERT INTO event_relations (event_id, room_id, relates_to_id, rel_type, aggregation_key,
           has_new_content)
         SELECT $1::text, $2::text, $${at + 1}::text, $${at + 2}::text, $${at + 3}::text,
           $${at + 4}::boolean
         WHERE NOT EXISTS (SELECT 1 FROM redaction)
       )`)
    }
    if (row.search !== undefined) {
      const at = params.length
      params.push(row.search.key, row.search.text)
      indexes.push(`search AS (
         INSERT INTO event_search (event_id, key, vector)
         SELECT $1::text, $${at + 1}::text, to_tsvector('english', $${at + 2}::text)
         WHERE NOT EXISTS (SELECT 1 FROM redaction)
       )`)
    }
    await this.#db.query(
      `WITH redaction AS (
         SELECT event_id FROM events WHERE redacts = $1 AND room_id = $2 AND rejection_reason IS NULL
         ORDER BY event_nid LIMIT 1
       ), edges AS (
         INSERT INTO event_edges (event_id, prev_event_id)
         SELECT $1::text, unnest($14::text[]) ON CONFLICT DO NOTHING
       )${indexes.map((cte) => `, ${cte}`).join('')}
       INSERT INTO events (event_id, room_id, type, state_key, sender, depth, origin_server_ts, json,
         stream_position, rejection_reason, state_group_before, state_group_after, redacts, redacted_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, (SELECT event_id FROM redaction))`,
      params,
    )
  }

  async markRedacted(roomId: RoomId, targetId: EventId, redactionId: EventId): Promise<void> {
    await this.#db.query(
      `WITH target AS (
         UPDATE events SET redacted_by = $1
         WHERE event_id = $2 AND room_id = $3 AND redacted_by IS NULL RETURNING event_id
       ), relation AS (
         DELETE FROM event_relations WHERE event_id IN (SELECT event_id FROM target)
       )
       DELETE FROM event_search WHERE event_id IN (SELECT event_id FROM target)`,
      [redactionId, targetId, roomId],
    )
  }

  async applyCurrentState(
    roomId: RoomId,
    set: readonly StateEntry[],
    remove: readonly StateKeyPair[],
  ): Promise<void> {
    if (remove.length > 0) {
      await this.#db.query(
        `DELETE FROM current_state c USING unnest($2::text[], $3::text[]) AS k (type, state_key)
         WHERE c.room_id = $1 AND c.type = k.type AND c.state_key = k.state_key`,
        [roomId, remove.map((k) => k[0]), remove.map((k) => k[1])],
      )
    }
    if (set.length > 0) {
      await this.#db.query(
        `INSERT INTO current_state (room_id, type, state_key, event_id)
         SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[])
         ON CONFLICT (room_id, type, state_key) DO UPDATE SET event_id = excluded.event_id`,
        [roomId, set.map((e) => e[0]), set.map((e) => e[1]), set.map((e) => e[2])],
      )
    }
  }

  async applyMemberships(
    roomId: RoomId,
    set: readonly MembershipChange[],
    remove: readonly UserId[],
    streamPosition: number,
  ): Promise<void> {
    if (remove.length > 0) {
      await this.#db.query(
        'DELETE FROM room_memberships WHERE room_id = $1 AND user_id = ANY($2::text[])',
        [roomId, remove],
      )
    }
    if (set.length > 0) {
      await this.#db.query(
        `INSERT INTO room_memberships (room_id, user_id, membership, event_id, stream_position)
         SELECT $1, m.user_id, m.membership, m.event_id, $5
         FROM unnest($2::text[], $3::text[], $4::text[]) AS m (user_id, membership, event_id)
         ON CONFLICT (room_id, user_id) DO UPDATE SET membership = excluded.membership,
           event_id = excluded.event_id, stream_position = excluded.stream_position
         WHERE room_memberships.event_id <> excluded.event_id`,
        [
          roomId,
          set.map((m) => m.userId),
          set.map((m) => m.membership),
          set.map((m) => m.eventId),
          streamPosition,
        ],
      )
    }
  }

  async setForwardExtremities(roomId: RoomId, eventIds: readonly EventId[]): Promise<void> {
    await this.#db.query('DELETE FROM forward_extremities WHERE room_id = $1', [roomId])
    if (eventIds.length > 0) {
      await this.#db.query(
        'INSERT INTO forward_extremities (room_id, event_id) SELECT $1, unnest($2::text[])',
        [roomId, eventIds],
      )
    }
  }

  async setCurrentStateGroup(roomId: RoomId, groupId: number): Promise<void> {
    await this.#db.query('UPDATE rooms SET current_state_group = $1 WHERE room_id = $2', [
      groupId,
      roomId,
    ])
  }

  async notify(notification: StreamNotification): Promise<void> {
    // Queued by PostgreSQL and delivered to every listening process when (if) this commits.
    await this.#db.query('SELECT pg_notify($1, $2)', [
      NOTIFY_CHANNEL,
      encodeNotification(notification),
    ])
  }
}

function groupFromRow(row: GroupRow): StateGroupRow {
  return {
    id: row.id,
    roomId: row.room_id as RoomId,
    prevGroup: row.prev_group ?? undefined,
    deltaCount: row.delta_count,
  }
}

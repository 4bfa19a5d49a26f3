import type { EventId, RoomId, UserId } from '@rhizome/core'
import type {
  EngineOps,
  ExistingEvent,
  GroupEntry,
  MembershipChange,
  NewEventRow,
  OutlierRow,
  StateGroupEntryRow,
  StateGroupRow,
} from '../engine/engine-ops.js'
import type { NewRoom, StateEntry, StateKeyPair, StreamNotification, TxnKey } from '../interface.js'
import { sqlBool, sqlList, type SqliteStatements } from './sqlite-statements.js'

interface GroupRow {
  id: number
  room_id: string
  prev_group: number | null
  delta_count: number
}

/**
 * The engine's primitives on the SQLite connection. They run inside a better-sqlite3 transaction;
 * notifications are collected and sent by the caller once the transaction has committed.
 */
export class SqliteEngineOps implements EngineOps {
  readonly #q: SqliteStatements
  readonly notifications: StreamNotification[] = []
  /** Search text was queued for the index (see SqliteSearchStore). */
  queuedSearch = false

  constructor(statements: SqliteStatements) {
    this.#q = statements
  }

  findEvent(eventId: EventId): ExistingEvent | undefined {
    const row = this.#q.one<{
      stream_position: number | null
      state_group_before: number | null
      state_group_after: number | null
    }>(
      'SELECT stream_position, state_group_before, state_group_after FROM events WHERE event_id = ?',
      eventId,
    )
    if (row === undefined) return undefined
    return {
      eventId,
      streamPosition: row.stream_position ?? undefined,
      stateGroupBefore: row.state_group_before ?? undefined,
      stateGroupAfter: row.state_group_after ?? undefined,
    }
  }

  findTxn(txn: TxnKey): EventId | undefined {
    return this.#q.one<{ event_id: EventId }>(
      'SELECT event_id FROM txn_ids WHERE user_id = ? AND device_id = ? AND txn_id = ?',
      txn.userId,
      txn.deviceId,
      txn.txnId,
    )?.event_id
  }

  claimTxn(txn: TxnKey, roomId: RoomId, eventId: EventId, createdTs: number): boolean {
    const changed = this.#q.run(
      `INSERT INTO txn_ids (user_id, device_id, txn_id, room_id, event_id, created_ts)
       VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
      txn.userId,
      txn.deviceId,
      txn.txnId,
      roomId,
      eventId,
      createdTs,
    )
    return changed === 1
  }

  getRoomRow(roomId: RoomId): { currentStateGroup: number | undefined } | undefined {
    const row = this.#q.one<{ current_state_group: number | null }>(
      'SELECT current_state_group FROM rooms WHERE room_id = ?',
      roomId,
    )
    return row === undefined
      ? undefined
      : { currentStateGroup: row.current_state_group ?? undefined }
  }

  insertRoom(roomId: RoomId, room: NewRoom, createdTs: number): void {
    this.#q.run(
      `INSERT INTO rooms (room_id, room_version, creator, created_ts, is_public)
       VALUES (?, ?, ?, ?, ?)`,
      roomId,
      room.version,
      room.creator,
      createdTs,
      sqlBool(room.isPublic),
    )
  }

  getStateGroup(groupId: number): StateGroupRow | undefined {
    const row = this.#q.one<GroupRow>(
      'SELECT id, room_id, prev_group, delta_count FROM state_groups WHERE id = ?',
      groupId,
    )
    return row === undefined ? undefined : groupFromRow(row)
  }

  stateGroupChain(groupId: number): readonly StateGroupRow[] {
    return this.#q
      .all<GroupRow>(
        `WITH RECURSIVE chain (id, room_id, prev_group, delta_count, step) AS (
           SELECT id, room_id, prev_group, delta_count, 0 FROM state_groups WHERE id = ?
           UNION ALL
           SELECT g.id, g.room_id, g.prev_group, g.delta_count, chain.step + 1
           FROM state_groups g JOIN chain ON g.id = chain.prev_group
         )
         SELECT id, room_id, prev_group, delta_count FROM chain ORDER BY step`,
        groupId,
      )
      .map(groupFromRow)
  }

  stateGroupEntries(groupIds: readonly number[]): readonly StateGroupEntryRow[] {
    return this.#q
      .all<{ group_id: number; type: string; state_key: string; event_id: string | null }>(
        `SELECT group_id, type, state_key, event_id FROM state_group_entries
         WHERE group_id IN (SELECT value FROM json_each(?))`,
        sqlList(groupIds),
      )
      .map((row) => ({
        groupId: row.group_id,
        type: row.type,
        stateKey: row.state_key,
        eventId: (row.event_id ?? undefined) as EventId | undefined,
      }))
  }

  insertStateGroup(
    roomId: RoomId,
    prevGroup: number | undefined,
    deltaCount: number,
    entries: readonly GroupEntry[],
  ): number {
    const row = this.#q.one<{ id: number }>(
      'INSERT INTO state_groups (room_id, prev_group, delta_count) VALUES (?, ?, ?) RETURNING id',
      roomId,
      prevGroup ?? null,
      deltaCount,
    )
    if (row === undefined) throw new Error('INSERT ... RETURNING gave no row')
    const insert = this.#q.get(
      'INSERT INTO state_group_entries (group_id, type, state_key, event_id) VALUES (?, ?, ?, ?)',
    )
    for (const entry of entries)
      insert.run(row.id, entry.type, entry.stateKey, entry.eventId ?? null)
    return row.id
  }

  eventJson(eventIds: readonly EventId[]): readonly { eventId: EventId; json: string }[] {
    return this.#q
      .all<{ event_id: EventId; json: string }>(
        'SELECT event_id, json FROM events WHERE event_id IN (SELECT value FROM json_each(?))',
        sqlList(eventIds),
      )
      .map((row) => ({ eventId: row.event_id, json: row.json }))
  }

  allocateStreamPosition(): number {
    const row = this.#q.one<{ position: number }>(
      `UPDATE stream_positions SET position = position + 1 WHERE name = 'main' RETURNING position`,
    )
    if (row === undefined) throw new Error('the stream position counter is missing')
    return row.position
  }

  reserveBackfillPositions(count: number): number {
    const row = this.#q.one<{ position: number }>(
      `INSERT INTO stream_positions (name, position) VALUES ('backfill', ?)
       ON CONFLICT (name) DO UPDATE SET position = stream_positions.position - ?
       RETURNING position`,
      -count,
      count,
    )
    if (row === undefined) throw new Error('the backfill position counter is missing')
    return row.position
  }

  insertOutlier(row: OutlierRow): void {
    this.#insertOutlierRow(row)
  }

  insertOutliers(rows: readonly OutlierRow[]): number {
    let added = 0
    for (const row of rows) added += this.#insertOutlierRow(row)
    return added
  }

  /** How many rows it added: 0 when the event exists. */
  #insertOutlierRow(row: OutlierRow): number {
    return this.#q.run(
      `INSERT INTO events (event_id, room_id, type, state_key, sender, depth, origin_server_ts, json,
         rejection_reason, redacts)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING`,
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
    )
  }

  deleteOutlier(eventId: EventId): void {
    this.#q.run(
      `DELETE FROM events
       WHERE event_id = ? AND stream_position IS NULL AND state_group_before IS NULL`,
      eventId,
    )
  }

  insertEvent(row: NewEventRow): void {
    const inserted = this.#q
      .get(
        `INSERT INTO events (event_id, room_id, type, state_key, sender, depth, origin_server_ts, json,
         stream_position, rejection_reason, state_group_before, state_group_after, redacts, redacted_by)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
         (SELECT event_id FROM events WHERE redacts = ? AND room_id = ? AND rejection_reason IS NULL
          ORDER BY event_nid LIMIT 1))`,
      )
      .run(
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
        row.eventId,
        row.roomId,
      )
    if (row.relation !== undefined || row.search !== undefined) {
      this.#index(row, Number(inserted.lastInsertRowid))
    }
    const edge = this.#q.get(
      'INSERT INTO event_edges (event_id, prev_event_id) VALUES (?, ?) ON CONFLICT DO NOTHING',
    )
    for (const prev of row.prevEvents) edge.run(row.eventId, prev)
  }

  /** The event's relation and search text, unless a redaction of it arrived first. */
  #index(row: NewEventRow, eventNid: number): void {
    const redacted = this.#q.one<{ redacted_by: string | null }>(
      'SELECT redacted_by FROM events WHERE event_nid = ?',
      eventNid,
    )
    if (redacted === undefined || redacted.redacted_by !== null) return
    if (row.relation !== undefined) {
      this.#q.run(
        `INSERT INTO event_relations (event_id, room_id, relates_to_id, rel_type, aggregation_key,
           has_new_content)
         VALUES (?, ?, ?, ?, ?, ?)`,
        row.eventId,
        row.roomId,
        row.relation.relatesTo,
        row.relation.relType,
        row.relation.key ?? null,
        sqlBool(row.relation.hasNewContent),
      )
    }
    if (row.search !== undefined) {
      // Queued: an FTS5 insert costs a segment per commit, a batch of them costs one.
      this.queuedSearch = true
      this.#q.run(
        'INSERT INTO event_search_pending (event_nid, key, text) VALUES (?, ?, ?)',
        eventNid,
        row.search.key,
        row.search.text,
      )
    }
  }

  markRedacted(roomId: RoomId, targetId: EventId, redactionId: EventId): void {
    const target = this.#q.one<{ event_nid: number }>(
      `UPDATE events SET redacted_by = ?
       WHERE event_id = ? AND room_id = ? AND redacted_by IS NULL RETURNING event_nid`,
      redactionId,
      targetId,
      roomId,
    )
    if (target === undefined) return
    this.#q.run('DELETE FROM event_relations WHERE event_id = ?', targetId)
    this.#q.run('DELETE FROM event_search_pending WHERE event_nid = ?', target.event_nid)
    this.#q.run('DELETE FROM event_search WHERE rowid = ?', target.event_nid)
  }

  applyCurrentState(
    roomId: RoomId,
    set: readonly StateEntry[],
    remove: readonly StateKeyPair[],
  ): void {
    const del = this.#q.get(
      'DELETE FROM current_state WHERE room_id = ? AND type = ? AND state_key = ?',
    )
    for (const [type, stateKey] of remove) del.run(roomId, type, stateKey)
    const upsert = this.#q.get(
      `INSERT INTO current_state (room_id, type, state_key, event_id) VALUES (?, ?, ?, ?)
       ON CONFLICT (room_id, type, state_key) DO UPDATE SET event_id = excluded.event_id`,
    )
    for (const [type, stateKey, eventId] of set) upsert.run(roomId, type, stateKey, eventId)
  }

  applyMemberships(
    roomId: RoomId,
    set: readonly MembershipChange[],
    remove: readonly UserId[],
    streamPosition: number,
  ): void {
    const del = this.#q.get('DELETE FROM room_memberships WHERE room_id = ? AND user_id = ?')
    for (const userId of remove) del.run(roomId, userId)
    const upsert = this.#q.get(
      `INSERT INTO room_memberships (room_id, user_id, membership, event_id, stream_position)
       VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (room_id, user_id) DO UPDATE SET membership = excluded.membership,
         event_id = excluded.event_id, stream_position = excluded.stream_position
       WHERE room_memberships.event_id <> excluded.event_id`,
    )
    for (const change of set) {
      upsert.run(roomId, change.userId, change.membership, change.eventId, streamPosition)
    }
  }

  setForwardExtremities(roomId: RoomId, eventIds: readonly EventId[]): void {
    this.#q.run('DELETE FROM forward_extremities WHERE room_id = ?', roomId)
    const insert = this.#q.get('INSERT INTO forward_extremities (room_id, event_id) VALUES (?, ?)')
    for (const eventId of eventIds) insert.run(roomId, eventId)
  }

  setCurrentStateGroup(roomId: RoomId, groupId: number): void {
    this.#q.run('UPDATE rooms SET current_state_group = ? WHERE room_id = ?', groupId, roomId)
  }

  notify(notification: StreamNotification): void {
    this.notifications.push(notification)
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

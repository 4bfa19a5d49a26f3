import type pg from 'pg'
import type { JsonObject, RoomId, UserId } from '@rhizome/core'
import type { Logger } from '../../logging/logger.js'
import { storedEventFromRow, type EventRow } from '../engine/event-row.js'
import { parseStoredObject } from '../engine/json-text.js'
import {
  PUSH_ACTION_COLUMNS,
  pushActionFromRow,
  type PushActionRow,
} from '../engine/receipt-row.js'
import { readBoundsByRoom, unreadCountsFor } from '../engine/unread-counts.js'
import type { StoredEvent } from '../interface.js'
import type {
  BatchOutcome,
  NewPushAction,
  NewRoomPushAction,
  NotificationsQuery,
  PushBatch,
  PushStore,
  ReadPositionUpdate,
  StoredPushAction,
  UnreadCount,
} from '../push-store.js'
import { CountChanges } from '../engine/count-changes.js'
import {
  notificationsSql,
  readPassesActions,
  UNREAD_BY_THREAD,
  UNREAD_IN_THREAD,
} from '../engine/push-action-sql.js'
import { pooledTransaction } from './postgres-connection.js'
import { PostgresEngineOps } from './postgres-engine-ops.js'
import { EVENT_COLUMNS } from './postgres-event-store.js'

/** The unnested read updates of `readsHidingActions`. */
const READ_COLUMNS = {
  user: 'r.user_id',
  room: 'r.room_id',
  thread: 'r.thread_id',
  position: 'r.position',
}

/** Rows per INSERT: arrays of this many values are a few hundred kilobytes at most. */
const INSERT_CHUNK = 5000

export class PostgresPushStore implements PushStore {
  readonly #pool: pg.Pool
  readonly #logger: Logger | undefined

  constructor(pool: pg.Pool, logger: Logger | undefined) {
    this.#pool = pool
    this.#logger = logger
  }

  processBatch(work: (position: number) => Promise<PushBatch | undefined>): Promise<BatchOutcome> {
    return pooledTransaction(this.#pool, this.#logger, async (client): Promise<BatchOutcome> => {
      // The row lock is the claim: held to the end of this transaction; a worker that finds it
      // taken moves on instead of queueing behind it.
      const { rows } = await client.query<{ position: number }>(
        `SELECT position FROM push_cursor WHERE name = 'events' FOR UPDATE SKIP LOCKED`,
      )
      const start = rows[0]?.position
      if (start === undefined) return 'busy'
      const batch = await work(start)
      if (batch === undefined) return 'idle'
      // As with SQLite: a batch lost to a crash is lost whole, position included, and evaluated
      // again; it need not wait for its WAL flush (the stream's writers still do).
      await client.query('SET LOCAL synchronous_commit = off')
      await insertActions(client, batch.actions)
      await insertRoomActions(client, batch.roomActions)
      const changed = new CountChanges()
      for (const a of batch.actions) if (a.notify) changed.add(a.userId, a.roomId)
      for (const a of batch.roomActions) changed.addRoom(a.roomId, a.sender)
      for (const r of await readsHidingActions(client, batch.reads)) changed.add(r.userId, r.roomId)
      await raiseReads(client, batch.reads)
      await client.query(`UPDATE push_cursor SET position = $1 WHERE name = 'events'`, [
        batch.position,
      ])
      if (changed.size > 0) await recordCountChanges(client, changed)
      return 'processed'
    })
  }

  async processedPosition(): Promise<number> {
    const { rows } = await this.#pool.query<{ position: number }>(
      `SELECT position FROM push_cursor WHERE name = 'events'`,
    )
    const position = rows[0]?.position
    if (position === undefined) throw new Error('the push processor position is missing')
    return position
  }

  async eventsAfter(after: number, upTo: number, limit: number): Promise<readonly StoredEvent[]> {
    const { rows } = await this.#pool.query<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM events e JOIN rooms r ON r.room_id = e.room_id
       WHERE e.stream_position > $1 AND e.stream_position <= $2 AND e.rejection_reason IS NULL
       ORDER BY e.stream_position LIMIT $3`,
      [after, upTo, limit],
    )
    return rows.map(storedEventFromRow)
  }

  async unreadCounts(
    userId: UserId,
    roomIds: readonly RoomId[],
    upTo: number,
  ): Promise<ReadonlyMap<RoomId, ReadonlyMap<string, UnreadCount>>> {
    if (roomIds.length === 0) return new Map()
    const { rows } = await this.#pool.query<{
      room_id: string
      thread_id: string
      position: number
    }>(
      `SELECT room_id, thread_id, position FROM read_positions
       WHERE user_id = $1 AND room_id = ANY($2::text[])`,
      [userId, roomIds],
    )
    return unreadCountsFor(roomIds, readBoundsByRoom(rows), {
      byThread: async (roomId, after) => {
        const counts = await this.#pool.query<{ thread_id: string; n: number; h: number }>(
          UNREAD_BY_THREAD,
          [userId, roomId, after, upTo],
        )
        return new Map(
          counts.rows.map((c) => [c.thread_id, { notifications: c.n, highlights: c.h }] as const),
        )
      },
      inThread: async (roomId, threadId, after) => {
        const counts = await this.#pool.query<{ n: number; h: number | null }>(UNREAD_IN_THREAD, [
          userId,
          roomId,
          after,
          upTo,
          threadId,
        ])
        const c = counts.rows[0]
        return { notifications: c?.n ?? 0, highlights: c?.h ?? 0 }
      },
    })
  }

  async readPositions(userId: UserId, roomId: RoomId): Promise<ReadonlyMap<string, number>> {
    const { rows } = await this.#pool.query<{ thread_id: string; position: number }>(
      'SELECT thread_id, position FROM read_positions WHERE user_id = $1 AND room_id = $2',
      [userId, roomId],
    )
    return new Map(rows.map((r) => [r.thread_id, r.position] as const))
  }

  async notifications(
    userId: UserId,
    query: NotificationsQuery,
  ): Promise<readonly StoredPushAction[]> {
    const { rows } = await this.#pool.query<PushActionRow>(notificationsSql(query.onlyHighlight), [
      userId,
      query.before ?? Number.MAX_SAFE_INTEGER,
      query.limit,
    ])
    return rows.map(pushActionFromRow)
  }

  async settingsChanged(
    types: readonly string[],
    since: number,
    upTo: number,
  ): Promise<readonly UserId[]> {
    const { rows } = await this.#pool.query<{ user_id: UserId }>(
      `SELECT user_id FROM account_data
       WHERE type = ANY($1::text[]) AND stream_position > $2 AND stream_position <= $3
         AND room_id = ''
       GROUP BY user_id ORDER BY user_id COLLATE "C"`,
      [types, since, upTo],
    )
    return rows.map((row) => row.user_id)
  }

  async settingsOf(
    type: string,
    userIds: readonly UserId[],
  ): Promise<ReadonlyMap<UserId, JsonObject>> {
    const out = new Map<UserId, JsonObject>()
    if (userIds.length === 0) return out
    const { rows } = await this.#pool.query<{ user_id: UserId; content: string }>(
      `SELECT user_id, content FROM account_data
       WHERE room_id = '' AND type = $1 AND user_id = ANY($2::text[])`,
      [type, userIds],
    )
    for (const row of rows) out.set(row.user_id, parseStoredObject(row.content, type))
    return out
  }
}

async function insertActions(
  client: pg.ClientBase,
  actions: readonly NewPushAction[],
): Promise<void> {
  for (let i = 0; i < actions.length; i += INSERT_CHUNK) {
    const chunk = actions.slice(i, i + INSERT_CHUNK)
    await client.query(
      `INSERT INTO push_actions (${PUSH_ACTION_COLUMNS})
       SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[],
         $6::boolean[], $7::bigint[], $8::boolean[])
       ON CONFLICT DO NOTHING`,
      [
        chunk.map((a) => a.userId),
        chunk.map((a) => a.roomId),
        chunk.map((a) => a.streamPosition),
        chunk.map((a) => a.threadId),
        chunk.map((a) => JSON.stringify(a.actions)),
        chunk.map((a) => a.highlight),
        chunk.map((a) => a.ts),
        chunk.map((a) => a.notify),
      ],
    )
  }
}

async function insertRoomActions(
  client: pg.ClientBase,
  actions: readonly NewRoomPushAction[],
): Promise<void> {
  if (actions.length === 0) return
  await client.query(
    `INSERT INTO push_room_actions (room_id, stream_position, thread_id, actions, highlight, ts)
     SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::boolean[],
       $6::bigint[])
     ON CONFLICT DO NOTHING`,
    [
      actions.map((a) => a.roomId),
      actions.map((a) => a.streamPosition),
      actions.map((a) => a.threadId),
      actions.map((a) => JSON.stringify(a.actions)),
      actions.map((a) => a.highlight),
      actions.map((a) => a.ts),
    ],
  )
}

/**
 * The read updates that pass a stored action (one in (current read position, new position])
 * that may count for the reader: only those may change the reader's counts.
 */
async function readsHidingActions(
  client: pg.ClientBase,
  reads: readonly ReadPositionUpdate[],
): Promise<readonly { readonly userId: UserId; readonly roomId: RoomId }[]> {
  if (reads.length === 0) return []
  const { rows } = await client.query<{ user_id: UserId; room_id: RoomId }>(
    `SELECT DISTINCT r.user_id, r.room_id
     FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[])
       AS r (user_id, room_id, thread_id, position)
     WHERE ${readPassesActions(READ_COLUMNS)}`,
    [
      reads.map((r) => r.userId),
      reads.map((r) => r.roomId),
      reads.map((r) => r.threadId),
      reads.map((r) => r.position),
    ],
  )
  return rows.map((row) => ({ userId: row.user_id, roomId: row.room_id }))
}

/**
 * Takes a stream position for the batch, last (the counter's row lock is held to the commit),
 * records it as where the pairs' counts changed, and queues the wake-up of their users.
 */
async function recordCountChanges(client: pg.ClientBase, changed: CountChanges): Promise<void> {
  const ops = new PostgresEngineOps(client)
  const position = await ops.allocateStreamPosition()
  const pairs = [...changed.pairs()]
  await client.query(
    `INSERT INTO unread_changes (user_id, room_id, position)
     SELECT user_id, room_id, $3::bigint FROM unnest($1::text[], $2::text[]) AS c (user_id, room_id)
     ON CONFLICT (user_id, room_id) DO UPDATE SET position = excluded.position`,
    [pairs.map((p) => p.userId), pairs.map((p) => p.roomId), position],
  )
  await client.query(
    `INSERT INTO room_unread_changes (room_id, position, sender)
     SELECT room_id, $3::bigint, sender FROM unnest($1::text[], $2::text[]) AS c (room_id, sender)
     ON CONFLICT (room_id) DO UPDATE SET position = excluded.position, sender = excluded.sender`,
    [changed.rooms.map((r) => r.roomId), changed.rooms.map((r) => r.sender ?? null), position],
  )
  await ops.notify(changed.notification(position))
}

async function raiseReads(
  client: pg.ClientBase,
  reads: readonly ReadPositionUpdate[],
): Promise<void> {
  if (reads.length === 0) return
  // One row per key: an upsert may not touch the same row twice.
  const highest = new Map<string, ReadPositionUpdate>()
  for (const r of reads) {
    const key = JSON.stringify([r.userId, r.roomId, r.threadId])
    const seen = highest.get(key)
    if (seen === undefined || seen.position < r.position) highest.set(key, r)
  }
  const rows = [...highest.values()]
  await client.query(
    `INSERT INTO read_positions (user_id, room_id, thread_id, position)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[])
     ON CONFLICT (user_id, room_id, thread_id) DO UPDATE
     SET position = GREATEST(read_positions.position, excluded.position)`,
    [
      rows.map((r) => r.userId),
      rows.map((r) => r.roomId),
      rows.map((r) => r.threadId),
      rows.map((r) => r.position),
    ],
  )
}

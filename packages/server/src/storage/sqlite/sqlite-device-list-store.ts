import type { RoomId, UserId } from '@rhizome/core'
import {
  CHANGED_IN_SHARED_ROOMS,
  OUTBOUND_STREAM_ID,
  outboundStreamIds,
  ROOMS_OF_USERS_SQLITE,
  SHARING_CHANGES,
  sharingFromRows,
  TAKE_OUTBOUND_STREAM_IDS_SQLITE as TAKE_OUTBOUND_STREAM_IDS,
  toPositional,
  type SharingRow,
  type PositionalQuery,
} from '../engine/device-list-sql.js'
import type { DeviceListStore, OutboundStreamIds, SharingChanges } from '../e2e-key-store.js'
import type { StreamNotification } from '../interface.js'
import { SqliteEngineOps } from './sqlite-engine-ops.js'
import { settle, sqlList, type SqliteStatements } from './sqlite-statements.js'

const CHANGED = toPositional(CHANGED_IN_SHARED_ROOMS)
const SHARING = toPositional(SHARING_CHANGES)
const OUTBOUND = toPositional(OUTBOUND_STREAM_ID)

export class SqliteDeviceListStore implements DeviceListStore {
  readonly #q: SqliteStatements
  readonly #afterCommit: (notification: StreamNotification) => void

  constructor(
    statements: SqliteStatements,
    afterCommit: (notification: StreamNotification) => void,
  ) {
    this.#q = statements
    this.#afterCommit = afterCommit
  }

  changedInSharedRooms(userId: UserId, since: number, upTo: number): Promise<readonly UserId[]> {
    return this.#users(CHANGED, userId, since, upTo)
  }

  sharingChanges(userId: UserId, since: number, upTo: number): Promise<SharingChanges> {
    return settle(() =>
      sharingFromRows(this.#q.all<SharingRow>(SHARING.sql, ...SHARING.bind([userId, since, upTo]))),
    )
  }

  recordRemoteChange(userIds: readonly UserId[]): Promise<void> {
    return settle(() => {
      if (userIds.length === 0) return
      const notification = this.#q.db
        .transaction(() => recordDeviceListChange(this.#q, [...new Set(userIds)]))
        .immediate()
      this.#afterCommit(notification)
    })
  }

  nextOutboundStreamIds(userId: UserId, count: number): Promise<OutboundStreamIds> {
    return settle(() => {
      const row = this.#q.one<{ stream_id: number }>(TAKE_OUTBOUND_STREAM_IDS, userId, count)
      return outboundStreamIds(row?.stream_id ?? count, count)
    })
  }

  outboundStreamId(userId: UserId): Promise<number> {
    return settle(() => {
      const row = this.#q.one<{ stream_id: number }>(OUTBOUND.sql, ...OUTBOUND.bind([userId]))
      return row?.stream_id ?? 0
    })
  }

  #users(
    query: PositionalQuery,
    userId: UserId,
    since: number,
    upTo: number,
  ): Promise<readonly UserId[]> {
    return settle(() =>
      this.#q
        .all<{ user_id: UserId }>(query.sql, ...query.bind([userId, since, upTo]))
        .map((row) => row.user_id),
    )
  }
}

/**
 * Records, inside the caller's write transaction, that the users' device lists changed: one
 * stream position for all of them. Returns the notification to emit after commit, which wakes the
 * users and everyone joined to a room with them.
 */
export function recordDeviceListChange(
  q: SqliteStatements,
  userIds: readonly UserId[],
): StreamNotification {
  const position = new SqliteEngineOps(q).allocateStreamPosition()
  for (const userId of userIds) {
    q.run(
      'INSERT INTO device_list_changes (stream_position, user_id) VALUES (?, ?)',
      position,
      userId,
    )
  }
  const rooms = q.all<{ room_id: RoomId }>(ROOMS_OF_USERS_SQLITE, sqlList(userIds))
  return { position, roomIds: rooms.map((r) => r.room_id), userIds: [...userIds], catchUp: false }
}

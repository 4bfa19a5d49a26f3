import type pg from 'pg'
import type { RoomId, UserId } from '@rhizome/core'
import {
  CHANGED_IN_SHARED_ROOMS,
  OUTBOUND_STREAM_ID,
  outboundStreamIds,
  ROOMS_OF_USERS_POSTGRES,
  SHARING_CHANGES,
  sharingFromRows,
  TAKE_OUTBOUND_STREAM_IDS_POSTGRES,
  type SharingRow,
} from '../engine/device-list-sql.js'
import type { Logger } from '../../logging/logger.js'
import type { DeviceListStore, OutboundStreamIds, SharingChanges } from '../e2e-key-store.js'
import { pooledTransaction } from './postgres-connection.js'
import { PostgresEngineOps } from './postgres-engine-ops.js'

export class PostgresDeviceListStore implements DeviceListStore {
  readonly #db: pg.Pool
  readonly #logger: Logger | undefined

  constructor(pool: pg.Pool, logger: Logger | undefined) {
    this.#db = pool
    this.#logger = logger
  }

  changedInSharedRooms(userId: UserId, since: number, upTo: number): Promise<readonly UserId[]> {
    return this.#users(CHANGED_IN_SHARED_ROOMS, userId, since, upTo)
  }

  async sharingChanges(userId: UserId, since: number, upTo: number): Promise<SharingChanges> {
    const { rows } = await this.#db.query<SharingRow>(SHARING_CHANGES, [userId, since, upTo])
    return sharingFromRows(rows)
  }

  async recordRemoteChange(userIds: readonly UserId[]): Promise<void> {
    if (userIds.length === 0) return
    await pooledTransaction(this.#db, this.#logger, (client) =>
      recordDeviceListChange(client, [...new Set(userIds)]),
    )
  }

  async nextOutboundStreamIds(userId: UserId, count: number): Promise<OutboundStreamIds> {
    const { rows } = await this.#db.query<{ stream_id: string }>(
      TAKE_OUTBOUND_STREAM_IDS_POSTGRES,
      [userId, count],
    )
    return outboundStreamIds(Number(rows[0]?.stream_id ?? count), count)
  }

  async outboundStreamId(userId: UserId): Promise<number> {
    const { rows } = await this.#db.query<{ stream_id: string }>(OUTBOUND_STREAM_ID, [userId])
    return Number(rows[0]?.stream_id ?? 0)
  }

  async #users(sql: string, userId: UserId, since: number, upTo: number): Promise<UserId[]> {
    const { rows } = await this.#db.query<{ user_id: UserId }>(sql, [userId, since, upTo])
    return rows.map((row) => row.user_id)
  }
}

/**
 * Records, inside the caller's transaction, that the users' device lists changed, and queues the
 * notification that wakes them and everyone joined to a room with them. The stream counter is
 * taken last, as every writer takes it, so writers never wait for each other in opposite orders.
 */
export async function recordDeviceListChange(
  client: pg.ClientBase,
  userIds: readonly UserId[],
): Promise<void> {
  const ops = new PostgresEngineOps(client)
  const { rows } = await client.query<{ room_id: RoomId }>(ROOMS_OF_USERS_POSTGRES, [userIds])
  const position = await ops.allocateStreamPosition()
  await client.query(
    `INSERT INTO device_list_changes (stream_position, user_id)
     SELECT $1, u FROM unnest($2::text[]) AS u`,
    [position, userIds],
  )
  await ops.notify({
    position,
    roomIds: rows.map((r) => r.room_id),
    userIds: [...userIds],
    catchUp: false,
  })
}

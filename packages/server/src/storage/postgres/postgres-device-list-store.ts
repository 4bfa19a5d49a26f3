import type pg from 'pg'
import type { RoomId, UserId } from '@rhizome/core'
import {
  CHANGED_IN_SHARED_ROOMS,
  ROOMS_OF_USERS_POSTGRES,
  SHARING_CHANGES,
  sharingFromRows,
  type SharingRow,
} from '../engine/device-list-sql.js'
import type { DeviceListStore, SharingChanges } from '../e2e-key-store.js'
import type { Queryable } from './postgres-connection.js'
import { PostgresEngineOps } from './postgres-engine-ops.js'

export class PostgresDeviceListStore implements DeviceListStore {
  readonly #db: Queryable

  constructor(db: Queryable) {
    this.#db = db
  }

  changedInSharedRooms(userId: UserId, since: number, upTo: number): Promise<readonly UserId[]> {
    return this.#users(CHANGED_IN_SHARED_ROOMS, userId, since, upTo)
  }

  async sharingChanges(userId: UserId, since: number, upTo: number): Promise<SharingChanges> {
    const { rows } = await this.#db.query<SharingRow>(SHARING_CHANGES, [userId, since, upTo])
    return sharingFromRows(rows)
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

import type { RoomAlias, RoomId } from '@rhizome/core'
import type { RoomAliasRecord, RoomAliasStore } from '../room-alias-store.js'
import {
  ROOM_ALIAS_COLUMNS,
  roomAliasFromRow,
  type RoomAliasRow,
} from '../engine/room-alias-row.js'
import type { Queryable } from './postgres-connection.js'

export class PostgresRoomAliasStore implements RoomAliasStore {
  readonly #db: Queryable

  constructor(db: Queryable) {
    this.#db = db
  }

  async createAlias(record: RoomAliasRecord): Promise<boolean> {
    const { rowCount } = await this.#db.query(
      `INSERT INTO room_aliases (${ROOM_ALIAS_COLUMNS}) VALUES ($1, $2, $3, $4)
       ON CONFLICT DO NOTHING`,
      [record.alias, record.roomId, record.creator, record.createdTs],
    )
    return rowCount === 1
  }

  async getAlias(alias: RoomAlias): Promise<RoomAliasRecord | undefined> {
    const { rows } = await this.#db.query<RoomAliasRow>(
      `SELECT ${ROOM_ALIAS_COLUMNS} FROM room_aliases WHERE alias = $1`,
      [alias],
    )
    const row = rows[0]
    return row === undefined ? undefined : roomAliasFromRow(row)
  }

  async deleteAlias(alias: RoomAlias): Promise<boolean> {
    const { rowCount } = await this.#db.query('DELETE FROM room_aliases WHERE alias = $1', [alias])
    return rowCount === 1
  }

  async moveAliases(from: RoomId, to: RoomId): Promise<number> {
    const { rowCount } = await this.#db.query(
      'UPDATE room_aliases SET room_id = $1 WHERE room_id = $2',
      [to, from],
    )
    return rowCount ?? 0
  }

  async roomAliases(roomId: RoomId): Promise<readonly RoomAlias[]> {
    const { rows } = await this.#db.query<{ alias: string }>(
      'SELECT alias FROM room_aliases WHERE room_id = $1 ORDER BY alias COLLATE "C"',
      [roomId],
    )
    return rows.map((row) => row.alias as RoomAlias)
  }
}

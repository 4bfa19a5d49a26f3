import type { RoomAlias, RoomId } from '@rhizome/core'
import {
  ROOM_ALIAS_COLUMNS,
  roomAliasFromRow,
  type RoomAliasRow,
} from '../engine/room-alias-row.js'
import type { RoomAliasRecord, RoomAliasStore } from '../room-alias-store.js'
import { settle, type SqliteStatements } from './sqlite-statements.js'

export class SqliteRoomAliasStore implements RoomAliasStore {
  readonly #q: SqliteStatements

  constructor(statements: SqliteStatements) {
    this.#q = statements
  }

  createAlias(record: RoomAliasRecord): Promise<boolean> {
    return settle(
      () =>
        this.#q.run(
          `INSERT INTO room_aliases (${ROOM_ALIAS_COLUMNS}) VALUES (?, ?, ?, ?)
           ON CONFLICT DO NOTHING`,
          record.alias,
          record.roomId,
          record.creator,
          record.createdTs,
        ) === 1,
    )
  }

  getAlias(alias: RoomAlias): Promise<RoomAliasRecord | undefined> {
    return settle(() => {
      const row = this.#q.one<RoomAliasRow>(
        `SELECT ${ROOM_ALIAS_COLUMNS} FROM room_aliases WHERE alias = ?`,
        alias,
      )
      return row === undefined ? undefined : roomAliasFromRow(row)
    })
  }

  deleteAlias(alias: RoomAlias): Promise<boolean> {
    return settle(() => this.#q.run('DELETE FROM room_aliases WHERE alias = ?', alias) === 1)
  }

  moveAliases(from: RoomId, to: RoomId): Promise<number> {
    return settle(() =>
      this.#q.run('UPDATE room_aliases SET room_id = ? WHERE room_id = ?', to, from),
    )
  }

  roomAliases(roomId: RoomId): Promise<readonly RoomAlias[]> {
    return settle(() =>
      this.#q
        .all<{ alias: string }>(
          'SELECT alias FROM room_aliases WHERE room_id = ? ORDER BY alias',
          roomId,
        )
        .map((row) => row.alias as RoomAlias),
    )
  }
}

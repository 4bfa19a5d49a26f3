import type { RoomAlias, RoomId, UserId } from '@rhizome/core'

/**
 * The room aliases this server hosts (client-server-api §Room aliases): `#name:our.server` to a
 * room ID. One row per alias; the database makes taking an alias atomic, so two processes cannot
 * both hand out the same one.
 */
export interface RoomAliasRecord {
  readonly alias: RoomAlias
  readonly roomId: RoomId
  /** Who created the alias (they may delete it again). */
  readonly creator: UserId
  readonly createdTs: number
}

export interface RoomAliasStore {
  /** Maps the alias to its room; false, and nothing changes, when the alias is taken. */
  createAlias(record: RoomAliasRecord): Promise<boolean>
  getAlias(alias: RoomAlias): Promise<RoomAliasRecord | undefined>
  /** False when there was no such alias. */
  deleteAlias(alias: RoomAlias): Promise<boolean>
  /** The room's aliases, in code-point order. */
  roomAliases(roomId: RoomId): Promise<readonly RoomAlias[]>
  /**
   * Points every alias of `from` at `to`, keeping their creators, in one statement: an alias is
   * never briefly missing (a room upgrade moves them). Returns how many moved.
   */
  moveAliases(from: RoomId, to: RoomId): Promise<number>
}

import type { RoomAlias, RoomId, UserId } from '@rhizome/core'
import type { RoomAliasRecord } from '../room-alias-store.js'

/** A room_aliases row, as both dialects select it. */
export interface RoomAliasRow {
  readonly alias: string
  readonly room_id: string
  readonly creator: string
  readonly created_ts: number | string
}

export const ROOM_ALIAS_COLUMNS = 'alias, room_id, creator, created_ts'

/** Rows hold what createAlias stored, which its caller had parsed. */
export function roomAliasFromRow(row: RoomAliasRow): RoomAliasRecord {
  return {
    alias: row.alias as RoomAlias,
    roomId: row.room_id as RoomId,
    creator: row.creator as UserId,
    createdTs: Number(row.created_ts),
  }
}

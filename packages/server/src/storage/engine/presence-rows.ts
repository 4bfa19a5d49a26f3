import type { UserId } from '@rhizome/core'
import {
  PRESENCE_STATES,
  type PresenceRecord,
  type PresenceState,
  type PresenceUpdate,
} from '../presence-store.js'

/** A presence row as both dialects select it. */
export interface PresenceRow {
  readonly user_id: string
  readonly state: string
  readonly status_msg: string | null
  readonly last_active_ts: number
  readonly last_sync_ts: number
  readonly stream_position: number
}

export function presenceRecordFromRow(row: PresenceRow): PresenceRecord {
  return {
    userId: row.user_id as UserId,
    state: storedState(row.state),
    statusMsg: row.status_msg ?? undefined,
    lastActiveTs: row.last_active_ts,
    lastSyncTs: row.last_sync_ts,
    streamPosition: row.stream_position,
  }
}

/** The record after `update`, for both dialects' `set`. */
export function updatedPresence(
  userId: UserId,
  current: PresenceRecord | undefined,
  update: PresenceUpdate,
  now: number,
  position: number,
): PresenceRecord {
  const statusMsg =
    update.statusMsg === undefined ? current?.statusMsg : (update.statusMsg ?? undefined)
  return {
    userId,
    state: update.state,
    statusMsg,
    lastActiveTs: update.lastActiveTs ?? current?.lastActiveTs ?? now,
    lastSyncTs: Math.max(update.lastSyncTs ?? current?.lastSyncTs ?? now, current?.lastSyncTs ?? 0),
    streamPosition: position,
  }
}

function storedState(state: string): PresenceState {
  const known = PRESENCE_STATES.find((s) => s === state)
  if (known === undefined) throw new Error(`stored presence state ${state} is not one we write`)
  return known
}

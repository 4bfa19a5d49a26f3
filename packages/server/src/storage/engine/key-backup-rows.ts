import type { RoomId } from '@rhizome/core'
import type { KeyBackupVersion, KeyScope, RoomKeyRecord } from '../key-backup-store.js'
import { parseStoredObject } from './json-text.js'

/** A key_backup_versions row, with its key count, as both dialects read it. */
export interface KeyBackupVersionRow {
  readonly version: number | string
  readonly algorithm: string
  readonly auth_data: string
  readonly etag: number | string
  readonly count: number | string
}

/** A key_backup_keys row as both dialects read it. */
export interface RoomKeyRow {
  readonly room_id: string
  readonly session_id: string
  readonly first_message_index: number | string
  readonly forwarded_count: number | string
  /** 0/1 in SQLite, a boolean in PostgreSQL. */
  readonly is_verified: number | boolean
  readonly session_data: string
}

export const ROOM_KEY_COLUMNS =
  'room_id, session_id, first_message_index, forwarded_count, is_verified, session_data' as const

/**
 * Versions are handed out as decimal strings of positive integers; every other string names no
 * version, so it is refused here rather than compared against the integer column.
 */
export function parseBackupVersion(version: string): number | undefined {
  if (!/^[1-9][0-9]{0,14}$/.test(version)) return undefined
  return Number(version)
}

export function versionFromRow(row: KeyBackupVersionRow): KeyBackupVersion {
  return {
    version: String(row.version),
    algorithm: row.algorithm,
    authData: parseStoredObject(row.auth_data, 'key backup auth_data'),
    etag: String(row.etag),
    count: Number(row.count),
  }
}

export function roomKeyFromRow(row: RoomKeyRow): RoomKeyRecord {
  return {
    roomId: row.room_id as RoomId,
    sessionId: row.session_id,
    firstMessageIndex: Number(row.first_message_index),
    forwardedCount: Number(row.forwarded_count),
    isVerified: row.is_verified === true || row.is_verified === 1,
    sessionData: parseStoredObject(row.session_data, 'backed-up session_data'),
  }
}

/** The key of a session within a version, for matching stored keys with incoming ones. */
export function sessionKey(roomId: string, sessionId: string): string {
  return JSON.stringify([roomId, sessionId])
}

/**
 * The scope as SQL conditions on key_backup_keys, to follow those on `user_id` and `version`,
 * with their values. `placeholder(n)` writes the n-th parameter of the statement (1-based), and
 * `first` is the number of the first one the scope takes. One fixed SQL text per kind of scope
 * keeps each an indexed lookup.
 */
export function scopeFilter(
  scope: KeyScope,
  placeholder: (n: number) => string,
  first: number,
): { readonly sql: string; readonly values: readonly string[] } {
  if (scope.roomId === undefined) return { sql: '', values: [] }
  if (scope.sessionId === undefined) {
    return { sql: ` AND room_id = ${placeholder(first)}`, values: [scope.roomId] }
  }
  return {
    sql: ` AND room_id = ${placeholder(first)} AND session_id = ${placeholder(first + 1)}`,
    values: [scope.roomId, scope.sessionId],
  }
}

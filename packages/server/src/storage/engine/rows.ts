import type { EventId, RoomId, UserId } from '@rhizome/core'
import type {
  AccessTokenRecord,
  DeviceRecord,
  MembershipRecord,
  RegistrationTokenRecord,
  RoomRecord,
  UserRecord,
} from '../interface.js'

/**
 * Rows as both dialects select them (same column names), and their records. Booleans come back
 * as 0/1 from SQLite and as booleans from PostgreSQL. IDs read back from our own tables were
 * parsed before they were stored, hence the casts to their brands.
 */
type SqlBool = number | boolean

export interface RoomRow {
  readonly room_id: string
  readonly room_version: string
  readonly creator: string
  readonly created_ts: number
  readonly is_public: SqlBool
  readonly current_state_group: number | null
}

export const ROOM_COLUMNS =
  'room_id, room_version, creator, created_ts, is_public, current_state_group'

export function roomFromRow(row: RoomRow): RoomRecord {
  return {
    roomId: row.room_id as RoomId,
    version: row.room_version,
    creator: row.creator as UserId,
    createdTs: row.created_ts,
    isPublic: Boolean(row.is_public),
    currentStateGroup: row.current_state_group ?? undefined,
  }
}

export interface MembershipRow {
  readonly room_id: string
  readonly user_id: string
  readonly membership: string
  readonly event_id: string
  readonly stream_position: number
}

export const MEMBERSHIP_COLUMNS = 'room_id, user_id, membership, event_id, stream_position'

export function membershipFromRow(row: MembershipRow): MembershipRecord {
  return {
    roomId: row.room_id as RoomId,
    userId: row.user_id as UserId,
    membership: row.membership,
    eventId: row.event_id as EventId,
    streamPosition: row.stream_position,
  }
}

export interface UserRow {
  readonly user_id: string
  readonly localpart: string
  readonly password_hash: string | null
  readonly is_admin: SqlBool
  readonly is_deactivated: SqlBool
  readonly created_ts: number
}

export const USER_COLUMNS =
  'user_id, localpart, password_hash, is_admin, is_deactivated, created_ts'

export function userFromRow(row: UserRow): UserRecord {
  return {
    userId: row.user_id as UserId,
    localpart: row.localpart,
    passwordHash: row.password_hash ?? undefined,
    isAdmin: Boolean(row.is_admin),
    isDeactivated: Boolean(row.is_deactivated),
    createdTs: row.created_ts,
  }
}

export interface DeviceRow {
  readonly user_id: string
  readonly device_id: string
  readonly display_name: string | null
  readonly last_seen_ts: number | null
  readonly last_seen_ip: string | null
  readonly created_ts: number
}

export const DEVICE_COLUMNS =
  'user_id, device_id, display_name, last_seen_ts, last_seen_ip, created_ts'

export function deviceFromRow(row: DeviceRow): DeviceRecord {
  return {
    userId: row.user_id as UserId,
    deviceId: row.device_id,
    displayName: row.display_name ?? undefined,
    lastSeenTs: row.last_seen_ts ?? undefined,
    lastSeenIp: row.last_seen_ip ?? undefined,
    createdTs: row.created_ts,
  }
}

export interface AccessTokenRow {
  readonly user_id: string
  readonly device_id: string
  readonly is_admin: SqlBool
  readonly is_deactivated: SqlBool
  readonly created_ts: number
  readonly last_used_ts: number | null
}

export function accessTokenFromRow(row: AccessTokenRow): AccessTokenRecord {
  return {
    userId: row.user_id as UserId,
    deviceId: row.device_id,
    isAdmin: Boolean(row.is_admin),
    isDeactivated: Boolean(row.is_deactivated),
    createdTs: row.created_ts,
    lastUsedTs: row.last_used_ts ?? undefined,
  }
}

export interface RegistrationTokenRow {
  readonly token: string
  readonly uses_allowed: number | null
  readonly pending: number
  readonly completed: number
  readonly expiry_time: number | null
}

export const REGISTRATION_TOKEN_COLUMNS = 'token, uses_allowed, pending, completed, expiry_time'

export function registrationTokenFromRow(row: RegistrationTokenRow): RegistrationTokenRecord {
  return {
    token: row.token,
    usesAllowed: row.uses_allowed ?? undefined,
    pending: row.pending,
    completed: row.completed,
    expiryTime: row.expiry_time ?? undefined,
  }
}

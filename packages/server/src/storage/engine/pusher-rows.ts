import type { UserId } from '@rhizome/core'
import type { PusherRecord } from '../pusher-store.js'

/** A pushers row as both dialects read it. */
export interface PusherRow {
  readonly user_id: string
  readonly app_id: string
  readonly pushkey: string
  readonly device_id: string
  readonly kind: string
  readonly app_display_name: string
  readonly device_display_name: string
  readonly profile_tag: string | null
  readonly lang: string
  readonly data: string
  readonly pushkey_ts: number | string
}

export const PUSHER_COLUMNS =
  'user_id, app_id, pushkey, device_id, kind, app_display_name, device_display_name, profile_tag, lang, data, pushkey_ts' as const

/** The column values of a pusher, in the order of PUSHER_COLUMNS. */
export function pusherValues(p: PusherRecord): unknown[] {
  return [
    p.userId,
    p.appId,
    p.pushkey,
    p.deviceId,
    p.kind,
    p.appDisplayName,
    p.deviceDisplayName,
    p.profileTag ?? null,
    p.lang,
    JSON.stringify(p.data),
    p.pushkeyTs,
  ]
}

export function pusherFromRow(row: PusherRow): PusherRecord {
  const parsed: unknown = JSON.parse(row.data)
  const data =
    typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : {}
  return {
    userId: row.user_id as UserId,
    appId: row.app_id,
    pushkey: row.pushkey,
    deviceId: row.device_id,
    kind: row.kind,
    appDisplayName: row.app_display_name,
    deviceDisplayName: row.device_display_name,
    profileTag: row.profile_tag ?? undefined,
    lang: row.lang,
    data,
    pushkeyTs: Number(row.pushkey_ts),
  }
}

/** Replaces a row with the same key, keeping the row's identity. */
export const PUSHER_UPSERT_SET =
  'device_id = excluded.device_id, kind = excluded.kind, app_display_name = excluded.app_display_name, device_display_name = excluded.device_display_name, profile_tag = excluded.profile_tag, lang = excluded.lang, data = excluded.data, pushkey_ts = excluded.pushkey_ts' as const

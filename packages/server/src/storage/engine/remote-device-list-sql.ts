import { isJsonObject, type JsonObject, type UserId } from '@rhizome/core'
import type {
  KeptDeviceList,
  RemoteDevice,
  RemoteDeviceUpdate,
  RemoteUpdateOutcome,
} from '../e2e-key-store.js'

/**
 * The queries of RemoteDeviceListStore (e2e-key-store.ts) that both dialects share, with
 * PostgreSQL's numbered parameters (SQLite runs them through toPositional), and the decisions
 * both make the same way.
 */

/**
 * Whether $2 (`%:server`, `!` escaping) names a local user joined, since `tracked_at` or before,
 * to a room that the list's user has been joined to since then too: sharing was unbroken.
 */
const SHARED_ALL_ALONG = `EXISTS (
    SELECT 1 FROM room_memberships theirs
    JOIN room_memberships ours ON ours.room_id = theirs.room_id
    WHERE theirs.user_id = l.user_id AND theirs.membership = 'join'
      AND theirs.stream_position <= l.tracked_at
      AND ours.membership = 'join' AND ours.stream_position <= l.tracked_at
      AND ours.user_id LIKE $2 ESCAPE '!')`

/** $1: the users, as the dialect's list parameter (`IN_LIST`). */
export const keptListsSql = (inList: string): string => `SELECT l.user_id, l.stream_id,
    l.master_key, l.self_signing_key,
    CASE WHEN l.stale THEN 0 WHEN ${SHARED_ALL_ALONG} THEN 1 ELSE 0 END AS is_current
  FROM remote_device_lists l WHERE l.user_id ${inList}`

/** Users of $1 joined to a room with a user matching $2 now. */
export const sharingSql = (inList: string): string => `SELECT DISTINCT theirs.user_id
  FROM room_memberships theirs
  WHERE theirs.user_id ${inList} AND theirs.membership = 'join' AND EXISTS (
    SELECT 1 FROM room_memberships ours
    WHERE ours.room_id = theirs.room_id AND ours.membership = 'join'
      AND ours.user_id LIKE $2 ESCAPE '!')`

export const keptDevicesSql = (inList: string): string =>
  `SELECT user_id, device_id, keys, display_name FROM remote_devices WHERE user_id ${inList}`

export interface KeptListRow {
  readonly user_id: string
  readonly stream_id: number | string
  readonly master_key: string | null
  readonly self_signing_key: string | null
  readonly is_current: number | string
}

export interface KeptDeviceRow {
  readonly user_id: string
  readonly device_id: string
  readonly keys: string | null
  readonly display_name: string | null
}

/** The LIKE pattern of the users whose IDs end in `suffix` (`:` and a server name). */
export function suffixPattern(suffix: string): string {
  return `%${suffix.replace(/[!%_]/g, (c) => `!${c}`)}`
}

export function keptFromRows(
  lists: readonly KeptListRow[],
  devices: readonly KeptDeviceRow[],
): Map<UserId, KeptDeviceList> {
  const byUser = new Map<string, RemoteDevice[]>()
  for (const row of devices) {
    const list = byUser.get(row.user_id) ?? []
    list.push({
      deviceId: row.device_id,
      keys: row.keys === null ? undefined : jsonObject(row.keys),
      displayName: row.display_name ?? undefined,
    })
    byUser.set(row.user_id, list)
  }
  const kept = new Map<UserId, KeptDeviceList>()
  for (const row of lists) {
    kept.set(row.user_id as UserId, {
      userId: row.user_id as UserId,
      streamId: Number(row.stream_id),
      devices: byUser.get(row.user_id) ?? [],
      masterKey: row.master_key === null ? undefined : jsonObject(row.master_key),
      selfSigningKey: row.self_signing_key === null ? undefined : jsonObject(row.self_signing_key),
      current: Number(row.is_current) === 1,
    })
  }
  return kept
}

function jsonObject(text: string): JsonObject | undefined {
  const parsed: unknown = JSON.parse(text)
  return isJsonObject(parsed) ? parsed : undefined
}

/** The kept list's head, as `applyUpdate` reads it inside its transaction. */
export interface KeptHead {
  readonly streamId: number
  readonly stale: boolean
}

/**
 * What to do with an update (server-server-api §Device Management, `prev_id`): it may be folded
 * in only when it follows the kept list directly, that is, when the latest stream ID it names as
 * coming before is the one the kept list is at, and it names none the list has not seen. With no
 * `prev_id`, nothing says what came before, so the list is fetched anew.
 */
export function decideUpdate(
  head: KeptHead | undefined,
  update: RemoteDeviceUpdate,
): RemoteUpdateOutcome | 'fold' {
  if (head === undefined) return 'untracked'
  if (head.stale) return 'missed'
  if (update.streamId <= head.streamId) return 'applied'
  if (update.prevIds.length === 0) return 'missed'
  const latest = Math.max(...update.prevIds)
  return latest === head.streamId ? 'fold' : 'missed'
}

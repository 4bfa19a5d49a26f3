import type { JsonObject, UserId } from '@rhizome/core'
import type { Storage } from '../storage/interface.js'

/** The most to-device messages one response carries (the spec recommends 100). */
export const TO_DEVICE_LIMIT = 100

/** A to-device message as /sync delivers it. */
export interface ToDeviceEvent {
  readonly sender: UserId
  readonly type: string
  readonly content: JsonObject
}

export interface DeviceLists {
  readonly changed: readonly UserId[]
  readonly left: readonly UserId[]
}

export interface DeviceSection {
  readonly events: readonly ToDeviceEvent[]
  /**
   * Where the response must end: `upTo`, or the position of the last message taken when more
   * are queued, so that next_batch acknowledges only what was delivered.
   */
  readonly upTo: number
  /** Undefined for a token without a device. */
  readonly keyCounts: KeyCounts | undefined
}

/**
 * What the device gets in a sync from `since` up to `upTo`: its one-time key counts, unused
 * fallback key algorithms and to-device messages (client-server-api §Send-to-Device messaging),
 * oldest first. Those at or below `since` were acknowledged (and deleted) when the request began
 * (SyncService). One read, and a second only when messages are queued.
 */
export async function deviceSection(
  storage: Pick<Storage, 'toDevice' | 'e2eKeys'>,
  userId: UserId,
  deviceId: string | undefined,
  since: number | undefined,
  upTo: number,
): Promise<DeviceSection> {
  if (deviceId === undefined) return { events: [], upTo, keyCounts: undefined }
  const state = await storage.e2eKeys.deviceSyncState(userId, deviceId)
  const keyCounts = {
    device_one_time_keys_count: state.oneTimeKeyCounts,
    device_unused_fallback_key_types: state.unusedFallbackKeyTypes,
  }
  if (state.oldestToDevice === undefined || state.oldestToDevice > upTo) {
    return { events: [], upTo, keyCounts }
  }
  const taken = await storage.toDevice.pending(userId, deviceId, since, upTo, TO_DEVICE_LIMIT + 1)
  const delivered = taken.slice(0, TO_DEVICE_LIMIT)
  const last = delivered.at(-1)
  return {
    events: delivered.map((m) => ({ sender: m.sender, type: m.type, content: m.content })),
    upTo: taken.length > TO_DEVICE_LIMIT && last !== undefined ? last.streamPosition : upTo,
    keyCounts,
  }
}

/**
 * Whose devices the client must look at again, and whom it can stop tracking, over (since,
 * upTo] (client-server-api §Tracking the device list for a user). Sharing is judged by joined
 * rooms, encrypted or not, as the spec allows.
 */
export async function deviceListChanges(
  storage: Pick<Storage, 'deviceLists'>,
  userId: UserId,
  since: number,
  upTo: number,
  membershipsMoved = true,
): Promise<DeviceLists> {
  if (since >= upTo) return { changed: [], left: [] }
  // Who shares a room with the user changes only with a membership event, which is news in one
  // of its rooms or a change of its own membership: without either, those reads are skipped.
  const [changed, sharing] = await Promise.all([
    storage.deviceLists.changedInSharedRooms(userId, since, upTo),
    membershipsMoved
      ? storage.deviceLists.sharingChanges(userId, since, upTo)
      : { newlySharing: [], stoppedSharing: [] },
  ])
  const stopped = sharing.stoppedSharing
  const left = new Set(stopped)
  const all = [...new Set([...changed, ...sharing.newlySharing])].filter((u) => !left.has(u))
  return { changed: all.sort(), left: [...left].sort() }
}

export interface KeyCounts {
  readonly device_one_time_keys_count: Readonly<Record<string, number>>
  readonly device_unused_fallback_key_types: readonly string[]
}

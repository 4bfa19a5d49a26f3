import type { RoomId, UserId } from '@rhizome/core'
import type { UnreadCount } from '../storage/push-store.js'
import type { SyncFilter } from './filter/sync-filter.js'
import type { JoinedRoom, UnreadNotificationCounts } from './sync-response.js'

/** Where the counts come from: the push processor's stored actions (push/unread-counts.ts). */
export interface UnreadCounter {
  /**
   * Counts per room and thread as of `upTo`, from what the push processor has stored so far: the
   * newest events may not be counted yet. The processor's batch that counts them takes a later
   * stream position and wakes the user, and that sync carries the room again (sync-builder.ts).
   */
  countsAt(
    userId: UserId,
    roomIds: readonly RoomId[],
    upTo: number,
  ): Promise<ReadonlyMap<RoomId, ReadonlyMap<string, UnreadCount>>>
}

export interface UnreadSyncParams {
  readonly userId: UserId
  readonly upTo: number
  readonly filter: SyncFilter
}

/**
 * Puts `unread_notifications` into every joined room of the response (zeros included: clients
 * reset their counts from it), and with `unread_thread_notifications` in the timeline filter,
 * the counts of each thread apart in `unread_thread_notifications`, the main timeline's being
 * the room's (client-server-api §Receiving notifications).
 */
export async function addUnreadCounts(
  counter: UnreadCounter | undefined,
  params: UnreadSyncParams,
  join: Record<RoomId, JoinedRoom>,
): Promise<void> {
  const roomIds = Object.keys(join) as RoomId[]
  if (counter === undefined || roomIds.length === 0) return
  const counts = await counter.countsAt(params.userId, roomIds, params.upTo)
  const perThread = params.filter.room.timeline.unreadThreadNotifications
  for (const roomId of roomIds) {
    const room = join[roomId]
    if (room === undefined) continue
    const threads = counts.get(roomId) ?? new Map<string, UnreadCount>()
    let main: UnreadCount = { notifications: 0, highlights: 0 }
    const others: Record<string, UnreadNotificationCounts> = {}
    for (const [threadId, count] of threads) {
      if (!perThread || threadId === 'main') {
        main = {
          notifications: main.notifications + count.notifications,
          highlights: main.highlights + count.highlights,
        }
      } else {
        others[threadId] = toCounts(count)
      }
    }
    join[roomId] = {
      ...room,
      unread_notifications: toCounts(main),
      ...(Object.keys(others).length === 0 ? {} : { unread_thread_notifications: others }),
    }
  }
}

function toCounts(count: UnreadCount): UnreadNotificationCounts {
  return { notification_count: count.notifications, highlight_count: count.highlights }
}

/**
 * `GET /notifications` (client-server-api §Listing Notifications): the events the user was
 * notified about, newest first, from the stored push actions, each with whether the user has
 * read it since (by their read position for its thread).
 */
import type { PushAction, RoomId, UserId } from '@rhizome/core'
import type { ClientEvent } from '../events/client-event.js'
import type { ClientEventSerializer } from '../events/client-event-serializer.js'
import type { Storage } from '../storage/interface.js'

export interface NotificationListDeps {
  readonly storage: Storage
  readonly serializer: ClientEventSerializer
}

export interface NotificationListQuery {
  /** A `next_token` from an earlier page: the position to continue below. */
  readonly from: number | undefined
  readonly limit: number
  readonly onlyHighlight: boolean
}

export interface NotificationItem {
  readonly actions: readonly PushAction[]
  readonly event: ClientEvent
  readonly read: boolean
  readonly room_id: RoomId
  readonly ts: number
}

export interface NotificationPage {
  readonly notifications: readonly NotificationItem[]
  readonly next_token?: string
}

export async function listNotifications(
  deps: NotificationListDeps,
  userId: UserId,
  query: NotificationListQuery,
): Promise<NotificationPage> {
  const { storage } = deps
  // One more than asked tells whether there is a next page.
  const rows = await storage.push.notifications(userId, {
    before: query.from,
    limit: query.limit + 1,
    onlyHighlight: query.onlyHighlight,
  })
  const page = rows.slice(0, query.limit)
  const events = await storage.events.getEvents(page.map((r) => r.eventId))
  const reads = new Map<RoomId, ReadonlyMap<string, number>>()
  for (const roomId of new Set(page.map((r) => r.roomId))) {
    reads.set(roomId, await storage.push.readPositions(userId, roomId))
  }
  const shown = page.flatMap((row) => {
    const event = events.get(row.eventId)
    return event === undefined ? [] : [{ row, event }]
  })
  const json = await deps.serializer.serialize(
    shown.map((s) => s.event),
    { viewer: { userId, deviceId: undefined } },
  )
  const notifications = shown.flatMap(({ row }, i): NotificationItem[] => {
    const event = json[i]
    if (event === undefined) return []
    const read = reads.get(row.roomId)
    const bound = Math.max(read?.get('') ?? 0, read?.get(row.threadId) ?? 0)
    return [
      {
        actions: row.actions,
        event,
        read: row.streamPosition <= bound,
        room_id: row.roomId,
        ts: row.ts,
      },
    ]
  })
  const last = page.at(-1)
  return rows.length > query.limit && last !== undefined
    ? { notifications, next_token: String(last.streamPosition) }
    : { notifications }
}

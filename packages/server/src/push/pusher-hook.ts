import type { PushAction, RoomId, UserId } from '@rhizome/core'
import type { StoredEvent } from '../storage/interface.js'
import type { UnreadCount } from '../storage/push-store.js'

/** One notification the push processor stored, as a pusher needs it. */
export interface PushedNotification {
  readonly userId: UserId
  readonly roomId: RoomId
  readonly event: StoredEvent
  /** The actions of the rule that matched (they include `notify`). */
  readonly actions: readonly PushAction[]
  /** The user's unread counts in the room with this event, all threads together. */
  readonly counts: UnreadCount
}

/**
 * Where pushers hook in: after each batch of push actions is committed, the processor hands the
 * notifications of the users the hook wants (those with pushers) to `notify`, in stream order.
 * Counts are only read for those users. A hook that throws or rejects is logged; the actions
 * stay stored either way.
 */
export interface PusherHook {
  wants(userId: UserId): boolean
  notify(notifications: readonly PushedNotification[]): Promise<void>
}

import type { RoomId, UserId } from '@rhizome/core'
import type { Storage } from '../storage/interface.js'
import type { UnreadCount } from '../storage/push-store.js'
import type { UnreadCounter } from '../sync/unread-sync.js'

/**
 * Unread counts for `/sync`, from the push actions the processor stored. It does not wait for
 * the processor: the counts are those stored now, and the batch that changes them wakes the
 * user's sync again (PushStore.processBatch).
 */
export class PushCounts implements UnreadCounter {
  readonly #storage: Storage

  constructor(storage: Storage) {
    this.#storage = storage
  }

  countsAt(
    userId: UserId,
    roomIds: readonly RoomId[],
    upTo: number,
  ): Promise<ReadonlyMap<RoomId, ReadonlyMap<string, UnreadCount>>> {
    return this.#storage.push.unreadCounts(userId, roomIds, upTo)
  }
}

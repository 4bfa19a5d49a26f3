import type { RoomId, UserId } from '@rhizome/core'
import type { Logger } from '../logging/logger.js'
import type { Storage } from '../storage/interface.js'
import type { UnreadCount } from '../storage/push-store.js'
import type { UnreadCounter } from '../sync/unread-sync.js'
import type { PushProcessor } from './push-processor.js'

/**
 * How long a `/sync` waits for the push processor to reach its position. The processor is
 * normally milliseconds behind; past this the response goes out with the counts as they are,
 * and the next response for the room corrects them.
 */
export const CAUGHT_UP_TIMEOUT_MS = 2000

/** Unread counts for `/sync`, from the push actions the processor stored. */
export class PushCounts implements UnreadCounter {
  readonly #storage: Storage
  readonly #processor: PushProcessor
  readonly #logger: Logger | undefined
  readonly #timeoutMs: number

  constructor(
    storage: Storage,
    processor: PushProcessor,
    logger?: Logger,
    timeoutMs = CAUGHT_UP_TIMEOUT_MS,
  ) {
    this.#storage = storage
    this.#processor = processor
    this.#logger = logger
    this.#timeoutMs = timeoutMs
  }

  async countsAt(
    userId: UserId,
    roomIds: readonly RoomId[],
    upTo: number,
  ): Promise<ReadonlyMap<RoomId, ReadonlyMap<string, UnreadCount>>> {
    if (!(await this.#processor.caughtUp(upTo, this.#timeoutMs, roomIds))) {
      this.#logger?.warn({ position: upTo }, 'push processing is behind; counts may lag')
    }
    return this.#storage.push.unreadCounts(userId, roomIds, upTo)
  }
}

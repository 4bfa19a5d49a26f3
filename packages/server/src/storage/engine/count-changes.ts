import type { RoomId, UserId } from '@rhizome/core'
import type { StreamNotification } from '../interface.js'

/** The (user, room) pairs whose unread counts a push batch changes, each once. */
export class CountChanges {
  readonly #byUser = new Map<UserId, Set<RoomId>>()

  add(userId: UserId, roomId: RoomId): void {
    let rooms = this.#byUser.get(userId)
    if (rooms === undefined) {
      rooms = new Set()
      this.#byUser.set(userId, rooms)
    }
    rooms.add(roomId)
  }

  get size(): number {
    return this.#byUser.size
  }

  *pairs(): Iterable<{ readonly userId: UserId; readonly roomId: RoomId }> {
    for (const [userId, rooms] of this.#byUser) {
      for (const roomId of rooms) yield { userId, roomId }
    }
  }

  /** Wakes the users' syncs: their rooms' counts changed, though no room got an event. */
  notification(position: number): StreamNotification {
    return { position, roomIds: [], userIds: [...this.#byUser.keys()], catchUp: false }
  }
}

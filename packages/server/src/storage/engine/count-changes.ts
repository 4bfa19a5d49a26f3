import type { RoomId, UserId } from '@rhizome/core'
import type { StreamNotification } from '../interface.js'

/**
 * What a push batch changes the unread counts of: (user, room) pairs, each once, and whole
 * rooms, whose room actions count for all their members.
 */
export class CountChanges {
  readonly #byUser = new Map<UserId, Set<RoomId>>()
  /** The rooms, each with the one sender of its events, or undefined for several. */
  readonly #rooms = new Map<RoomId, UserId | undefined>()

  add(userId: UserId, roomId: RoomId): void {
    let rooms = this.#byUser.get(userId)
    if (rooms === undefined) {
      rooms = new Set()
      this.#byUser.set(userId, rooms)
    }
    rooms.add(roomId)
  }

  addRoom(roomId: RoomId, sender: UserId): void {
    const seen = this.#rooms.get(roomId)
    this.#rooms.set(roomId, this.#rooms.has(roomId) && seen !== sender ? undefined : sender)
  }

  get size(): number {
    return this.#byUser.size + this.#rooms.size
  }

  *pairs(): Iterable<{ readonly userId: UserId; readonly roomId: RoomId }> {
    for (const [userId, rooms] of this.#byUser) {
      for (const roomId of rooms) yield { userId, roomId }
    }
  }

  /** The rooms, with the sender whose counts their changes leave alone (undefined: none). */
  get rooms(): readonly { readonly roomId: RoomId; readonly sender: UserId | undefined }[] {
    return [...this.#rooms].map(([roomId, sender]) => ({ roomId, sender }))
  }

  /** Wakes the syncs of the users and of the rooms' members: their counts changed. */
  notification(position: number): StreamNotification {
    return {
      position,
      roomIds: [...this.#rooms.keys()],
      userIds: [...this.#byUser.keys()],
      catchUp: false,
    }
  }
}

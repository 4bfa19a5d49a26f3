import type { RoomId } from '@rhizome/core'
import type { EphemeralEvent, JoinedRoom } from './sync-response.js'

/**
 * Puts ephemeral events into the joined rooms of a response, for each kind in turn (typing,
 * receipts): a room already in the response gets them appended to its `ephemeral` section; a
 * room with nothing else to report joins the response as `quiet()` plus its ephemeral events.
 * `roomIds` are the rooms that may appear (the user's joined rooms the filter lets through).
 */
export function addEphemeral(
  join: Record<RoomId, JoinedRoom>,
  roomIds: readonly RoomId[],
  events: ReadonlyMap<RoomId, readonly EphemeralEvent[]>,
  quiet: () => JoinedRoom,
): void {
  for (const roomId of roomIds) {
    const add = events.get(roomId)
    if (add === undefined || add.length === 0) continue
    const room = join[roomId] ?? quiet()
    join[roomId] = { ...room, ephemeral: { events: [...(room.ephemeral?.events ?? []), ...add] } }
  }
}

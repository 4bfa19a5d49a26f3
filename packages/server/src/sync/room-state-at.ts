import type { EventId, ReadonlyStateMap, RoomId } from '@rhizome/core'
import type { Storage } from '../storage/interface.js'

/**
 * The state group of a room as of a stream position: the state after the room's last event at or
 * before it. Undefined when the room had no event yet. One indexed query.
 */
export async function stateGroupAt(
  storage: Storage,
  roomId: RoomId,
  position: number,
): Promise<number | undefined> {
  const page = await storage.events.roomTimeline(roomId, {
    direction: 'b',
    from: position,
    limit: 1,
  })
  return page.events[0]?.stateGroupAfter
}

/**
 * The entries of `to` that `from` does not hold as they are: what a client that knows `from`
 * needs to learn `to`. An entry that `to` no longer has cannot be expressed in a sync response
 * (there is no "removed" state event), so it is not reported.
 */
export function changedEntries(
  from: ReadonlyStateMap<EventId> | undefined,
  to: ReadonlyStateMap<EventId>,
): Array<readonly [type: string, stateKey: string, eventId: EventId]> {
  const out: Array<readonly [string, string, EventId]> = []
  for (const entry of to) {
    if (from === undefined || from.get(entry[0], entry[1]) !== entry[2]) out.push(entry)
  }
  return out
}

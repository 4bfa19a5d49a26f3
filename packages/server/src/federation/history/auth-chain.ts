/**
 * The auth chain of events as this server holds it: every event reachable from them through
 * `auth_events` (server-server-api §Retrieving event authorisation information). From room
 * version 12 the create event authorises every event without being listed, so it is part of
 * every chain there.
 */
import { createEventIdOfRoom, roomVersionRules, type EventId, type RoomId } from '@rhizome/core'
import type { EventStore, StoredEvent } from '../../storage/interface.js'

/** The chain of `starts` (without the starts, unless one reaches another), in no set order. */
export async function loadAuthChain(
  events: Pick<EventStore, 'getEvents'>,
  roomId: RoomId,
  roomVersion: string,
  starts: readonly StoredEvent[],
): Promise<StoredEvent[]> {
  const out = new Map<EventId, StoredEvent>()
  let frontier = new Set<EventId>()
  for (const event of starts) for (const id of event.pdu.authEvents) frontier.add(id)
  if (roomVersionRules(roomVersion)?.eventFormat.roomIdIsCreateEventHash === true) {
    const create = createEventIdOfRoom(roomId)
    if (starts.some((event) => event.pdu.eventId !== create)) frontier.add(create)
  }
  while (frontier.size > 0) {
    const loaded = await events.getEvents([...frontier])
    const next = new Set<EventId>()
    for (const [id, event] of loaded) {
      if (out.has(id) || event.pdu.roomId !== roomId) continue
      out.set(id, event)
      for (const authId of event.pdu.authEvents) if (!out.has(authId)) next.add(authId)
    }
    frontier = next
  }
  return [...out.values()]
}

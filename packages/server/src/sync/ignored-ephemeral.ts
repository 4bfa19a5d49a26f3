import {
  isJsonObject,
  type JsonObject,
  type JsonValue,
  type RoomId,
  type UserId,
} from '@rhizome/core'
import type { EphemeralEvent } from './sync-response.js'

/**
 * Typing notices and receipts without the users the viewer ignores (client-server-api §Ignoring
 * Users: the client no longer receives what they send). A typing list keeps its event even when
 * it becomes empty, since an empty list is news (someone stopped); a receipt event left with
 * nothing is dropped, and so is a room left with no events.
 */
export function withoutIgnored(
  events: Map<RoomId, EphemeralEvent[]>,
  ignored: ReadonlySet<UserId>,
): Map<RoomId, EphemeralEvent[]> {
  if (ignored.size === 0) return events
  const out = new Map<RoomId, EphemeralEvent[]>()
  for (const [roomId, list] of events) {
    const kept: EphemeralEvent[] = []
    for (const event of list) {
      const filtered = filterEvent(event, ignored)
      if (filtered !== undefined) kept.push(filtered)
    }
    if (kept.length > 0) out.set(roomId, kept)
  }
  return out
}

function filterEvent(
  event: EphemeralEvent,
  ignored: ReadonlySet<string>,
): EphemeralEvent | undefined {
  if (event.type === 'm.typing') {
    const ids = event.content['user_ids']
    if (!Array.isArray(ids)) return event
    const kept = (ids as readonly JsonValue[]).filter(
      (id) => typeof id !== 'string' || !ignored.has(id),
    )
    return { ...event, content: { ...event.content, user_ids: kept } }
  }
  if (event.type === 'm.receipt') {
    const content = receiptsWithout(event.content, ignored)
    return Object.keys(content).length === 0 ? undefined : { ...event, content }
  }
  return event
}

/** `{ eventId: { receiptType: { userId: receipt } } }` without the ignored users' receipts. */
function receiptsWithout(content: JsonObject, ignored: ReadonlySet<string>): JsonObject {
  const out: Record<string, JsonObject> = {}
  for (const [eventId, byType] of Object.entries(content)) {
    if (!isJsonObject(byType)) continue
    const types: Record<string, JsonObject> = {}
    for (const [receiptType, byUser] of Object.entries(byType)) {
      if (!isJsonObject(byUser)) continue
      const users: Record<string, JsonValue> = {}
      for (const [userId, receipt] of Object.entries(byUser)) {
        if (!ignored.has(userId)) users[userId] = receipt
      }
      if (Object.keys(users).length > 0) types[receiptType] = users
    }
    if (Object.keys(types).length > 0) out[eventId] = types
  }
  return out
}

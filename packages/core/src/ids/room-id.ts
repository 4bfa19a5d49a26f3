/**
 * Room IDs (appendices §Room IDs), at most 255 bytes, in one of two forms:
 * - `!opaque_id:server_name` (room versions 1-11), where the opaque part follows the localpart
 *   rule: any code point but `:` and NUL, possibly empty;
 * - `!` + the create event's reference hash in URL-safe unpadded base64 (version 12): the create
 *   event's ID with `!` for `$`, 43 characters and no server name.
 * The forms cannot be confused: the URL-safe alphabet has no `:`.
 */
import { invalidParam } from '../errors/matrix-error.js'
import { err, ok } from '../errors/result.js'
import type { Result } from '../errors/result.js'
import { isUnpaddedBase64 } from '../encoding/base64.js'
import { checkCommonId } from './common-id.js'
import { REFERENCE_HASH_BYTES } from './event-id.js'
import { quoteForError } from './id-text.js'
import type { EventId, RoomId, ServerName } from './types.js'

export function parseRoomId(raw: string): Result<RoomId> {
  if (typeof raw !== 'string') return err(invalidParam('room ID must be a string'))
  if (!raw.includes(':') && raw.startsWith('!')) {
    if (isUnpaddedBase64(raw, REFERENCE_HASH_BYTES, 'url-safe', 1)) return ok(raw as RoomId)
    return err(
      invalidParam(
        `room ID is neither '!opaque:server' nor '!' and a URL-safe base64 sha256 hash: ${quoteForError(raw)}`,
      ),
    )
  }
  const colon = checkCommonId(raw, '!', 'room ID')
  return colon.ok ? ok(raw as RoomId) : colon
}

/** The server name of a room ID, or undefined for a room ID that is a hash (room version 12). */
export function roomIdServerName(id: RoomId): ServerName | undefined {
  const colon = id.indexOf(':')
  // parseRoomId checked everything after the first ':' as a server name.
  return colon < 0 ? undefined : (id.slice(colon + 1) as ServerName)
}

/**
 * The room ID that a create event's ID stands for in room versions whose room ID is the create
 * event's hash. Only such an event ID (URL-safe hash) has one: passing any other is a bug.
 */
export function roomIdFromCreateEventId(eventId: EventId): RoomId {
  if (!isUnpaddedBase64(eventId, REFERENCE_HASH_BYTES, 'url-safe', 1)) {
    throw new Error(`roomIdFromCreateEventId: not a URL-safe reference hash event ID: ${eventId}`)
  }
  return `!${eventId.slice(1)}` as RoomId
}

/**
 * The create event's ID in room versions whose room ID is that event's hash (v12): `$` for `!`.
 * Room IDs of other versions name no event; the result is then an ID no event has.
 */
export function createEventIdOfRoom(roomId: RoomId): EventId {
  return `$${roomId.slice(1)}` as EventId
}

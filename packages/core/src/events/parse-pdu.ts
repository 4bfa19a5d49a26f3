import type { CryptoProvider } from '../crypto/provider.js'
import { utf8ByteLength } from '../encoding/utf8.js'
import { badJson, invalidParam, tooLarge, type MatrixError } from '../errors/matrix-error.js'
import { err, ok, type Result } from '../errors/result.js'
import { exceedsUtf8Bytes, quoteForError } from '../ids/id-text.js'
import { parseEventId } from '../ids/event-id.js'
import { parseRoomId, roomIdFromCreateEventId } from '../ids/room-id.js'
import { parseUserId } from '../ids/user-id.js'
import type { EventId, RoomId, UserId } from '../ids/types.js'
import { canonicalJson, checkCanonicalJson } from '../json/canonical-json.js'
import { isJsonObject, type JsonObject, type JsonValue } from '../json/json.js'
import type { RoomVersionRules } from '../room-versions/rules.js'
import { computeEventId } from './hashes.js'
import type { Pdu } from './pdu.js'
import {
  MAX_AUTH_EVENTS,
  MAX_PDU_BYTES,
  MAX_PDU_KEY_BYTES,
  MAX_PREV_EVENTS,
  maxDepth,
} from './pdu-limits.js'

/**
 * Checks an event from another server against the event format of its room version (step 1 of
 * server-server-api §Checks performed on receipt of a PDU) and returns its typed view:
 *
 * - every field of the version's PDU schema has its type: `type`, `sender`, `content`,
 *   `origin_server_ts`, `depth`, `prev_events`, `auth_events`, `hashes` (with a string `sha256`) and
 *   `signatures` (server -> key ID -> string) are required, `state_key` and `unsigned` optional;
 * - `room_id` is required, except on a v12 create event, which must not have one (its room ID is
 *   derived from its event ID); `event_id` is required in v1-v2 and must be absent later, where the
 *   event ID is the reference hash (a key in the event would otherwise be hashed into its own ID);
 * - `prev_events` and `auth_events` hold at most 20 and 10 references, each an event ID of the
 *   version's format, paired with `{sha256}` in v1-v2;
 * - `depth` is an integer in [0, 2^63 - 1], or [0, 2^53 - 1] where canonical JSON is strict (v6+);
 * - `type` and `state_key` take at most 255 bytes of UTF-8, as do the identifiers, which must also
 *   parse (`sender` a user ID, `room_id` a room ID);
 * - the redacted event of an `m.room.redaction`, when named (top-level `redacts` before v11,
 *   `content.redacts` from v11), is an event ID of the version's format;
 * - the whole PDU is canonical JSON (integers only within +-(2^53 - 1) from v6) and takes at most
 *   65536 bytes as canonical JSON, signatures and `unsigned` included.
 *
 * Then it computes the event ID. Signatures and hashes are not checked here: that is the next step.
 * Errors name the field: M_BAD_JSON for a missing field or a wrong type, M_TOO_LARGE for a size
 * limit, M_INVALID_PARAM for a malformed identifier or an out-of-range depth. Never throws.
 *
 * The view shares `json` (and its arrays where it can) rather than copying it.
 */
export function parseUntrustedPdu(
  json: unknown,
  rules: RoomVersionRules,
  crypto: CryptoProvider,
): Result<Pdu> {
  if (!isJsonObject(json)) return err(badJson('PDU must be a JSON object'))
  const format = checkFormat(json, rules)
  if (format !== undefined) return err(format)

  const canonical = checkCanonicalJson(json, rules.eventFormat.strictCanonicalJson)
  if (!canonical.ok) return err(badJson(`PDU is not canonical JSON: ${canonical.error.error}`))
  const size = utf8ByteLength(canonicalJson(json))
  if (size > MAX_PDU_BYTES) {
    return err(tooLarge(`PDU is ${size} bytes as canonical JSON, over the ${MAX_PDU_BYTES} limit`))
  }

  let eventId: EventId
  if (rules.eventFormat.eventIdFormat === 'origin-assigned') {
    // checkFormat parsed it.
    eventId = field(json, 'event_id') as EventId
  } else {
    const computed = computeEventId(json, rules, crypto)
    if (!computed.ok) return computed
    eventId = computed.value
  }
  return ok(pduView(json, eventId, rules))
}

/**
 * The view of an event read back from our own database, which parseUntrustedPdu (or buildEvent)
 * accepted before it was stored: no checks, so it is cheap. `eventId` is the ID stored with it.
 * Gives the same view parseUntrustedPdu gave.
 */
export function loadTrustedPdu(json: JsonObject, eventId: EventId, rules: RoomVersionRules): Pdu {
  return pduView(json, eventId, rules)
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

function pduView(json: JsonObject, eventId: EventId, rules: RoomVersionRules): Pdu {
  const type = json['type'] as string
  const roomId = field(json, 'room_id')
  const content = json['content'] as JsonObject
  const pdu: Mutable<Pdu> = {
    eventId,
    roomId: typeof roomId === 'string' ? (roomId as RoomId) : roomIdFromCreateEventId(eventId),
    sender: json['sender'] as UserId,
    type,
    content,
    originServerTs: json['origin_server_ts'] as number,
    depth: json['depth'] as number,
    prevEvents: referenceIds(json['prev_events'], rules),
    authEvents: referenceIds(json['auth_events'], rules),
    json,
  }
  const stateKey = field(json, 'state_key')
  if (typeof stateKey === 'string') pdu.stateKey = stateKey
  if (type === 'm.room.redaction') {
    const redacts = field(rules.redaction.v11Redaction ? content : json, 'redacts')
    if (typeof redacts === 'string') pdu.redacts = redacts as EventId
  }
  return pdu
}

function referenceIds(refs: JsonValue | undefined, rules: RoomVersionRules): readonly EventId[] {
  const list = refs as readonly JsonValue[]
  // Later formats list the IDs themselves, so the array is the view.
  if (!rules.eventFormat.eventReferencesIncludeHashes) return list as readonly EventId[]
  return list.map((pair) => (pair as readonly JsonValue[])[0] as EventId)
}

/** An own property: a key inherited from a prototype is not part of the event. */
function field(object: JsonObject, key: string): JsonValue | undefined {
  return Object.hasOwn(object, key) ? object[key] : undefined
}

/** The first format problem of the event, in the order of the PDU schema, or undefined. */
function checkFormat(json: JsonObject, rules: RoomVersionRules): MatrixError | undefined {
  const format = rules.eventFormat
  const type = field(json, 'type')
  if (typeof type !== 'string') return missingOrWrong(json, 'type', 'a string')
  if (exceedsUtf8Bytes(type, MAX_PDU_KEY_BYTES)) return overKeyLimit('type')

  const stateKey = field(json, 'state_key')
  if (stateKey !== undefined) {
    if (typeof stateKey !== 'string') return badJson('state_key must be a string')
    if (exceedsUtf8Bytes(stateKey, MAX_PDU_KEY_BYTES)) return overKeyLimit('state_key')
  }

  const sender = field(json, 'sender')
  if (typeof sender !== 'string') return missingOrWrong(json, 'sender', 'a string')
  if (exceedsUtf8Bytes(sender, MAX_PDU_KEY_BYTES)) return overKeyLimit('sender')
  const senderId = parseUserId(sender)
  if (!senderId.ok) return invalidParam(`sender: ${senderId.error.error}`)

  const roomId = field(json, 'room_id')
  if (format.roomIdIsCreateEventHash && type === 'm.room.create') {
    if (roomId !== undefined) {
      return badJson('room_id must be absent from a create event: the room ID is its event ID')
    }
  } else {
    if (typeof roomId !== 'string') return missingOrWrong(json, 'room_id', 'a string')
    if (exceedsUtf8Bytes(roomId, MAX_PDU_KEY_BYTES)) return overKeyLimit('room_id')
    const parsed = parseRoomId(roomId)
    if (!parsed.ok) return invalidParam(`room_id: ${parsed.error.error}`)
  }

  const eventId = field(json, 'event_id')
  if (format.eventIdFormat === 'origin-assigned') {
    if (typeof eventId !== 'string') return missingOrWrong(json, 'event_id', 'a string')
    if (exceedsUtf8Bytes(eventId, MAX_PDU_KEY_BYTES)) return overKeyLimit('event_id')
    const parsed = parseEventId(eventId, format.eventIdFormat)
    if (!parsed.ok) return invalidParam(`event_id: ${parsed.error.error}`)
  } else if (eventId !== undefined) {
    return badJson(
      `event_id must be absent in room version ${rules.id}: the ID is the event's hash`,
    )
  }

  const content = field(json, 'content')
  if (!isJsonObject(content)) return missingOrWrong(json, 'content', 'an object')

  const ts = field(json, 'origin_server_ts')
  if (typeof ts !== 'number' || !Number.isInteger(ts)) {
    return missingOrWrong(json, 'origin_server_ts', 'an integer')
  }

  const depth = field(json, 'depth')
  if (typeof depth !== 'number' || !Number.isInteger(depth)) {
    return missingOrWrong(json, 'depth', 'an integer')
  }
  if (depth < 0 || depth > maxDepth(rules)) {
    const bound = format.strictCanonicalJson ? '2^53 - 1' : '2^63 - 1'
    return invalidParam(`depth ${depth} is outside the range from 0 to ${bound}`)
  }

  const prev = checkReferences(json, 'prev_events', MAX_PREV_EVENTS, rules)
  if (prev !== undefined) return prev
  const auth = checkReferences(json, 'auth_events', MAX_AUTH_EVENTS, rules)
  if (auth !== undefined) return auth

  const hashes = field(json, 'hashes')
  if (!isJsonObject(hashes)) return missingOrWrong(json, 'hashes', 'an object')
  if (typeof field(hashes, 'sha256') !== 'string') {
    return missingOrWrong(hashes, 'sha256', 'a string', 'hashes.sha256')
  }

  const signatures = field(json, 'signatures')
  if (!isJsonObject(signatures)) return missingOrWrong(json, 'signatures', 'an object')
  for (const server of Object.keys(signatures)) {
    const keys = signatures[server]
    if (!isJsonObject(keys))
      return badJson(`signatures of ${quoteForError(server)} must be an object`)
    for (const keyId of Object.keys(keys)) {
      if (typeof keys[keyId] !== 'string') {
        return badJson(
          `signature ${quoteForError(keyId)} of ${quoteForError(server)} must be a string`,
        )
      }
    }
  }

  const unsigned = field(json, 'unsigned')
  if (unsigned !== undefined && !isJsonObject(unsigned))
    return badJson('unsigned must be an object')

  return checkRedacts(json, type, content, rules)
}

function checkReferences(
  json: JsonObject,
  name: 'prev_events' | 'auth_events',
  max: number,
  rules: RoomVersionRules,
): MatrixError | undefined {
  const refs = field(json, name)
  if (!Array.isArray(refs)) return missingOrWrong(json, name, 'an array')
  const list = refs as readonly JsonValue[]
  if (list.length > max) {
    return tooLarge(`${name} has ${list.length} entries, over the limit of ${max}`)
  }
  const format = rules.eventFormat
  for (let i = 0; i < list.length; i++) {
    let id = list[i]
    if (format.eventReferencesIncludeHashes) {
      const pair = id
      if (!Array.isArray(pair) || pair.length !== 2) {
        return badJson(`${name}[${i}] must be an [event ID, {sha256}] pair`)
      }
      const hash = pair[1] as JsonValue
      if (!isJsonObject(hash) || typeof field(hash, 'sha256') !== 'string') {
        return badJson(`${name}[${i}][1] must be an object with a string sha256`)
      }
      id = pair[0] as JsonValue
    }
    if (typeof id !== 'string') return badJson(`${name}[${i}] must be an event ID string`)
    if (exceedsUtf8Bytes(id, MAX_PDU_KEY_BYTES)) return overKeyLimit(`${name}[${i}]`)
    const parsed = parseEventId(id, format.eventIdFormat)
    if (!parsed.ok) return invalidParam(`${name}[${i}]: ${parsed.error.error}`)
  }
  return undefined
}

/**
 * Before v11 a redaction names its target in a top-level `redacts` (a string in every PDU schema);
 * from v11 in `content.redacts`, and the top-level key is no longer part of the format.
 */
function checkRedacts(
  json: JsonObject,
  type: string,
  content: JsonObject,
  rules: RoomVersionRules,
): MatrixError | undefined {
  const inContent = rules.redaction.v11Redaction
  const redacts = field(inContent ? content : json, 'redacts')
  const name = inContent ? 'content.redacts' : 'redacts'
  if (redacts === undefined) return undefined
  if (inContent && type !== 'm.room.redaction') return undefined
  if (typeof redacts !== 'string') return badJson(`${name} must be a string`)
  if (type !== 'm.room.redaction') return undefined
  const parsed = parseEventId(redacts, rules.eventFormat.eventIdFormat)
  return parsed.ok ? undefined : invalidParam(`${name}: ${parsed.error.error}`)
}

function missingOrWrong(
  object: JsonObject,
  key: string,
  expected: string,
  name: string = key,
): MatrixError {
  return field(object, key) === undefined
    ? badJson(`${name} is missing`)
    : badJson(`${name} must be ${expected}`)
}

function overKeyLimit(name: string): MatrixError {
  return tooLarge(`${name} is longer than ${MAX_PDU_KEY_BYTES} bytes`)
}

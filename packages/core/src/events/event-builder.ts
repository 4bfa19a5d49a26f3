import type { CryptoProvider } from '../crypto/provider.js'
import type { SigningKey } from '../crypto/signing-key.js'
import { encodeBase64Url } from '../encoding/base64.js'
import { invalidParam } from '../errors/matrix-error.js'
import { err, type Result } from '../errors/result.js'
import type { EventId, RoomId, UserId } from '../ids/types.js'
import type { JsonObject, JsonValue } from '../json/json.js'
import type { RoomVersionRules } from '../room-versions/rules.js'
import { hashAndSignEvent } from './event-signing.js'
import { parseUntrustedPdu } from './parse-pdu.js'
import type { Pdu } from './pdu.js'
import { maxDepth } from './pdu-limits.js'

/** An event this one references. */
export interface EventReference {
  readonly eventId: EventId
  /**
   * The referenced event's reference hash in unpadded standard base64. Required in room versions
   * 1-2, whose references are `[event_id, {sha256: hash}]` pairs; unused later.
   */
  readonly referenceHash?: string
}

export interface PrevEventReference extends EventReference {
  readonly depth: number
}

export interface BuildEventInput {
  readonly roomVersion: RoomVersionRules
  /** Required, except for the create event of a room whose ID is the create event's hash (v12). */
  readonly roomId?: RoomId
  readonly sender: UserId
  readonly type: string
  readonly stateKey?: string
  readonly content: JsonObject
  readonly prevEvents: readonly PrevEventReference[]
  /** Plain IDs will do from v3; v1-v2 need the hashes. */
  readonly authEvents: readonly (EventId | EventReference)[]
  readonly originServerTs: number
  /** For `m.room.redaction`: top-level `redacts` before v11, `content.redacts` from v11. */
  readonly redacts?: EventId
  /** The optional top-level `origin` (the sending server's name), for peers that still read it. */
  readonly origin?: string
  /** v1-v2: the opaque part of the origin-assigned event ID. Random when absent. */
  readonly eventIdLocalpart?: string
}

/** Random bytes in a v1-v2 event ID localpart: 144 bits, 24 URL-safe base64 characters. */
const EVENT_ID_RANDOM_BYTES = 18

/**
 * Forms a new event in the room version's PDU format, adds its content hash and our signature, and
 * returns it as parseUntrustedPdu sees it, so we never emit an event that another server would drop
 * for its format or size. `depth` is one more than the deepest prev event (1 for none), held at the
 * version's limit. In v1-v2 the event ID is `$localpart:signingName`; later it is the reference
 * hash, and for a v12 create event the room ID follows from it.
 *
 * The caller chooses prev and auth events (see `selectAuthEvents`); whether the event passes the
 * auth rules is checked elsewhere.
 */
export function buildEvent(
  input: BuildEventInput,
  signingName: string,
  key: SigningKey,
  crypto: CryptoProvider,
): Result<Pdu> {
  const rules = input.roomVersion
  const format = rules.eventFormat
  const event: Record<string, JsonValue> = {
    type: input.type,
    sender: input.sender,
    origin_server_ts: input.originServerTs,
  }

  if (format.roomIdIsCreateEventHash && input.type === 'm.room.create') {
    if (input.roomId !== undefined) {
      return err(invalidParam('a create event in this room version has no room_id'))
    }
  } else {
    if (input.roomId === undefined) return err(invalidParam('room_id is required'))
    event['room_id'] = input.roomId
  }
  if (input.stateKey !== undefined) event['state_key'] = input.stateKey

  let content = input.content
  if (input.redacts !== undefined) {
    if (rules.redaction.v11Redaction) content = { ...content, redacts: input.redacts }
    else event['redacts'] = input.redacts
  }
  event['content'] = content

  let depth = 0
  for (const prev of input.prevEvents) if (prev.depth > depth) depth = prev.depth
  event['depth'] = Math.min(depth + 1, maxDepth(rules))

  const prevEvents = references(input.prevEvents, 'prev_events', rules)
  if (!prevEvents.ok) return prevEvents
  event['prev_events'] = prevEvents.value
  const authEvents = references(
    input.authEvents.map((ref) => (typeof ref === 'string' ? { eventId: ref } : ref)),
    'auth_events',
    rules,
  )
  if (!authEvents.ok) return authEvents
  event['auth_events'] = authEvents.value

  if (input.origin !== undefined) event['origin'] = input.origin
  if (format.eventIdFormat === 'origin-assigned') {
    const localpart =
      input.eventIdLocalpart ?? encodeBase64Url(crypto.randomBytes(EVENT_ID_RANDOM_BYTES))
    event['event_id'] = `$${localpart}:${signingName}`
  }

  const signed = hashAndSignEvent(event, rules, signingName, key, crypto)
  return parseUntrustedPdu(signed, rules, crypto)
}

function references(
  refs: readonly EventReference[],
  name: string,
  rules: RoomVersionRules,
): Result<JsonValue[]> {
  if (!rules.eventFormat.eventReferencesIncludeHashes) {
    return { ok: true, value: refs.map((ref) => ref.eventId) }
  }
  const out: JsonValue[] = []
  for (const ref of refs) {
    if (ref.referenceHash === undefined) {
      return err(
        invalidParam(`${name}: ${ref.eventId} needs its reference hash in this room version`),
      )
    }
    out.push([ref.eventId, { sha256: ref.referenceHash }])
  }
  return { ok: true, value: out }
}

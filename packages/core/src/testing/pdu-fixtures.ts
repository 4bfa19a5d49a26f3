/**
 * Test fixtures: Pdu values built by hand for auth-rule and state-resolution tests, which care about
 * the graph and the content of events, not about hashes or signatures. Event IDs are given by the
 * test so that scenarios read like the diagrams in the spec.
 */
import type { Pdu } from '../events/pdu.js'
import type { EventId, RoomId, UserId } from '../ids/types.js'
import type { JsonObject } from '../json/json.js'

export interface PduSpec {
  readonly id: string
  readonly type: string
  readonly sender: string
  readonly stateKey?: string
  readonly content?: JsonObject
  readonly prev?: readonly string[]
  readonly auth?: readonly string[]
  readonly depth?: number
  readonly ts?: number
  readonly redacts?: string
  readonly roomId?: string
}

export const TEST_ROOM_ID = '!room:example.org'

/** `$name` for short names, so tests can say `pdu({ id: 'CREATE', ... })`. */
export function eventId(name: string): EventId {
  return (name.startsWith('$') ? name : `$${name}`) as EventId
}

export function userId(name: string): UserId {
  return name as UserId
}

export function pdu(spec: PduSpec): Pdu {
  const roomId = (spec.roomId ?? TEST_ROOM_ID) as RoomId
  const content = spec.content ?? {}
  const prevEvents = (spec.prev ?? []).map(eventId)
  const authEvents = (spec.auth ?? []).map(eventId)
  const json: Record<string, unknown> = {
    event_id: eventId(spec.id),
    room_id: roomId,
    sender: spec.sender,
    type: spec.type,
    content,
    origin_server_ts: spec.ts ?? 0,
    depth: spec.depth ?? 0,
    prev_events: prevEvents,
    auth_events: authEvents,
    hashes: { sha256: '' },
    signatures: {},
  }
  if (spec.stateKey !== undefined) json['state_key'] = spec.stateKey
  if (spec.redacts !== undefined) json['redacts'] = eventId(spec.redacts)
  return {
    eventId: eventId(spec.id),
    roomId,
    sender: userId(spec.sender),
    type: spec.type,
    ...(spec.stateKey !== undefined ? { stateKey: spec.stateKey } : {}),
    content,
    originServerTs: spec.ts ?? 0,
    depth: spec.depth ?? 0,
    prevEvents,
    authEvents,
    ...(spec.redacts !== undefined ? { redacts: eventId(spec.redacts) } : {}),
    json: json as JsonObject,
  }
}

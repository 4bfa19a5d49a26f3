import type { RoomVersionRules } from '../room-versions/rules.js'

/**
 * Size limits on PDUs (client-server-api §Size limits; the PDU schemas of rooms/*.md). Every
 * server checks them on receipt, so we also hold our own events to them before sending.
 */

/** The whole PDU as federation carries it (signatures and unsigned included), as canonical JSON. */
export const MAX_PDU_BYTES = 65536

/** `type` and `state_key`; the identifiers (`sender`, `room_id`, `event_id`) have the same limit. */
export const MAX_PDU_KEY_BYTES = 255

export const MAX_PREV_EVENTS = 20
export const MAX_AUTH_EVENTS = 10

/**
 * `depth` in room versions 1-5: at most 2^63 - 1. As a double this rounds to 2^63, so the bound lets
 * through values that round to it; JSON numbers parse to doubles and cannot be checked closer.
 */
export const MAX_DEPTH_LENIENT = 2 ** 63 - 1

/** `depth` from room version 6, where canonical JSON limits integers to 2^53 - 1. */
export const MAX_DEPTH_STRICT = Number.MAX_SAFE_INTEGER

/** The largest `depth` an event of the room version may have (and the value it sticks at). */
export function maxDepth(rules: RoomVersionRules): number {
  return rules.eventFormat.strictCanonicalJson ? MAX_DEPTH_STRICT : MAX_DEPTH_LENIENT
}

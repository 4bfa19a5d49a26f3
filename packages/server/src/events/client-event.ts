/**
 * Room events as clients see them: the ClientEvent format of client-server-api §Room event format
 * (definitions/client_event.yaml), made from the stored PDU. Pure: whatever must be looked up
 * (the redaction, the replaced state event, the transaction ID) is passed in.
 */
import {
  redactContent,
  roomVersionRules,
  type JsonObject,
  type JsonValue,
  type Pdu,
} from '@rhizome/core'
import type { StoredEvent } from '../storage/interface.js'

/** A serialized client event: plain JSON, ready to send. */
export type ClientEvent = JsonObject

export interface ClientEventExtras {
  /** Milliseconds since the epoch, for `unsigned.age`. */
  readonly now: number
  /** The redaction that redacted this event, already in client format. */
  readonly redactedBecause?: ClientEvent
  /**
   * The state event this one replaced (state events only), with whether it has been redacted,
   * for `unsigned.prev_content`, `prev_sender` and `replaces_state`.
   */
  readonly replaces?: { readonly pdu: Pdu; readonly redacted: boolean }
  /** The client's transaction ID, given only when serving the device that sent the event. */
  readonly transactionId?: string
  /** Leave out `room_id` (the /sync format, where the room is implied). */
  readonly withoutRoomId?: boolean
  /** The bundled aggregations, for `unsigned['m.relations']` (see bundled-aggregations.ts). */
  readonly relations?: JsonObject
}

export function toClientEvent(event: StoredEvent, extras: ClientEventExtras): ClientEvent {
  const { pdu } = event
  const rules = roomVersionRules(event.roomVersion)
  if (rules === undefined) throw new Error(`event ${pdu.eventId} has unknown room version`)
  // Redacted content is served even when the redaction itself could not be loaded.
  const redacted = event.redactedBy !== undefined

  const out: Record<string, JsonValue> = {
    event_id: pdu.eventId,
    type: pdu.type,
    sender: pdu.sender,
    origin_server_ts: pdu.originServerTs,
    content: redacted ? redactContent(pdu.type, pdu.content, rules.redaction) : pdu.content,
  }
  if (extras.withoutRoomId !== true) out['room_id'] = pdu.roomId
  if (pdu.stateKey !== undefined) out['state_key'] = pdu.stateKey
  // Clients written before v11 read `redacts` at the top level, where v11 events no longer have
  // it; it is copied there, as other servers do. Before v11 the redaction algorithm drops it.
  if (pdu.redacts !== undefined && (!redacted || rules.redaction.v11Redaction)) {
    out['redacts'] = pdu.redacts
  }

  const unsigned: Record<string, JsonValue> = { age: extras.now - pdu.originServerTs }
  if (extras.transactionId !== undefined) unsigned['transaction_id'] = extras.transactionId
  const replaced = extras.replaces
  if (replaced !== undefined && pdu.stateKey !== undefined) {
    unsigned['replaces_state'] = replaced.pdu.eventId
    unsigned['prev_sender'] = replaced.pdu.sender
    unsigned['prev_content'] = replaced.redacted
      ? redactContent(replaced.pdu.type, replaced.pdu.content, rules.redaction)
      : replaced.pdu.content
  }
  if (extras.redactedBecause !== undefined) {
    unsigned['redacted_because'] = extras.redactedBecause
  }
  if (extras.relations !== undefined) unsigned['m.relations'] = extras.relations
  out['unsigned'] = unsigned
  return out
}

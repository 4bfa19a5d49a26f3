/**
 * The checks on receipt of every event a send_join answer holds (its state and auth chain: the
 * format of the room version, the signatures of the servers that must sign, the content hash),
 * as one batch of thousands: newest first, so that a covering key lookup asks for each server's
 * key once (see coveringKeyLookup), and with each event's ID kept by its JSON, so that the
 * answer's lists can be resolved to events without hashing them again.
 */
import {
  checkReceivedPdu,
  err,
  ok,
  type CryptoProvider,
  type EventId,
  type JsonValue,
  type Pdu,
  type Result,
  type RoomId,
  type RoomVersionRules,
  type ServerKeyLookup,
} from '@rhizome/core'
import { newestFirst } from '../keys/covering-key-lookup.js'

export interface AnswerEvents {
  /** Every event, by ID (the redacted copy of one whose content hash did not match). */
  readonly byId: ReadonlyMap<EventId, Pdu>
  /** The ID of each event, by the very JSON value it was read from. */
  readonly idOf: ReadonlyMap<JsonValue, EventId>
}

/** Fails with the reason of the first event that does not pass, or is of another room. */
export async function checkAnswerEvents(
  events: readonly JsonValue[],
  roomId: RoomId,
  rules: RoomVersionRules,
  crypto: CryptoProvider,
  keys: ServerKeyLookup,
): Promise<Result<AnswerEvents, string>> {
  const byId = new Map<EventId, Pdu>()
  const idOf = new Map<JsonValue, EventId>()
  for (const json of newestFirst(events)) {
    const checked = await checkReceivedPdu(json, rules, crypto, keys)
    if (!checked.ok) return err(checked.error.error)
    const { pdu } = checked.value
    if (pdu.roomId !== roomId) return err('an event of another room')
    byId.set(pdu.eventId, pdu)
    idOf.set(json, pdu.eventId)
  }
  return ok({ byId, idOf })
}

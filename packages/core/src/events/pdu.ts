import type { EventId, RoomId, UserId } from '../ids/types.js'
import type { JsonObject } from '../json/json.js'

/**
 * A persistent data unit (a room event) after its format has been checked. The named fields are a
 * typed view of `json`, which is the event exactly as it travels over federation (for rooms v1-v2
 * it includes `event_id`; for v12 create events it has no `room_id`). Hashes, signatures and
 * redaction always work on `json`, never on the view.
 */
export interface Pdu {
  readonly eventId: EventId
  readonly roomId: RoomId
  readonly sender: UserId
  readonly type: string
  /** Present exactly when the event is a state event. */
  readonly stateKey?: string
  readonly content: JsonObject
  readonly originServerTs: number
  readonly depth: number
  readonly prevEvents: readonly EventId[]
  readonly authEvents: readonly EventId[]
  /** The event a redaction redacts: top-level `redacts` before v11, `content.redacts` from v11. */
  readonly redacts?: EventId
  readonly json: JsonObject
}

export function isStateEvent(pdu: Pdu): pdu is Pdu & { readonly stateKey: string } {
  return pdu.stateKey !== undefined
}

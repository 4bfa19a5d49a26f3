import { isJsonObject, parseUserId, type JsonValue, type Pdu, type RoomId } from '@rhizome/core'
import type { Storage, StoredEvent } from '../storage/interface.js'
import type { StrippedStateEvent } from './sync-response.js'

/**
 * The state events that stripped state carries (client-server-api §Stripped state): what a user
 * needs to recognise a room before joining it. Since v1.16 `m.room.create` is required.
 */
export const STRIPPED_STATE_TYPES: readonly string[] = [
  'm.room.create',
  'm.room.name',
  'm.room.avatar',
  'm.room.topic',
  'm.room.join_rules',
  'm.room.canonical_alias',
  'm.room.encryption',
]

export function stripEvent(pdu: Pdu & { readonly stateKey: string }): StrippedStateEvent {
  return { type: pdu.type, state_key: pdu.stateKey, sender: pdu.sender, content: pdu.content }
}

/**
 * The stripped state of the room that a membership event (an invite or a knock) concerns: the
 * state the inviting server sent along in `unsigned.invite_room_state` / `knock_room_state` when
 * the event carries it (a room this server does not hold), otherwise the room's current state
 * here. The membership event itself comes last.
 */
export async function strippedRoomState(
  storage: Storage,
  roomId: RoomId,
  membershipEvent: StoredEvent,
): Promise<StrippedStateEvent[]> {
  const { pdu } = membershipEvent
  const key = pdu.content['membership'] === 'knock' ? 'knock_room_state' : 'invite_room_state'
  const unsigned = pdu.json['unsigned']
  const carried = isJsonObject(unsigned) ? parseStrippedList(unsigned[key]) : undefined
  const state =
    carried ??
    (await storage.rooms.getCurrentStateEvents(roomId, STRIPPED_STATE_TYPES)).flatMap(
      ({ pdu: event }) =>
        event.stateKey === undefined ? [] : [stripEvent({ ...event, stateKey: event.stateKey })],
    )
  const own = pdu.stateKey === undefined ? [] : [stripEvent({ ...pdu, stateKey: pdu.stateKey })]
  return [
    ...state.filter((e) => e.type !== 'm.room.member' || e.state_key !== pdu.stateKey),
    ...own,
  ]
}

/** Stripped events from a remote server: entries that are not well-formed are dropped. */
export function parseStrippedList(value: JsonValue | undefined): StrippedStateEvent[] | undefined {
  if (!Array.isArray(value)) return undefined
  const out: StrippedStateEvent[] = []
  for (const entry of value as readonly JsonValue[]) {
    if (!isJsonObject(entry)) continue
    const { type, state_key: stateKey, sender, content } = entry
    if (typeof type !== 'string' || typeof stateKey !== 'string' || typeof sender !== 'string') {
      continue
    }
    const user = parseUserId(sender)
    if (!user.ok || !isJsonObject(content)) continue
    out.push({ type, state_key: stateKey, sender: user.value, content })
  }
  return out
}

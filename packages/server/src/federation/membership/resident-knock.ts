/**
 * `make_knock` and `send_knock`, served as a resident server (server-server-api §Knocking upon a
 * room): a user of another server asks to be let in to a room whose join rule is `knock` (room
 * versions 7+) or `knock_restricted` (10+). The knock is checked like a join
 * (resident-handshake.ts), sent on to the room's other servers, and answered with the state that
 * lets the knocking user recognise the room (`knock_room_state`: full events, the create event
 * among them).
 */
import {
  err,
  ok,
  type EventId,
  type JsonObject,
  type Result,
  type RoomId,
  type ServerName,
  type UserId,
} from '@rhizome/core'
import { forbidden, type ServerError } from '../../http/errors.js'
import type { RoomSnapshot } from '../../rooms/event-pipeline.js'
import { STRIPPED_STATE_TYPES } from '../../sync/stripped-state.js'
import {
  acceptSentEvent,
  incompatibleVersion,
  makeTemplate,
  type ResidentDeps,
  type TemplateAnswer,
} from './resident-handshake.js'

export function makeKnock(
  deps: ResidentDeps,
  origin: ServerName,
  roomId: RoomId,
  userId: UserId,
  supportedVersions: readonly string[],
): Promise<Result<TemplateAnswer, ServerError>> {
  return makeTemplate(deps, {
    origin,
    roomId,
    userId,
    membership: 'knock',
    versions: supportedVersions,
    decide: knockable,
  })
}

/** Rooms that take knocks; the auth rules would refuse the others, less clearly. */
async function knockable(room: RoomSnapshot): Promise<Result<JsonObject, ServerError>> {
  if (!room.rules.auth.knocking) {
    return err(incompatibleVersion(room.rules, `Room version ${room.rules.id} has no knocking`))
  }
  const rule = (await room.stateEvent('m.room.join_rules', ''))?.content['join_rule']
  const open =
    rule === 'knock' || (rule === 'knock_restricted' && room.rules.auth.knockRestrictedJoinRule)
  return open ? ok({}) : err(forbidden('This room does not accept knocks'))
}

export interface SendKnockAnswer {
  readonly knock_room_state: readonly JsonObject[]
}

export async function sendKnock(
  deps: ResidentDeps,
  origin: ServerName,
  roomId: RoomId,
  eventId: EventId,
  body: JsonObject,
): Promise<Result<SendKnockAnswer, ServerError>> {
  const rules = await deps.roomRules(roomId)
  if (rules !== undefined && !rules.auth.knocking) {
    return err(incompatibleVersion(rules, `Room version ${rules.id} has no knocking`))
  }
  const accepted = await acceptSentEvent(deps, {
    origin,
    roomId,
    eventId,
    body,
    membership: 'knock',
  })
  if (!accepted.ok) return accepted
  return ok({ knock_room_state: await roomStateForInvitees(deps, roomId) })
}

/**
 * The room's current state events that identify it, as full events (`invite_room_state`,
 * `knock_room_state`; server-server-api v1.16: the create event is required).
 */
export async function roomStateForInvitees(
  deps: Pick<ResidentDeps, 'storage'>,
  roomId: RoomId,
): Promise<JsonObject[]> {
  const events = await deps.storage.rooms.getCurrentStateEvents(roomId, STRIPPED_STATE_TYPES)
  const out: JsonObject[] = []
  for (const event of events) out.push(event.pdu.json)
  return out
}

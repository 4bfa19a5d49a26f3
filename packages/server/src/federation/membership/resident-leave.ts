/**
 * `make_leave` and `send_leave` (v2), served as a resident server (server-server-api §Leaving
 * Rooms (Rejecting Invites)): how a server that is not in a room rejects an invite or withdraws a
 * knock of one of its users. The leave is checked like a join (resident-handshake.ts) and then
 * sent on to the room's other servers.
 */
import {
  ok,
  type EventId,
  type JsonObject,
  type Result,
  type RoomId,
  type ServerName,
  type UserId,
} from '@rhizome/core'
import type { ServerError } from '../../http/errors.js'
import {
  acceptSentEvent,
  makeTemplate,
  type ResidentDeps,
  type TemplateAnswer,
} from './resident-handshake.js'

export function makeLeave(
  deps: ResidentDeps,
  origin: ServerName,
  roomId: RoomId,
  userId: UserId,
): Promise<Result<TemplateAnswer, ServerError>> {
  return makeTemplate(deps, { origin, roomId, userId, membership: 'leave', versions: undefined })
}

/** The spec's answer is an empty object. */
export async function sendLeave(
  deps: ResidentDeps,
  origin: ServerName,
  roomId: RoomId,
  eventId: EventId,
  body: JsonObject,
): Promise<Result<Record<string, never>, ServerError>> {
  const accepted = await acceptSentEvent(deps, {
    origin,
    roomId,
    eventId,
    body,
    membership: 'leave',
  })
  return accepted.ok ? ok({}) : accepted
}

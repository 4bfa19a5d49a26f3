/**
 * The leave this server makes on its own when a user rejects an invite (or withdraws a knock) of
 * a room it does not hold and no server in the room answers make_leave (the inviter's server is
 * gone, or refuses): built on the invite or knock alone, its only prev and auth event, signed
 * here and kept as the user's membership. No other server sees it; it rids the user of an invite
 * nobody could take back, as other servers do.
 */
import {
  buildEvent,
  computeReferenceHash,
  encodeBase64,
  err,
  ok,
  roomVersionRules,
  type EventId,
  type JsonObject,
  type Result,
  type RoomId,
  type UserId,
} from '@rhizome/core'
import { notFound, serverError, type ServerError } from '../http/errors.js'
import type { RoomContext } from './room-context.js'

export async function leaveLocally(
  ctx: RoomContext,
  roomId: RoomId,
  user: UserId,
  membershipEventId: EventId,
  content: JsonObject,
): Promise<Result<EventId, ServerError>> {
  const { storage, serverName, signingKey, crypto, now } = ctx.deps
  const stored = await storage.events.getEvent(membershipEventId)
  const rules = stored === undefined ? undefined : roomVersionRules(stored.roomVersion)
  if (stored === undefined || rules === undefined) {
    return err(notFound(`Room ${roomId} is not known to this server`))
  }
  const previous = stored.pdu
  const withHashes = rules.eventFormat.eventReferencesIncludeHashes
  const hash = withHashes
    ? { referenceHash: encodeBase64(computeReferenceHash(previous.json, rules, crypto)) }
    : {}
  const built = buildEvent(
    {
      roomVersion: rules,
      roomId,
      sender: user,
      type: 'm.room.member',
      stateKey: user,
      content,
      prevEvents: [{ eventId: previous.eventId, depth: previous.depth, ...hash }],
      authEvents: [{ eventId: previous.eventId, ...hash }],
      originServerTs: now(),
    },
    serverName,
    signingKey,
    crypto,
  )
  if (!built.ok) return err(serverError('M_UNKNOWN', built.error.error))
  const pdu = built.value
  await storage.withRoomWriteLock(roomId, (room) =>
    room.persistOutOfBandMembership(pdu, { version: rules.id, creator: user, isPublic: false }),
  )
  return ok(pdu.eventId)
}

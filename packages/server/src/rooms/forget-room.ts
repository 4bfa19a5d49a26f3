/**
 * `POST /rooms/{roomId}/forget` (client-server-api §Leaving rooms): only after leaving; the room
 * then no longer appears to the user until their membership changes again.
 */
import { err, ok, type Result, type RoomId } from '@rhizome/core'
import type { Requester } from '../http/authenticate.js'
import { notFound, serverError, type ServerError } from '../http/errors.js'
import type { RoomContext } from './room-context.js'

export async function forgetRoom(
  ctx: RoomContext,
  requester: Requester,
  roomId: RoomId,
): Promise<Result<void, ServerError>> {
  const membership = await ctx.deps.storage.rooms.getMembership(roomId, requester.userId)
  if (membership === undefined) return err(notFound(`You have never been in ${roomId}`))
  if (membership.membership !== 'leave' && membership.membership !== 'ban') {
    return err(
      serverError('M_UNKNOWN', `You must leave ${roomId} before forgetting it`, { status: 400 }),
    )
  }
  await ctx.deps.storage.forgottenRooms.forgetRoom(requester.userId, roomId, membership.eventId)
  return ok(undefined)
}

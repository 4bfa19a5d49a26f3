/**
 * Which view of a room a user may read (client-server-api §Getting events for a room): a joined
 * user reads the current state; a user who left or was banned reads the room as it was when
 * they left, until they forget the room; anyone reads a `world_readable` room's current state;
 * everyone else gets 403.
 */
import {
  err,
  ok,
  type EventId,
  type ReadonlyStateMap,
  type Result,
  type RoomId,
  type UserId,
} from '@rhizome/core'
import { forbidden, type ServerError } from '../http/errors.js'
import type { StoredEvent } from '../storage/interface.js'
import { historyVisibilityOf } from './history-visibility.js'
import type { RoomContext } from './room-context.js'

export type ReadAccess =
  /** Joined now, or a world-readable room: the current state. */
  | { readonly kind: 'current' }
  /** Left or banned: the room up to and including this membership event. */
  | { readonly kind: 'departed'; readonly event: StoredEvent }

export async function readAccess(
  ctx: RoomContext,
  roomId: RoomId,
  userId: UserId,
): Promise<Result<ReadAccess, ServerError>> {
  const { storage } = ctx.deps
  const membership = await storage.rooms.getMembership(roomId, userId)
  if (membership?.membership === 'join') return ok({ kind: 'current' })
  if (membership?.membership === 'leave' || membership?.membership === 'ban') {
    // A forgotten room's history is no longer the user's to read.
    const event = (await storage.forgottenRooms.isForgotten(userId, roomId))
      ? undefined
      : await storage.events.getEvent(membership.eventId)
    if (event !== undefined) return ok({ kind: 'departed', event })
  }
  const visibility = await storage.rooms.getCurrentStateEvent(
    roomId,
    'm.room.history_visibility',
    '',
  )
  if (visibility !== undefined && historyVisibilityOf(visibility.pdu) === 'world_readable') {
    return ok({ kind: 'current' })
  }
  return err(
    forbidden("You aren't a member of the room and weren't previously a member of the room"),
  )
}

/** The state the access allows reading. */
export async function readableState(
  ctx: RoomContext,
  roomId: RoomId,
  access: ReadAccess,
): Promise<ReadonlyStateMap<EventId>> {
  const { storage } = ctx.deps
  if (access.kind === 'current') return storage.rooms.getCurrentState(roomId)
  const group = access.event.stateGroupAfter
  if (group === undefined)
    throw new Error(`membership event ${access.event.pdu.eventId} has no state`)
  return storage.state.loadState(group)
}

/** The highest stream position the access allows reading; undefined for no bound. */
export function readableUpTo(access: ReadAccess): number | undefined {
  return access.kind === 'departed' ? access.event.streamPosition : undefined
}

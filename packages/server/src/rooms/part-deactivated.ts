import type { UserId } from '@rhizome/core'
import type { FastifyBaseLogger } from 'fastify'
import type { Storage } from '../storage/interface.js'
import type { RoomService } from './room-service.js'

export interface PartDeps {
  readonly rooms: Pick<RoomService, 'leave'>
  readonly storage: Pick<Storage, 'rooms' | 'accounts'>
  readonly log: Pick<FastifyBaseLogger, 'info' | 'warn'>
}

export interface Parted {
  readonly left: number
  readonly failed: number
}

/** What a deactivated account leaves: its rooms, and the invites and knocks it had pending. */
const MEMBERSHIPS_TO_END = ['join', 'invite', 'knock']

/**
 * Takes a deactivated user out of every room they are joined to, invited to or knocking on, so
 * that nobody waits on an account that can never act again. A room that refuses (the user was
 * banned meanwhile, the room is gone) is logged and skipped: the others still get their leave.
 */
export async function partFromAllRooms(userId: UserId, deps: PartDeps): Promise<Parted> {
  const memberships = await deps.storage.rooms.roomsForUser(userId, MEMBERSHIPS_TO_END)
  let left = 0
  let failed = 0
  for (const { roomId } of memberships) {
    const requester = { userId, deviceId: undefined, isGuest: false }
    const done = await deps.rooms.leave(requester, roomId, { reason: 'Account deactivated' })
    if (done.ok) {
      left++
    } else {
      failed++
      deps.log.warn({ userId, roomId, errcode: done.error.errcode }, 'could not part a room')
    }
  }
  if (memberships.length > 0) deps.log.info({ userId, left, failed }, 'parted deactivated user')
  return { left, failed }
}

/**
 * Finishes parting that an interruption (a crash, a restart during a deactivation) left undone:
 * run once at startup, it leaves every room still held by a deactivated account.
 */
export async function partDeactivatedUsers(deps: PartDeps): Promise<Parted> {
  let left = 0
  let failed = 0
  for (const userId of await deps.storage.accounts.deactivatedUsersInRooms()) {
    const parted = await partFromAllRooms(userId, deps)
    left += parted.left
    failed += parted.failed
  }
  return { left, failed }
}

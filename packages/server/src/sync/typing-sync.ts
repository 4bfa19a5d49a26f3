import type { RoomId } from '@rhizome/core'
import type { TypingStore } from '../storage/typing-store.js'
import { eventMatches, roomListed } from './filter/event-match.js'
import type { SyncFilter } from './filter/sync-filter.js'
import type { EphemeralEvent } from './sync-response.js'

export interface TypingSyncDeps {
  readonly storage: { readonly typing: TypingStore }
  readonly now?: () => number
}

export interface TypingSyncParams {
  readonly since: number | undefined
  readonly upTo: number
  readonly filter: SyncFilter
}

/**
 * The `m.typing` event of each joined room whose typing changed in (since, upTo], with who is
 * typing now (client-server-api §Typing Notifications): the client replaces its list with it, so
 * a room where the last typist stopped gets an empty list. A room new to the client (an initial
 * sync, a join in the range) gets one only when someone is typing. One read for all rooms, or
 * two when some rooms are new.
 */
export async function typingEvents(
  deps: TypingSyncDeps,
  params: TypingSyncParams,
  joinedRoomIds: readonly RoomId[],
  newRoomIds: ReadonlySet<RoomId>,
): Promise<Map<RoomId, EphemeralEvent[]>> {
  const out = new Map<RoomId, EphemeralEvent[]>()
  const rules = params.filter.room.ephemeral
  if (!eventMatches(rules, { type: 'm.typing' })) return out
  const rooms = joinedRoomIds.filter((roomId) => roomListed(rules, roomId))
  const { since, upTo } = params
  const now = (deps.now ?? Date.now)()
  const fresh = since === undefined ? rooms : rooms.filter((roomId) => newRoomIds.has(roomId))
  const known = since === undefined ? [] : rooms.filter((roomId) => !newRoomIds.has(roomId))
  const [changed, current] = await Promise.all([
    known.length === 0
      ? new Map<RoomId, readonly string[]>()
      : deps.storage.typing.typingSince(known, since, upTo, now),
    fresh.length === 0
      ? new Map<RoomId, readonly string[]>()
      : deps.storage.typing.typingSince(fresh, undefined, upTo, now),
  ])
  for (const typing of [changed, current]) {
    for (const [roomId, userIds] of typing) {
      out.set(roomId, [{ type: 'm.typing', content: { user_ids: [...userIds] } }])
    }
  }
  return out
}

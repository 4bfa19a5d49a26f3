import type { RoomId } from '@rhizome/core'
import type { UnreadCount } from '../push-store.js'

/** A user's read position in a room, by thread ('' for unthreaded). */
export type ReadBounds = ReadonlyMap<string, number>

/** The two range counts both dialects run, each an index range on (user, room, position). */
export interface UnreadCountQueries {
  /** Counts per thread of the actions at positions in (after, upTo]. */
  byThread(roomId: RoomId, after: number): Promise<ReadonlyMap<string, UnreadCount>>
  /** The count of one thread's actions at positions in (after, upTo]. */
  inThread(roomId: RoomId, threadId: string, after: number): Promise<UnreadCount>
}

/**
 * Combines the read positions with the counts. Most rooms need one count from the unthreaded
 * position; only a thread whose own read position is ahead of it needs a second count.
 */
export async function unreadCountsFor(
  roomIds: readonly RoomId[],
  bounds: ReadonlyMap<RoomId, ReadBounds>,
  queries: UnreadCountQueries,
): Promise<ReadonlyMap<RoomId, ReadonlyMap<string, UnreadCount>>> {
  const out = new Map<RoomId, ReadonlyMap<string, UnreadCount>>()
  await Promise.all(
    [...new Set(roomIds)].map(async (roomId) => {
      const read = bounds.get(roomId) ?? new Map<string, number>()
      const base = read.get('') ?? 0
      const counts = new Map(await queries.byThread(roomId, base))
      await Promise.all(
        [...read].map(async ([threadId, position]) => {
          if (threadId === '' || position <= base || !counts.has(threadId)) return
          const count = await queries.inThread(roomId, threadId, position)
          if (count.notifications === 0) counts.delete(threadId)
          else counts.set(threadId, count)
        }),
      )
      if (counts.size > 0) out.set(roomId, counts)
    }),
  )
  return out
}

/** Groups read-position rows by room. */
export function readBoundsByRoom(
  rows: readonly { room_id: string; thread_id: string; position: number }[],
): Map<RoomId, Map<string, number>> {
  const out = new Map<RoomId, Map<string, number>>()
  for (const row of rows) {
    const roomId = row.room_id as RoomId
    let map = out.get(roomId)
    if (map === undefined) {
      map = new Map()
      out.set(roomId, map)
    }
    map.set(row.thread_id, row.position)
  }
  return out
}

/** The content of m.direct account data: user ID to the rooms that are DMs with that user. */
export type DirectRooms = Record<string, string[]>

/** Reads m.direct content defensively: other clients write it too. */
export function parseDirectRooms(content: unknown): DirectRooms {
  const result: DirectRooms = {}
  if (typeof content !== 'object' || content === null) return result
  for (const [userId, rooms] of Object.entries(content)) {
    if (!Array.isArray(rooms)) continue
    result[userId] = rooms.filter((room): room is string => typeof room === 'string')
  }
  return result
}

/** Returns m.direct content with `roomId` recorded as a DM with `userId`. */
export function addDirectRoom(direct: DirectRooms, userId: string, roomId: string): DirectRooms {
  const existing = direct[userId] ?? []
  if (existing.includes(roomId)) return direct
  return { ...direct, [userId]: [...existing, roomId] }
}

/** The set of all room IDs that m.direct marks as DMs. */
export function directRoomIds(direct: DirectRooms): Set<string> {
  return new Set(Object.values(direct).flat())
}

const USER_ID = /^@[^:\s]+:[^\s]+$/

export function isUserId(value: string): boolean {
  return USER_ID.test(value)
}

/** What the room list shows for one room, independent of the SDK's room model. */
export interface RoomSummary {
  readonly roomId: string
  readonly name: string
  readonly membership: 'join' | 'invite'
  readonly isDirect: boolean
  /** Timestamp of the latest event, in milliseconds; 0 when nothing is known. */
  readonly lastActivity: number
  readonly unread: number
  readonly highlights: number
  readonly encrypted: boolean
}

/**
 * Orders the room list: invites first (they want an answer), then the most recently active
 * rooms; ties fall back to the name and then the ID so the order never flickers.
 */
export function sortRooms(rooms: readonly RoomSummary[]): RoomSummary[] {
  return [...rooms].sort((a, b) => {
    if (a.membership !== b.membership) return a.membership === 'invite' ? -1 : 1
    if (a.lastActivity !== b.lastActivity) return b.lastActivity - a.lastActivity
    const byName = a.name.localeCompare(b.name)
    if (byName !== 0) return byName
    return a.roomId < b.roomId ? -1 : a.roomId > b.roomId ? 1 : 0
  })
}

/** Keeps the rooms whose name or ID contains the filter text, ignoring case. */
export function filterRooms(rooms: readonly RoomSummary[], filter: string): RoomSummary[] {
  const needle = filter.trim().toLocaleLowerCase()
  if (needle === '') return [...rooms]
  return rooms.filter(
    (room) =>
      room.name.toLocaleLowerCase().includes(needle) ||
      room.roomId.toLocaleLowerCase().includes(needle),
  )
}

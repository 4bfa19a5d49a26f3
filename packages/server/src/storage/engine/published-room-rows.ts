import type { RoomId } from '@rhizome/core'
import type {
  PublishedRoom,
  PublishedRoomsPage,
  PublishedRoomsQuery,
} from '../room-directory-store.js'

/** A row of the published rooms query, as both dialects select it. */
export interface PublishedRoomRow {
  readonly room_id: string
  readonly joined_members: number | string
  readonly name: string | null
  readonly topic: string | null
  readonly canonical_alias: string | null
  readonly avatar_url: string | null
  readonly join_rule: string | null
  readonly history_visibility: string | null
  readonly guest_access: string | null
  readonly room_type: string | null
}

/**
 * The state each listed field comes from: event type, content key, and whether redaction keeps
 * the key (rooms/v11 §Redactions: `join_rule`, `history_visibility`; the create event's content).
 * A redacted event's other keys are gone, so they read as unset.
 */
export const PUBLISHED_ROOM_FIELDS = [
  { column: 'name', type: 'm.room.name', key: 'name', keptByRedaction: false },
  { column: 'topic', type: 'm.room.topic', key: 'topic', keptByRedaction: false },
  {
    column: 'canonical_alias',
    type: 'm.room.canonical_alias',
    key: 'alias',
    keptByRedaction: false,
  },
  { column: 'avatar_url', type: 'm.room.avatar', key: 'url', keptByRedaction: false },
  { column: 'join_rule', type: 'm.room.join_rules', key: 'join_rule', keptByRedaction: true },
  {
    column: 'history_visibility',
    type: 'm.room.history_visibility',
    key: 'history_visibility',
    keptByRedaction: true,
  },
  {
    column: 'guest_access',
    type: 'm.room.guest_access',
    key: 'guest_access',
    keptByRedaction: false,
  },
  { column: 'room_type', type: 'm.room.create', key: 'type', keptByRedaction: true },
] as const

/** The join rules under which a published room is listed, besides world-readable history. */
export const LISTED_JOIN_RULES = "('public', 'knock', 'knock_restricted')"

/** `%term%` for LIKE ... ESCAPE '\', with the term's own wildcards taken literally. */
export function containsPattern(term: string): string {
  return `%${term.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`
}

/**
 * Rows in the order asked for (backwards reads them in reverse), with one row beyond the limit
 * to tell whether there are more.
 */
export function publishedRoomsPage(
  rows: readonly PublishedRoomRow[],
  query: PublishedRoomsQuery,
  total: number,
): PublishedRoomsPage {
  const limit = query.limit
  const more = limit !== undefined && rows.length > limit
  const page = (limit === undefined ? rows : rows.slice(0, limit)).map(publishedRoomFromRow)
  if (query.from?.direction === 'backwards') page.reverse()
  return { rooms: page, more, total }
}

function publishedRoomFromRow(row: PublishedRoomRow): PublishedRoom {
  return {
    roomId: row.room_id as RoomId,
    joinedMembers: Number(row.joined_members),
    name: row.name ?? undefined,
    topic: row.topic ?? undefined,
    canonicalAlias: row.canonical_alias ?? undefined,
    avatarUrl: row.avatar_url ?? undefined,
    joinRule: row.join_rule ?? undefined,
    historyVisibility: row.history_visibility ?? undefined,
    guestAccess: row.guest_access ?? undefined,
    roomType: row.room_type ?? undefined,
  }
}

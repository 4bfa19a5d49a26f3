import type { RoomId } from '@rhizome/core'

/**
 * The published room directory (client-server-api §Published room directory): the rooms whose
 * `rooms.is_public` flag is set, with what `/publicRooms` shows of each, read from their current
 * state in one query so that filtering and paging happen in the database.
 *
 * Listed are published rooms that people can find their way into: a join rule of `public`,
 * `knock` or `knock_restricted`, or `world_readable` history (as Synapse lists them; the spec lets
 * servers leave out the rest).
 */
export interface PublishedRoomsQuery {
  /** At most this many rooms; undefined for all. */
  readonly limit: number | undefined
  /** Where the page starts, exclusive: the rooms after (or before) this one in the order. */
  readonly from?: PublishedRoomsCursor
  /**
   * Matched, lowercased, as a substring of the room's name, topic or canonical alias (lowercased
   * with the database's lower(): ASCII in SQLite).
   */
  readonly searchTerm?: string
  /** Room types to list (`null` for rooms without one); undefined for any. */
  readonly roomTypes?: readonly (string | null)[]
}

/**
 * A position in the order (most joined members first, then by room ID) and the direction to read
 * from it.
 */
export interface PublishedRoomsCursor {
  readonly direction: 'forwards' | 'backwards'
  readonly joinedMembers: number
  readonly roomId: RoomId
}

/** What the room's current state says; a field is undefined when unset or not a string. */
export interface PublishedRoom {
  readonly roomId: RoomId
  readonly joinedMembers: number
  readonly name: string | undefined
  readonly topic: string | undefined
  readonly canonicalAlias: string | undefined
  readonly avatarUrl: string | undefined
  /** Undefined when the room has no join rules event. */
  readonly joinRule: string | undefined
  readonly historyVisibility: string | undefined
  readonly guestAccess: string | undefined
  /** The `type` of the create event. */
  readonly roomType: string | undefined
}

export interface PublishedRoomsPage {
  /** In the order, whichever the direction read. */
  readonly rooms: readonly PublishedRoom[]
  /** More rooms lie beyond the page in the direction read. */
  readonly more: boolean
  /** How many listed rooms match the filter, on every page. */
  readonly total: number
}

export interface RoomDirectoryStore {
  publishedRooms(query: PublishedRoomsQuery): Promise<PublishedRoomsPage>
}

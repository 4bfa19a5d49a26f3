import { StateMap, type EventId, type RoomId, type UserId } from '@rhizome/core'
import { storedEventFromRow, type EventRow } from '../engine/event-row.js'
import {
  MEMBERSHIP_COLUMNS,
  ROOM_COLUMNS,
  membershipFromRow,
  roomFromRow,
  type MembershipRow,
  type RoomRow,
} from '../engine/rows.js'
import type { MembershipRecord, RoomRecord, RoomStore, StoredEvent } from '../interface.js'
import type { Queryable } from './postgres-connection.js'
import { EVENT_COLUMNS } from './postgres-event-store.js'

const CURRENT_STATE_EVENTS = `SELECT ${EVENT_COLUMNS} FROM current_state c
  JOIN events e ON e.event_id = c.event_id JOIN rooms r ON r.room_id = c.room_id`

export class PostgresRoomStore implements RoomStore {
  readonly #db: Queryable

  constructor(db: Queryable) {
    this.#db = db
  }

  // A room known only from out-of-band memberships has a row without state: it is not held.
  async getRoom(roomId: RoomId): Promise<RoomRecord | undefined> {
    const { rows } = await this.#db.query<RoomRow>(
      `SELECT ${ROOM_COLUMNS} FROM rooms WHERE room_id = $1 AND current_state_group IS NOT NULL`,
      [roomId],
    )
    const row = rows[0]
    return row === undefined ? undefined : roomFromRow(row)
  }

  async getCurrentState(roomId: RoomId): Promise<StateMap<EventId>> {
    const { rows } = await this.#db.query<{ type: string; state_key: string; event_id: EventId }>(
      'SELECT type, state_key, event_id FROM current_state WHERE room_id = $1',
      [roomId],
    )
    const state = new StateMap<EventId>()
    for (const row of rows) state.set(row.type, row.state_key, row.event_id)
    return state
  }

  async getCurrentStateEvents(
    roomId: RoomId,
    types?: readonly string[],
  ): Promise<readonly StoredEvent[]> {
    const { rows } =
      types === undefined
        ? await this.#db.query<EventRow>(`${CURRENT_STATE_EVENTS} WHERE c.room_id = $1`, [roomId])
        : await this.#db.query<EventRow>(
            `${CURRENT_STATE_EVENTS} WHERE c.room_id = $1 AND c.type = ANY($2::text[])`,
            [roomId, types],
          )
    return rows.map(storedEventFromRow)
  }

  async getCurrentStateEvent(
    roomId: RoomId,
    type: string,
    stateKey: string,
  ): Promise<StoredEvent | undefined> {
    const { rows } = await this.#db.query<EventRow>(
      `${CURRENT_STATE_EVENTS} WHERE c.room_id = $1 AND c.type = $2 AND c.state_key = $3`,
      [roomId, type, stateKey],
    )
    const row = rows[0]
    return row === undefined ? undefined : storedEventFromRow(row)
  }

  async getMembership(roomId: RoomId, userId: UserId): Promise<MembershipRecord | undefined> {
    const { rows } = await this.#db.query<MembershipRow>(
      `SELECT ${MEMBERSHIP_COLUMNS} FROM room_memberships WHERE room_id = $1 AND user_id = $2`,
      [roomId, userId],
    )
    const row = rows[0]
    return row === undefined ? undefined : membershipFromRow(row)
  }

  async roomsForUser(
    userId: UserId,
    memberships: readonly string[],
  ): Promise<readonly MembershipRecord[]> {
    const { rows } = await this.#db.query<MembershipRow>(
      `SELECT ${MEMBERSHIP_COLUMNS} FROM room_memberships
       WHERE user_id = $1 AND membership = ANY($2::text[]) ORDER BY room_id COLLATE "C"`,
      [userId, memberships],
    )
    return rows.map(membershipFromRow)
  }

  async joinedMembers(roomId: RoomId): Promise<readonly UserId[]> {
    const { rows } = await this.#db.query<{ user_id: UserId }>(
      `SELECT user_id FROM room_memberships WHERE room_id = $1 AND membership = 'join'
       ORDER BY user_id COLLATE "C"`,
      [roomId],
    )
    return rows.map((row) => row.user_id)
  }

  async membershipChangesSince(
    userId: UserId,
    since: number,
  ): Promise<readonly MembershipRecord[]> {
    const { rows } = await this.#db.query<MembershipRow>(
      `SELECT ${MEMBERSHIP_COLUMNS} FROM room_memberships
       WHERE user_id = $1 AND stream_position > $2 ORDER BY stream_position`,
      [userId, since],
    )
    return rows.map(membershipFromRow)
  }

  async setDirectoryVisibility(roomId: RoomId, isPublic: boolean): Promise<boolean> {
    const { rowCount } = await this.#db.query(
      'UPDATE rooms SET is_public = $1 WHERE room_id = $2',
      [isPublic, roomId],
    )
    return rowCount === 1
  }

  async publicRooms(): Promise<readonly RoomId[]> {
    const { rows } = await this.#db.query<{ room_id: RoomId }>(
      'SELECT room_id FROM rooms WHERE is_public ORDER BY room_id COLLATE "C"',
    )
    return rows.map((row) => row.room_id)
  }
}

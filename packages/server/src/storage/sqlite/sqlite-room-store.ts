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
import { EVENT_COLUMNS } from './sqlite-event-store.js'
import { settle, sqlBool, sqlList, type SqliteStatements } from './sqlite-statements.js'

const CURRENT_STATE_EVENTS = `SELECT ${EVENT_COLUMNS} FROM current_state c
  JOIN events e ON e.event_id = c.event_id JOIN rooms r ON r.room_id = c.room_id`

export class SqliteRoomStore implements RoomStore {
  readonly #q: SqliteStatements

  constructor(statements: SqliteStatements) {
    this.#q = statements
  }

  // A room known only from out-of-band memberships has a row without state: it is not held.
  getRoom(roomId: RoomId): Promise<RoomRecord | undefined> {
    return settle(() => {
      const row = this.#q.one<RoomRow>(
        `SELECT ${ROOM_COLUMNS} FROM rooms WHERE room_id = ? AND current_state_group IS NOT NULL`,
        roomId,
      )
      return row === undefined ? undefined : roomFromRow(row)
    })
  }

  getCurrentState(roomId: RoomId): Promise<StateMap<EventId>> {
    return settle(() => {
      const state = new StateMap<EventId>()
      const rows = this.#q.all<{ type: string; state_key: string; event_id: EventId }>(
        'SELECT type, state_key, event_id FROM current_state WHERE room_id = ?',
        roomId,
      )
      for (const row of rows) state.set(row.type, row.state_key, row.event_id)
      return state
    })
  }

  getCurrentStateEvents(
    roomId: RoomId,
    types?: readonly string[],
  ): Promise<readonly StoredEvent[]> {
    return settle(() => {
      const rows =
        types === undefined
          ? this.#q.all<EventRow>(`${CURRENT_STATE_EVENTS} WHERE c.room_id = ?`, roomId)
          : this.#q.all<EventRow>(
              `${CURRENT_STATE_EVENTS}
             WHERE c.room_id = ? AND c.type IN (SELECT value FROM json_each(?))`,
              roomId,
              sqlList(types),
            )
      return rows.map(storedEventFromRow)
    })
  }

  getCurrentStateEvent(
    roomId: RoomId,
    type: string,
    stateKey: string,
  ): Promise<StoredEvent | undefined> {
    return settle(() => {
      const row = this.#q.one<EventRow>(
        `${CURRENT_STATE_EVENTS} WHERE c.room_id = ? AND c.type = ? AND c.state_key = ?`,
        roomId,
        type,
        stateKey,
      )
      return row === undefined ? undefined : storedEventFromRow(row)
    })
  }

  getMembership(roomId: RoomId, userId: UserId): Promise<MembershipRecord | undefined> {
    return settle(() => {
      const row = this.#q.one<MembershipRow>(
        `SELECT ${MEMBERSHIP_COLUMNS} FROM room_memberships WHERE room_id = ? AND user_id = ?`,
        roomId,
        userId,
      )
      return row === undefined ? undefined : membershipFromRow(row)
    })
  }

  roomsForUser(
    userId: UserId,
    memberships: readonly string[],
  ): Promise<readonly MembershipRecord[]> {
    return settle(() => {
      const rows = this.#q.all<MembershipRow>(
        `SELECT ${MEMBERSHIP_COLUMNS} FROM room_memberships
       WHERE user_id = ? AND membership IN (SELECT value FROM json_each(?)) ORDER BY room_id`,
        userId,
        sqlList(memberships),
      )
      return rows.map(membershipFromRow)
    })
  }

  joinedMembers(roomId: RoomId): Promise<readonly UserId[]> {
    return settle(() => {
      const rows = this.#q.all<{ user_id: UserId }>(
        `SELECT user_id FROM room_memberships WHERE room_id = ? AND membership = 'join' ORDER BY user_id`,
        roomId,
      )
      return rows.map((row) => row.user_id)
    })
  }

  membershipChangesSince(userId: UserId, since: number): Promise<readonly MembershipRecord[]> {
    return settle(() => {
      const rows = this.#q.all<MembershipRow>(
        `SELECT ${MEMBERSHIP_COLUMNS} FROM room_memberships
       WHERE user_id = ? AND stream_position > ? ORDER BY stream_position`,
        userId,
        since,
      )
      return rows.map(membershipFromRow)
    })
  }

  setDirectoryVisibility(roomId: RoomId, isPublic: boolean): Promise<boolean> {
    return settle(() => {
      const changed = this.#q.run(
        'UPDATE rooms SET is_public = ? WHERE room_id = ?',
        sqlBool(isPublic),
        roomId,
      )
      return changed === 1
    })
  }

  publicRooms(): Promise<readonly RoomId[]> {
    return settle(() => {
      const rows = this.#q.all<{ room_id: RoomId }>(
        'SELECT room_id FROM rooms WHERE is_public = 1 ORDER BY room_id',
      )
      return rows.map((row) => row.room_id)
    })
  }
}

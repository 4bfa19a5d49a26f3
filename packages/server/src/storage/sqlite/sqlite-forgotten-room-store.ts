import type { EventId, RoomId, UserId } from '@rhizome/core'
import type { ForgottenRoomStore } from '../forgotten-room-store.js'
import { settle, type SqliteStatements } from './sqlite-statements.js'

/** A forgotten room counts while the membership it was forgotten at is still current. */
const STILL_FORGOTTEN = `FROM forgotten_rooms f JOIN room_memberships m
  ON m.room_id = f.room_id AND m.user_id = f.user_id AND m.event_id = f.membership_event_id`

export class SqliteForgottenRoomStore implements ForgottenRoomStore {
  readonly #q: SqliteStatements

  constructor(statements: SqliteStatements) {
    this.#q = statements
  }

  forgetRoom(userId: UserId, roomId: RoomId, membershipEventId: EventId): Promise<void> {
    return settle(() => {
      this.#q.run(
        `INSERT INTO forgotten_rooms (user_id, room_id, membership_event_id) VALUES (?, ?, ?)
         ON CONFLICT (user_id, room_id) DO UPDATE SET membership_event_id = excluded.membership_event_id`,
        userId,
        roomId,
        membershipEventId,
      )
    })
  }

  isForgotten(userId: UserId, roomId: RoomId): Promise<boolean> {
    return settle(
      () =>
        this.#q.one<{ found: number }>(
          `SELECT 1 AS found ${STILL_FORGOTTEN} WHERE f.user_id = ? AND f.room_id = ?`,
          userId,
          roomId,
        ) !== undefined,
    )
  }

  forgottenRooms(userId: UserId): Promise<ReadonlySet<RoomId>> {
    return settle(() => {
      const rows = this.#q.all<{ room_id: string }>(
        `SELECT f.room_id ${STILL_FORGOTTEN} WHERE f.user_id = ?`,
        userId,
      )
      return new Set(rows.map((row) => row.room_id as RoomId))
    })
  }
}

import type { EventId, RoomId, UserId } from '@rhizome/core'
import type { ForgottenRoomStore } from '../forgotten-room-store.js'
import type { Queryable } from './postgres-connection.js'

/** A forgotten room counts while the membership it was forgotten at is still current. */
const STILL_FORGOTTEN = `FROM forgotten_rooms f JOIN room_memberships m
  ON m.room_id = f.room_id AND m.user_id = f.user_id AND m.event_id = f.membership_event_id`

export class PostgresForgottenRoomStore implements ForgottenRoomStore {
  readonly #db: Queryable

  constructor(db: Queryable) {
    this.#db = db
  }

  async forgetRoom(userId: UserId, roomId: RoomId, membershipEventId: EventId): Promise<void> {
    await this.#db.query(
      `INSERT INTO forgotten_rooms (user_id, room_id, membership_event_id) VALUES ($1, $2, $3)
       ON CONFLICT (user_id, room_id) DO UPDATE SET membership_event_id = excluded.membership_event_id`,
      [userId, roomId, membershipEventId],
    )
  }

  async isForgotten(userId: UserId, roomId: RoomId): Promise<boolean> {
    const { rows } = await this.#db.query(
      `SELECT 1 ${STILL_FORGOTTEN} WHERE f.user_id = $1 AND f.room_id = $2`,
      [userId, roomId],
    )
    return rows.length > 0
  }

  async forgottenRooms(userId: UserId): Promise<ReadonlySet<RoomId>> {
    const { rows } = await this.#db.query<{ room_id: string }>(
      `SELECT f.room_id ${STILL_FORGOTTEN} WHERE f.user_id = $1`,
      [userId],
    )
    return new Set(rows.map((row) => row.room_id as RoomId))
  }
}

import type { UserId } from '@rhizome/core'
import type { RoomService } from '../../rooms/room-service.js'

/** What the room endpoints use of the services. */
export interface RoomServices {
  readonly rooms: RoomService
  /** Told when a user acts (sends a message), for presence; absent when presence is off. */
  readonly presence?: { userActive(userId: UserId): void } | undefined
}

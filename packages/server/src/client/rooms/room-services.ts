import type { RoomService } from '../../rooms/room-service.js'

/** What the room endpoints use of the services. */
export interface RoomServices {
  readonly rooms: RoomService
}

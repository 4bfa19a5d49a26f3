import type { RoomMemberSummary } from '../storage/interface.js'
import type { RoomSummary } from './sync-response.js'

/** How many heroes a summary names (the spec's "first 5 members"). */
export const HERO_COUNT = 5

/**
 * A room's summary (client-server-api §GET /sync, RoomSummary) from storage's member summary:
 * the joined and invited counts (the syncing user included), and the heroes, which storage picks
 * as the spec describes (the first joined or invited members by stream order, never the syncing
 * user; when there are none, those who left or were banned).
 */
export function toRoomSummary(members: RoomMemberSummary): RoomSummary {
  return {
    'm.heroes': members.heroes,
    'm.joined_member_count': members.joined,
    'm.invited_member_count': members.invited,
  }
}

import type { JsonObject, RoomId, UserId } from '@rhizome/core'
import type { ClientEvent } from '../events/client-event.js'
import type { PresenceEvent } from '../presence/presence-service.js'
import type { DeviceLists, ToDeviceEvent } from './e2ee-sync.js'

/**
 * The body of a `/sync` response (client-server-api §GET /sync), as far as this server fills it.
 * Optional sections are left out when they have nothing to say, which the schema allows;
 * clients treat them as empty.
 */
export interface SyncResponse {
  readonly next_batch: string
  readonly rooms: SyncRooms
  readonly account_data: EventList<AccountDataEvent>
  readonly presence?: EventList<PresenceEvent>
  /** Messages for the syncing device (e2ee-sync.ts). */
  readonly to_device?: EventList<ToDeviceEvent>
  /** Incremental syncs only: whose device lists changed, and whom to stop tracking. */
  readonly device_lists?: DeviceLists
  readonly device_one_time_keys_count?: Readonly<Record<string, number>>
  readonly device_unused_fallback_key_types?: readonly string[]
}

export interface SyncRooms {
  readonly join: Readonly<Record<RoomId, JoinedRoom>>
  readonly invite: Readonly<Record<RoomId, InvitedRoom>>
  readonly knock: Readonly<Record<RoomId, KnockedRoom>>
  readonly leave: Readonly<Record<RoomId, LeftRoom>>
}

export interface EventList<E> {
  readonly events: readonly E[]
}

/** Account data as sync delivers it: just its type and content. */
export interface AccountDataEvent {
  readonly type: string
  readonly content: JsonObject
}

/** An ephemeral room event (`m.typing`, `m.receipt`): no ID, no sender, not in the timeline. */
export interface EphemeralEvent {
  readonly type: string
  readonly content: JsonObject
}

export interface Timeline {
  readonly events: readonly ClientEvent[]
  readonly limited: boolean
  readonly prev_batch?: string
}

export interface RoomSummary {
  readonly 'm.heroes'?: readonly UserId[]
  readonly 'm.joined_member_count'?: number
  readonly 'm.invited_member_count'?: number
}

export interface JoinedRoom {
  readonly summary?: RoomSummary
  /** Omitted when the request set use_state_after; then state_after is there. */
  readonly state?: EventList<ClientEvent>
  readonly state_after?: EventList<ClientEvent>
  readonly timeline: Timeline
  readonly account_data?: EventList<AccountDataEvent>
  readonly ephemeral?: EventList<EphemeralEvent>
  /** Push counts (unread-sync.ts): the whole room, or its main timeline with thread counts. */
  readonly unread_notifications?: UnreadNotificationCounts
  readonly unread_thread_notifications?: Readonly<Record<string, UnreadNotificationCounts>>
}

export interface UnreadNotificationCounts {
  readonly notification_count: number
  readonly highlight_count: number
}

export interface LeftRoom {
  readonly state?: EventList<ClientEvent>
  readonly state_after?: EventList<ClientEvent>
  readonly timeline: Timeline
  readonly account_data?: EventList<AccountDataEvent>
}

/** A stripped state event (client-server-api §Stripped state). */
export interface StrippedStateEvent {
  readonly type: string
  readonly state_key: string
  readonly sender: UserId
  readonly content: JsonObject
}

export interface InvitedRoom {
  readonly invite_state: EventList<StrippedStateEvent>
}

export interface KnockedRoom {
  readonly knock_state: EventList<StrippedStateEvent>
}

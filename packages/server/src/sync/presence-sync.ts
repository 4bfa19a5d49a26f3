import type { UserId } from '@rhizome/core'
import type { PresenceEvent, SetPresence } from '../presence/presence-service.js'
import { eventMatches } from './filter/event-match.js'
import type { SyncFilter } from './filter/sync-filter.js'

/**
 * What `/sync` needs of presence; absent when presence is disabled, and then a sync neither
 * changes presence nor reports any.
 */
export interface SyncPresence {
  /** A sync with `set_presence` begins; returns the function to call when it ends. */
  syncStarted(userId: UserId, setPresence: SetPresence): Promise<() => void>
  /** The presence of the user and of those who share a room with them, changed in the range. */
  events(viewer: UserId, since: number | undefined, upTo: number): Promise<PresenceEvent[]>
}

export interface PresenceSyncParams {
  readonly userId: UserId
  readonly since: number | undefined
  readonly upTo: number
  readonly filter: SyncFilter
}

/** The `presence` section's events, through the filter's `presence` rules and limit. */
export async function presenceEvents(
  presence: SyncPresence | undefined,
  params: PresenceSyncParams,
): Promise<PresenceEvent[]> {
  const rules = params.filter.presence
  if (presence === undefined || !eventMatches(rules, { type: 'm.presence' })) return []
  const all = await presence.events(params.userId, params.since, params.upTo)
  const kept = all.filter((event) => eventMatches(rules, event))
  // The newest `limit`: each user appears once, so these are the latest changes.
  return rules.limit === undefined ? kept : kept.slice(Math.max(0, kept.length - rules.limit))
}

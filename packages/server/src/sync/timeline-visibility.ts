import type { EventId, UserId } from '@rhizome/core'
import {
  allowedIn,
  historyVisibilityOf,
  membershipOf,
  type VisibilityState,
} from '../rooms/history-visibility.js'
import type { PduLoader } from '../rooms/pdu-loader.js'
import type { Storage, StoredEvent } from '../storage/interface.js'

/** One room's timeline slice, oldest first, with what sync knows about the user at its end. */
export interface TimelineSlice {
  readonly events: readonly StoredEvent[]
  /**
   * The user is joined at the end of the slice (the joined section). Then rule 3's "joined at
   * some point after the event" holds for every earlier event, and no member history is needed.
   */
  readonly joinedAtEnd: boolean
}

/**
 * The events of each slice that the user may see, by the history visibility rules of
 * client-server-api §Room History Visibility (rooms/history-visibility.ts holds the rules). The
 * states of all slices are read in one batch: state groups come from storage's cache, and the
 * visibility and member events from the PDU cache, so a sync with news usually reads nothing.
 *
 * "Joined later" is learned from the slice itself: walking it from the newest event back, the
 * user joined after an event when some later event of the slice saw them joined.
 */
export async function visibleEvents(
  deps: { readonly storage: Storage; readonly pdus: PduLoader },
  userId: UserId,
  slices: readonly TimelineSlice[],
): Promise<StoredEvent[][]> {
  const groups = new Set<number>()
  for (const slice of slices) {
    for (const event of slice.events) {
      if (event.stateGroupAfter !== undefined) groups.add(event.stateGroupAfter)
      if (event.stateGroupBefore !== undefined && hasTwoSides(event, userId)) {
        groups.add(event.stateGroupBefore)
      }
    }
  }
  const keys = new Map<number, { hv: EventId | undefined; member: EventId | undefined }>()
  await Promise.all(
    [...groups].map(async (group) => {
      const state = await deps.storage.state.loadState(group)
      keys.set(group, {
        hv: state.get('m.room.history_visibility', ''),
        member: state.get('m.room.member', userId),
      })
    }),
  )
  const wanted: EventId[] = []
  for (const { hv, member } of keys.values()) {
    if (hv !== undefined) wanted.push(hv)
    if (member !== undefined) wanted.push(member)
  }
  const pdus = await deps.pdus.load(wanted)
  const states = new Map<number, VisibilityState>()
  for (const [group, { hv, member }] of keys) {
    states.set(group, {
      visibility: historyVisibilityOf(hv === undefined ? undefined : pdus.get(hv)),
      membership: membershipOf(member === undefined ? undefined : pdus.get(member)),
    })
  }
  const stateOf = (group: number | undefined): VisibilityState | undefined =>
    group === undefined ? undefined : states.get(group)

  return slices.map((slice) => {
    const kept: StoredEvent[] = []
    let joinedAfter = slice.joinedAtEnd
    for (let i = slice.events.length - 1; i >= 0; i--) {
      const event = slice.events[i] as StoredEvent
      const after = stateOf(event.stateGroupAfter)
      if (after === undefined) continue
      const before = hasTwoSides(event, userId) ? stateOf(event.stateGroupBefore) : undefined
      if (
        allowedIn(after, joinedAfter) ||
        (before !== undefined && allowedIn(before, joinedAfter))
      ) {
        kept.push(event)
      }
      if (after.membership === 'join') joinedAfter = true
    }
    return kept.reverse()
  })
}

/**
 * History visibility events and the user's own member events are visible when the state before
 * or after them allows it.
 */
function hasTwoSides(event: StoredEvent, userId: UserId): boolean {
  const { pdu } = event
  return (
    (pdu.type === 'm.room.history_visibility' && pdu.stateKey === '') ||
    (pdu.type === 'm.room.member' && pdu.stateKey === userId)
  )
}

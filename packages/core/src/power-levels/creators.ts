/**
 * The creators of a room, from its `m.room.create` event:
 * - v1-v10: `content.creator`;
 * - v11: the sender of the create event (`creator` was removed);
 * - v12+: the sender plus every user in `content.additional_creators` (rooms/v12.md).
 * Entries that are not valid user IDs are not creators.
 */
import type { Pdu } from '../events/pdu.js'
import { parseUserId } from '../ids/user-id.js'
import type { UserId } from '../ids/types.js'
import type { RoomVersionRules } from '../room-versions/rules.js'

type CreatorSource = 'content-creator' | 'sender' | 'sender-and-additional'

// The create event is consulted by every auth check in its room: compute each set once.
const CACHES: Record<CreatorSource, WeakMap<Pdu, ReadonlySet<UserId>>> = {
  'content-creator': new WeakMap(),
  sender: new WeakMap(),
  'sender-and-additional': new WeakMap(),
}

export function creators(createEvent: Pdu, rules: RoomVersionRules): ReadonlySet<UserId> {
  const source: CreatorSource = rules.auth.privilegedCreators
    ? 'sender-and-additional'
    : rules.auth.createEventHasCreator
      ? 'content-creator'
      : 'sender'
  const cache = CACHES[source]
  let set = cache.get(createEvent)
  if (set === undefined) {
    set = computeCreators(createEvent, source)
    cache.set(createEvent, set)
  }
  return set
}

function computeCreators(createEvent: Pdu, source: CreatorSource): ReadonlySet<UserId> {
  const set = new Set<UserId>()
  if (source === 'content-creator') {
    const creator = createEvent.content['creator']
    if (typeof creator === 'string') addIfUserId(set, creator)
    return set
  }
  set.add(createEvent.sender)
  if (source === 'sender-and-additional') {
    const additional = createEvent.content['additional_creators']
    if (Array.isArray(additional)) {
      for (const entry of additional) if (typeof entry === 'string') addIfUserId(set, entry)
    }
  }
  return set
}

function addIfUserId(set: Set<UserId>, raw: string): void {
  const parsed = parseUserId(raw)
  if (parsed.ok) set.add(parsed.value)
}

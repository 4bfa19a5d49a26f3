/**
 * The authorization rules about an event's `auth_events` list itself ("Considering the event's
 * auth_events": rule 2 in v1-v11, rule 3 in v12). Which entries an event may cite is the auth events
 * selection of events/auth-events.ts.
 */
import { authEventTypesFor } from '../events/auth-events.js'
import type { Pdu } from '../events/pdu.js'
import { StateMap } from '../events/state-map.js'
import type { RoomVersionRules } from '../room-versions/rules.js'
import { ALLOWED, reject } from './auth-outcome.js'
import type { AuthOutcome } from './auth-outcome.js'
import { authRuleIds } from './rule-ids.js'

/**
 * Checks the events an event's `auth_events` names, in the list's order:
 * duplicate (type, state_key) pairs, entries the selection would not choose (a non-state event, or
 * the create event from v12), rejected entries, a list without the create event (v1-v11) and
 * entries from another room are rejected.
 *
 * Whether an entry was itself rejected is known only to the caller's store: pass `isRejected` to
 * apply that rule here, or apply it before calling. The create event needs no auth events: rule 1
 * allows or rejects it before this rule applies, so it is allowed here.
 */
export function checkAuthEventsList(
  pdu: Pdu,
  authEvents: readonly Pdu[],
  rules: RoomVersionRules,
  isRejected?: (authEvent: Pdu) => boolean,
): AuthOutcome {
  if (pdu.type === 'm.room.create') return ALLOWED
  const ids = authRuleIds(rules).authEvents
  const seen = new StateMap<true>()
  for (const entry of authEvents) {
    if (entry.stateKey === undefined) continue // not state: the selection rule rejects it below
    if (seen.has(entry.type, entry.stateKey)) {
      return reject(ids.duplicate, `two auth events for ${entry.type} with one state_key`)
    }
    seen.set(entry.type, entry.stateKey, true)
  }
  const selected = authEventTypesFor(pdu, rules)
  for (const entry of authEvents) {
    const stateKey = entry.stateKey
    if (
      stateKey === undefined ||
      !selected.some(([type, key]) => type === entry.type && key === stateKey)
    ) {
      return reject(ids.notSelected, `auth event ${entry.eventId} is not one this event may cite`)
    }
  }
  if (isRejected !== undefined) {
    for (const entry of authEvents) {
      if (isRejected(entry)) return reject(ids.rejected, `auth event ${entry.eventId} was rejected`)
    }
  }
  if (!rules.eventFormat.roomIdIsCreateEventHash && !seen.has('m.room.create', '')) {
    return reject(ids.noCreate, 'the auth events hold no m.room.create event')
  }
  for (const entry of authEvents) {
    if (entry.roomId !== pdu.roomId) {
      return reject(ids.roomId, `auth event ${entry.eventId} belongs to another room`)
    }
  }
  return ALLOWED
}

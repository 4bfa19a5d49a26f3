import { ok, type Result } from '../errors/result.js'
import { authEventTypesFor } from '../events/auth-events.js'
import type { Pdu } from '../events/pdu.js'
import { StateMap, type ReadonlyStateMap } from '../events/state-map.js'
import type { EventId } from '../ids/types.js'
import type { RoomVersionRules } from '../room-versions/rules.js'
import type { EventSource } from './event-source.js'

/**
 * Checks an event against the authorisation rules, given the state events that authorise it (the
 * create event among them). `checkAuthRules` of auth/auth-rules.ts has this shape.
 */
export type AuthCheck = (
  pdu: Pdu,
  authState: ReadonlyStateMap<Pdu>,
  rules: RoomVersionRules,
) => { readonly kind: 'allowed' | 'rejected' }

/**
 * The iterative auth checks of state resolution v2: each event in turn is checked against the
 * authorisation rules and, if allowed, written into `state` (which is updated in place and
 * returned); events that are not allowed are ignored.
 *
 * An event is checked against its own auth events, overlaid, for each (type, state key) that the
 * auth events selection names for it, by the event of the partially resolved state. Rejected
 * events are never used as auth events, from either source. Non-state events cannot enter state
 * and are skipped.
 */
export function iterativeAuthChecks(
  state: StateMap<EventId>,
  events: readonly EventId[],
  source: EventSource,
  rules: RoomVersionRules,
  checkAuth: AuthCheck,
): Result<StateMap<EventId>> {
  for (const eventId of events) {
    const event = source.require(eventId)
    if (!event.ok) return event
    const pdu = event.value
    if (pdu.stateKey === undefined) continue

    const authState = new StateMap<Pdu>()
    for (const authId of source.authEventIds(pdu)) {
      if (source.isRejected(authId)) continue
      const auth = source.require(authId)
      if (!auth.ok) return auth
      if (auth.value.stateKey !== undefined) {
        authState.set(auth.value.type, auth.value.stateKey, auth.value)
      }
    }
    for (const [type, stateKey] of authEventTypesFor(pdu, rules)) {
      const resolvedId = state.get(type, stateKey)
      if (resolvedId === undefined || source.isRejected(resolvedId)) continue
      const resolved = source.require(resolvedId)
      if (!resolved.ok) return resolved
      authState.set(type, stateKey, resolved.value)
    }

    if (checkAuth(pdu, authState, rules).kind === 'allowed') {
      state.set(pdu.type, pdu.stateKey, eventId)
    }
  }
  return ok(state)
}

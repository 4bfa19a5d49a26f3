import { checkAuthRules } from '../auth/auth-rules.js'
import type { Result } from '../errors/result.js'
import type { StateMap, ReadonlyStateMap } from '../events/state-map.js'
import type { EventId } from '../ids/types.js'
import type { RoomVersionRules } from '../room-versions/rules.js'
import { EventSource, type FetchEvent, type StateResolutionOptions } from './event-source.js'
import type { AuthCheck } from './iterative-auth-checks.js'
import { resolveStateV1 } from './state-res-v1.js'
import { resolveStateV2 } from './state-res-v2.js'

/**
 * Resolves the state of a room where branches of its DAG meet: given the states after each prev
 * event, returns the state before the new event. The algorithm is the room version's
 * (`rules.stateResolution`): v1 (room v1), v2 (rooms v2-v11) or v2.1 (room v12).
 *
 * What the caller guarantees:
 * - every state set maps each (type, state key) to the ID of a state event with that type and
 *   state key, and all events are from the same room;
 * - `fetchEvent` returns every event of the state sets and of their auth chains (unless
 *   `options.authChain` answers for an event's ancestors). An event it cannot return is an
 *   `M_NOT_FOUND` error naming it; nothing is resolved from partial data;
 * - rejected events: events rejected against their own auth events never belong in a state set.
 *   An event rejected only against the state before it may be in a state set, and is resolved
 *   like any other (the spec's "Rejected events"); `fetchEvent` must return it, and
 *   `options.isRejected` should say so, because the iterative auth checks never use a rejected
 *   event as an auth event.
 *
 * In v2 and v2.1, conflicted events that fail the iterative auth checks are dropped: the result
 * then has the key's event from the unconflicted state map, if any, or no event for the key.
 *
 * Synchronous and pure: the same inputs give the same state whatever the order of the state sets
 * or of their entries. Event lookups are memoised within one call.
 */
export function resolveState(
  stateSets: readonly ReadonlyStateMap<EventId>[],
  fetchEvent: FetchEvent,
  rules: RoomVersionRules,
  options: StateResolutionOptions = {},
): Result<StateMap<EventId>> {
  const source = new EventSource(fetchEvent, rules, options)
  const authCheckOptions = options.authCheckOptions
  const checkAuth: AuthCheck =
    authCheckOptions === undefined
      ? checkAuthRules
      : (pdu, authState, roomRules) => checkAuthRules(pdu, authState, roomRules, authCheckOptions)
  switch (rules.stateResolution) {
    case 'v1':
      return resolveStateV1(stateSets, source, rules, checkAuth)
    case 'v2':
    case 'v2.1':
      return resolveStateV2(stateSets, source, rules, checkAuth)
  }
}

/**
 * An event after a gap that `/get_missing_events` did not close (server-server-api §Retrieving
 * events: the state at a gap comes from `/state_ids` and `/event`). A server back from a long
 * outage is sent only the latest events of each room; the events between are not fetched.
 * Instead the sending server's state before the event is fetched and verified (its events held
 * as outliers, missing auth events fetched with `/event_auth`), and the event is checked against
 * that state and taken, the room's other branches resolved with it as usual.
 */
import { ok, type Pdu, type Result, type RoomVersionRules, type ServerName } from '@rhizome/core'
import { fetchAuthChain, fetchStateBefore } from '../history/remote-state.js'
import type { FederationRequester } from '../transport/federation-client.js'
import type { ServerKeyLookup as KeyFetcher } from '../keys/key-fetcher.js'
import {
  receiveRoomEvent,
  type ReceiveOutcome,
  type RoomEventReceiverDeps,
} from './room-event-receiver.js'

export interface GapDeps extends RoomEventReceiverDeps {
  readonly keys: Pick<KeyFetcher, 'verifyKey'>
  readonly requester: Pick<FederationRequester, 'request'>
}

/** Takes the event with the state `origin` says it has, after what was still missing. */
export async function receiveAcrossGap(
  deps: GapDeps,
  origin: ServerName,
  pdu: Pdu,
  rules: RoomVersionRules,
  missing: Extract<ReceiveOutcome, { kind: 'missing' }>,
): Promise<Result<ReceiveOutcome, string>> {
  if (missing.auth.length > 0) {
    await fetchAuthChain(deps, origin, rules, pdu.roomId, pdu.eventId)
  }
  if (missing.prev.length === 0) return receiveRoomEvent(deps, pdu, rules)
  const state = await fetchStateBefore(deps, origin, rules, pdu.roomId, pdu.eventId)
  if (!state.ok) return ok(missing)
  return receiveRoomEvent(deps, pdu, rules, { stateAtGap: state.value })
}

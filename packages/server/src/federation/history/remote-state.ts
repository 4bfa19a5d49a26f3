/**
 * Asking another server for what this server lacks of a room (server-server-api §Retrieving
 * events, §Retrieving event authorisation information): the state before an event, as IDs
 * (`/state_ids`) and then the events not held yet (`/event` each, or, when many are missing, the
 * whole state at once with `/state`), or an event's auth chain (`/event_auth`). Everything fetched is verified and held as outliers (outlier-intake.ts)
 * before it is used; an event that does not verify is simply not held.
 */
import {
  err,
  isJsonObject,
  ok,
  StateMap,
  type EventId,
  type JsonValue,
  type Result,
  type RoomId,
  type RoomVersionRules,
  type ServerName,
} from '@rhizome/core'
import type { FederationRequester } from '../transport/federation-client.js'
import { takeOutliers, verifyPdus, type OutlierIntakeDeps } from './outlier-intake.js'

/** How many events one state may make this server fetch one by one. */
export const MAX_STATE_FETCH = 1000
/**
 * Beyond this many missing events, one `/state` request (the whole state and auth chain, most of
 * it held already) costs less than a round trip per event.
 */
export const ONE_BY_ONE_LIMIT = 20
/** How many `/event` requests are in flight at once. */
const FETCH_CONCURRENCY = 8

export interface RemoteStateDeps extends OutlierIntakeDeps {
  readonly requester: Pick<FederationRequester, 'request'>
}

const FED = '/_matrix/federation/v1'

/** The state before `eventId` as `server` has it, every event of it verified and held. */
export async function fetchStateBefore(
  deps: RemoteStateDeps,
  server: ServerName,
  rules: RoomVersionRules,
  roomId: RoomId,
  eventId: EventId,
): Promise<Result<StateMap<EventId>, string>> {
  const answer = await deps.requester.request(
    server,
    'GET',
    `${FED}/state_ids/${encodeURIComponent(roomId)}`,
    undefined,
    { query: { event_id: eventId } },
  )
  if (!answer.ok) return err(`state_ids from ${server}: ${answer.error.message}`)
  const body = answer.value.body
  const stateIds = isJsonObject(body) ? idList(body['pdu_ids']) : undefined
  const chainIds = isJsonObject(body) ? idList(body['auth_chain_ids']) : undefined
  if (stateIds === undefined || chainIds === undefined) return err('state_ids gave no ID lists')
  const wanted = [...new Set([...chainIds, ...stateIds])]
  const held = await deps.storage.events.haveEvents(wanted)
  const missing = wanted.filter((id) => !held.has(id))
  const whole =
    missing.length > ONE_BY_ONE_LIMIT
      ? await fetchWholeState(deps, server, rules, roomId, eventId, new Set(missing))
      : undefined
  if (whole !== undefined) {
    await takeOutliers(deps, rules, roomId, whole)
  } else if (missing.length > MAX_STATE_FETCH) {
    return err(`the state needs ${missing.length} events, and /state did not give them`)
  } else {
    await takeOutliers(deps, rules, roomId, await fetchEvents(deps, server, rules, roomId, missing))
  }
  const loaded = await deps.storage.events.getEvents(stateIds)
  const state = new StateMap<EventId>()
  for (const id of stateIds) {
    const event = loaded.get(id)
    if (event === undefined || event.pdu.roomId !== roomId) return err(`state event ${id} unusable`)
    if (event.pdu.stateKey === undefined) return err(`${id} in the state is not a state event`)
    state.set(event.pdu.type, event.pdu.stateKey, id)
  }
  return ok(state)
}

/** Holds the auth chain of `eventId` as `server` has it, as far as it verifies. */
export async function fetchAuthChain(
  deps: RemoteStateDeps,
  server: ServerName,
  rules: RoomVersionRules,
  roomId: RoomId,
  eventId: EventId,
): Promise<void> {
  const answer = await deps.requester.request(
    server,
    'GET',
    `${FED}/event_auth/${encodeURIComponent(roomId)}/${encodeURIComponent(eventId)}`,
  )
  if (!answer.ok) return
  const body = answer.value.body
  const chain = isJsonObject(body) && Array.isArray(body['auth_chain']) ? body['auth_chain'] : []
  await takeOutliers(deps, rules, roomId, await verifyPdus(deps, rules, roomId, chain, server))
}

/**
 * The events of `wanted` among the state before `eventId` and its auth chain as `server` gives
 * them with `/state`, verified; undefined when it gives no usable answer.
 */
async function fetchWholeState(
  deps: RemoteStateDeps,
  server: ServerName,
  rules: RoomVersionRules,
  roomId: RoomId,
  eventId: EventId,
  wanted: ReadonlySet<EventId>,
): Promise<Awaited<ReturnType<typeof verifyPdus>> | undefined> {
  const answer = await deps.requester.request(
    server,
    'GET',
    `${FED}/state/${encodeURIComponent(roomId)}`,
    undefined,
    { query: { event_id: eventId } },
  )
  const body = answer.ok ? answer.value.body : undefined
  if (!isJsonObject(body) || !Array.isArray(body['pdus']) || !Array.isArray(body['auth_chain'])) {
    return undefined
  }
  const all = [...(body['pdus'] as JsonValue[]), ...(body['auth_chain'] as JsonValue[])]
  const verified = await verifyPdus(deps, rules, roomId, all, server)
  return verified.filter((pdu) => wanted.has(pdu.eventId))
}

/** The events that `server` hands out by ID (`/event`), verified; those it does not are left out. */
async function fetchEvents(
  deps: RemoteStateDeps,
  server: ServerName,
  rules: RoomVersionRules,
  roomId: RoomId,
  ids: readonly EventId[],
): Promise<ReturnType<typeof verifyPdus>> {
  const jsons: JsonValue[] = []
  for (let i = 0; i < ids.length; i += FETCH_CONCURRENCY) {
    const answers = await Promise.all(
      ids
        .slice(i, i + FETCH_CONCURRENCY)
        .map((id) =>
          deps.requester.request(server, 'GET', `${FED}/event/${encodeURIComponent(id)}`),
        ),
    )
    for (const answer of answers) {
      const body = answer.ok ? answer.value.body : undefined
      const pdus = isJsonObject(body) ? body['pdus'] : undefined
      const [first] = Array.isArray(pdus) ? (pdus as readonly JsonValue[]) : []
      if (first !== undefined) jsons.push(first)
    }
  }
  return verifyPdus(deps, rules, roomId, jsons, server)
}

function idList(value: JsonValue | undefined): EventId[] | undefined {
  if (!Array.isArray(value)) return undefined
  const ids = value as readonly JsonValue[]
  return ids.every((id) => typeof id === 'string') ? (ids as EventId[]) : undefined
}

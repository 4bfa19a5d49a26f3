import { ok, type Result } from '../errors/result.js'
import type { Pdu } from '../events/pdu.js'
import type { EventId } from '../ids/types.js'
import { compareCodePoints } from '../json/canonical-json.js'
import type { EventSource } from './event-source.js'

/** The `m.room.power_levels` event among an event's auth events, if it has one. */
export function powerLevelsAuthEvent(pdu: Pdu, source: EventSource): Result<EventId | undefined> {
  for (const authId of source.authEventIds(pdu)) {
    const auth = source.require(authId)
    if (!auth.ok) return auth
    if (auth.value.type === 'm.room.power_levels' && auth.value.stateKey === '') return ok(authId)
  }
  return ok(undefined)
}

/**
 * The mainline of a power levels event P₀: P₀, the power levels event among its auth events P₁,
 * and so on, as a map from each Pᵢ to i. Empty when there is no P₀.
 */
export function mainline(
  powerLevelsId: EventId | undefined,
  source: EventSource,
): Result<Map<EventId, number>> {
  const positions = new Map<EventId, number>()
  for (let id = powerLevelsId; id !== undefined && !positions.has(id);) {
    positions.set(id, positions.size)
    const pdu = source.require(id)
    if (!pdu.ok) return pdu
    const next = powerLevelsAuthEvent(pdu.value, source)
    if (!next.ok) return next
    id = next.value
  }
  return ok(positions)
}

/**
 * Orders events by their mainline position based on the power levels event `powerLevelsId`
 * (state resolution v2, step 3): an event whose power-levels ancestry joins the mainline further
 * back sorts first, and one whose ancestry never joins it (position ∞) sorts before all others;
 * ties go to the earlier `origin_server_ts`, then to the smaller event ID.
 *
 * Positions are memoised for every power levels event met on the way down, so many events
 * citing long chains of power levels cost one walk of each chain.
 */
export function mainlineOrder(
  events: readonly EventId[],
  powerLevelsId: EventId | undefined,
  source: EventSource,
): Result<EventId[]> {
  if (events.length === 0) return ok([])
  const positions = mainline(powerLevelsId, source)
  if (!positions.ok) return positions
  const known = positions.value

  const keys = new Map<EventId, { readonly position: number; readonly ts: number }>()
  for (const eventId of events) {
    const pdu = source.require(eventId)
    if (!pdu.ok) return pdu
    const position = mainlinePosition(pdu.value, known, source)
    if (!position.ok) return position
    keys.set(eventId, { position: position.value, ts: pdu.value.originServerTs })
  }

  const sorted = [...events].sort((a, b) => {
    const x = keys.get(a) ?? NO_KEY
    const y = keys.get(b) ?? NO_KEY
    if (x.position !== y.position) return x.position > y.position ? -1 : 1
    if (x.ts !== y.ts) return x.ts < y.ts ? -1 : 1
    return compareCodePoints(a, b)
  })
  return ok(sorted)
}

/**
 * The mainline position of `pdu`: the index in the mainline of the first power levels event met
 * walking down from the event's own power levels auth event (the event itself is not considered),
 * or `Infinity` when the walk never meets the mainline. `known` maps power levels events to their
 * position: it holds the mainline and gains every event walked through.
 */
export function mainlinePosition(
  pdu: Pdu,
  known: Map<EventId, number>,
  source: EventSource,
): Result<number> {
  const walked = new Set<EventId>()
  const first = powerLevelsAuthEvent(pdu, source)
  if (!first.ok) return first
  let position = Infinity
  for (let id = first.value; id !== undefined;) {
    const memo = known.get(id)
    if (memo !== undefined) {
      position = memo
      break
    }
    // A cycle cannot happen with valid events; cutting it keeps bad input from hanging the walk.
    if (walked.has(id)) break
    walked.add(id)
    const current = source.require(id)
    if (!current.ok) return current
    const next = powerLevelsAuthEvent(current.value, source)
    if (!next.ok) return next
    id = next.value
  }
  for (const id of walked) known.set(id, position)
  return ok(position)
}

const NO_KEY = { position: Infinity, ts: 0 }

import { ok, type Result } from '../errors/result.js'
import { authEventTypesFor } from '../events/auth-events.js'
import type { Pdu } from '../events/pdu.js'
import { StateMap, type ReadonlyStateMap } from '../events/state-map.js'
import { utf8Encode } from '../encoding/utf8.js'
import type { EventId } from '../ids/types.js'
import type { RoomVersionRules } from '../room-versions/rules.js'
import type { EventSource } from './event-source.js'
import type { AuthCheck } from './iterative-auth-checks.js'
import { sha1 } from './sha1.js'

/**
 * State resolution for room version 1 (rooms/v1.md §State resolution). Known to reset state; kept
 * only so that v1 rooms resolve as every other server resolves them. Where the prose is terse this
 * follows Synapse, the reference implementation of the time:
 *
 * - a key is conflicted when two state sets hold different events for it; a key missing from
 *   some state sets is not a conflict, so R starts as the union of the unconflicted entries;
 * - power levels, then join rules, then memberships: for each conflicted key, the candidates by
 *   ascending depth then descending sha1(event_id); the first goes into R, and each next one
 *   replaces it while it passes the auth rules against R, stopping at the first that fails. Every
 *   key of one kind is checked against R as it was before that kind;
 * - any other conflicted key takes the first candidate, by descending depth then ascending
 *   sha1(event_id), that passes the auth rules against R, or the last candidate if none does.
 */
export function resolveStateV1(
  stateSets: readonly ReadonlyStateMap<EventId>[],
  source: EventSource,
  rules: RoomVersionRules,
  checkAuth: AuthCheck,
): Result<StateMap<EventId>> {
  const { resolved, conflicts } = splitV1(stateSets)
  if (conflicts.size === 0) return ok(resolved)

  const candidates = new StateMap<Pdu[]>()
  for (const [type, stateKey, eventIds] of conflicts) {
    const events: Pdu[] = []
    for (const eventId of eventIds) {
      const pdu = source.require(eventId)
      if (!pdu.ok) return pdu
      events.push(pdu.value)
    }
    candidates.set(type, stateKey, sortByDepthThenSha1(events))
  }

  const allowedIn = (state: ReadonlyStateMap<EventId>) => {
    return (pdu: Pdu, replacing?: Pdu): Result<boolean> => {
      const authState = new StateMap<Pdu>()
      for (const [type, stateKey] of authEventTypesFor(pdu, rules)) {
        if (replacing !== undefined && replacing.type === type && replacing.stateKey === stateKey) {
          authState.set(type, stateKey, replacing)
          continue
        }
        const eventId = state.get(type, stateKey)
        if (eventId === undefined) continue
        const auth = source.require(eventId)
        if (!auth.ok) return auth
        authState.set(type, stateKey, auth.value)
      }
      return ok(checkAuth(pdu, authState, rules).kind === 'allowed')
    }
  }

  for (const kind of AUTH_KINDS) {
    // Every key of one kind is judged against R as it stood before that kind.
    const winners = resolveKeys(candidates, kind, resolveAuthKey, allowedIn(resolved))
    if (!winners.ok) return winners
    for (const [type, stateKey, eventId] of winners.value) resolved.set(type, stateKey, eventId)
  }
  const others = resolveKeys(candidates, isOtherKind, resolveOtherKey, allowedIn(resolved))
  if (!others.ok) return others
  for (const [type, stateKey, eventId] of others.value) resolved.set(type, stateKey, eventId)
  return ok(resolved)
}

type KeyFilter = (type: string, stateKey: string) => boolean

/** The kinds of keys resolved as auth events, in order (as Synapse: only `(power_levels, '')`). */
const AUTH_KINDS: readonly KeyFilter[] = [
  (type, stateKey) => type === 'm.room.power_levels' && stateKey === '',
  (type) => type === 'm.room.join_rules',
  (type) => type === 'm.room.member',
]

const isOtherKind: KeyFilter = (type, stateKey) => !AUTH_KINDS.some((kind) => kind(type, stateKey))

type Allowed = (pdu: Pdu, replacing?: Pdu) => Result<boolean>
type ResolveKey = (events: readonly Pdu[], allowed: Allowed) => Result<Pdu | undefined>

function resolveKeys(
  candidates: ReadonlyStateMap<readonly Pdu[]>,
  select: KeyFilter,
  resolveKey: ResolveKey,
  allowed: Allowed,
): Result<[string, string, EventId][]> {
  const winners: [string, string, EventId][] = []
  for (const [type, stateKey, events] of candidates) {
    if (!select(type, stateKey)) continue
    const winner = resolveKey(events, allowed)
    if (!winner.ok) return winner
    if (winner.value !== undefined) winners.push([type, stateKey, winner.value.eventId])
  }
  return ok(winners)
}

/** `events` are by descending depth, then ascending sha1; this walks them the other way. */
function resolveAuthKey(events: readonly Pdu[], allowed: Allowed): Result<Pdu | undefined> {
  let current: Pdu | undefined
  for (const next of events.toReversed()) {
    if (current !== undefined) {
      const verdict = allowed(next, current)
      if (!verdict.ok) return verdict
      if (!verdict.value) break
    }
    current = next
  }
  return ok(current)
}

function resolveOtherKey(events: readonly Pdu[], allowed: Allowed): Result<Pdu | undefined> {
  for (const pdu of events) {
    const verdict = allowed(pdu)
    if (!verdict.ok) return verdict
    if (verdict.value) return ok(pdu)
  }
  return ok(events.at(-1))
}

function sortByDepthThenSha1(events: readonly Pdu[]): Pdu[] {
  const keyed = events.map((pdu) => ({ pdu, hash: sha1(utf8Encode(pdu.eventId)) }))
  keyed.sort((a, b) =>
    a.pdu.depth !== b.pdu.depth
      ? a.pdu.depth > b.pdu.depth
        ? -1
        : 1
      : compareBytes(a.hash, b.hash),
  )
  return keyed.map(({ pdu }) => pdu)
}

/** Compares two SHA-1 digests (20 bytes each) as big-endian numbers, like their hex forms. */
function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length; i++) {
    const difference = (a[i] ?? 0) - (b[i] ?? 0)
    if (difference !== 0) return difference
  }
  return 0
}

/**
 * The v1 split: R starts as the union of the state sets minus the conflicted keys, and each
 * conflicted key keeps its distinct candidates.
 */
function splitV1(stateSets: readonly ReadonlyStateMap<EventId>[]): {
  resolved: StateMap<EventId>
  conflicts: StateMap<Set<EventId>>
} {
  const resolved = new StateMap<EventId>()
  const conflicts = new StateMap<Set<EventId>>()
  for (const set of stateSets) {
    for (const [type, stateKey, eventId] of set) {
      const conflict = conflicts.get(type, stateKey)
      if (conflict !== undefined) {
        conflict.add(eventId)
        continue
      }
      const existing = resolved.get(type, stateKey)
      if (existing === undefined) resolved.set(type, stateKey, eventId)
      else if (existing !== eventId) {
        resolved.delete(type, stateKey)
        conflicts.set(type, stateKey, new Set([existing, eventId]))
      }
    }
  }
  return { resolved, conflicts }
}

import type { EventId } from '../ids/types.js'
import { isJsonObject, type JsonObject } from '../json/json.js'
import type { RoomVersionRules } from '../room-versions/rules.js'
import type { ReadonlyStateMap } from './state-map.js'

/** The parts of an event that decide which state events authorise it. */
export interface AuthEventsSubject {
  readonly type: string
  readonly stateKey?: string
  readonly sender: string
  readonly content: JsonObject
}

export type AuthEventKey = readonly [type: string, stateKey: string]

/**
 * The (type, state key) pairs of the state events that authorise `event`: the auth events
 * selection of server-server-api.md §Auth events selection, in that order and without duplicates.
 * An `m.room.create` event has no auth events. The create event itself is selected except where the
 * room ID already names it (v12).
 *
 * Malformed content selects nothing extra rather than failing: a `third_party_invite` without a
 * string `signed.token`, or a non-string `join_authorised_via_users_server`, cannot name a state key,
 * and the auth rules reject such an event anyway.
 */
export function authEventTypesFor(
  event: AuthEventsSubject,
  rules: RoomVersionRules,
): AuthEventKey[] {
  if (event.type === 'm.room.create') return []
  const pairs: AuthEventKey[] = []
  const add = (type: string, stateKey: string): void => {
    for (const [t, k] of pairs) if (t === type && k === stateKey) return
    pairs.push([type, stateKey])
  }

  if (!rules.eventFormat.roomIdIsCreateEventHash) add('m.room.create', '')
  add('m.room.power_levels', '')
  add('m.room.member', event.sender)

  if (event.type === 'm.room.member') {
    if (event.stateKey !== undefined) add('m.room.member', event.stateKey)
    const membership = ownValue(event.content, 'membership')
    if (membership === 'join' || membership === 'invite' || membership === 'knock') {
      add('m.room.join_rules', '')
    }
    if (membership === 'invite') {
      const token = thirdPartyInviteToken(event.content)
      if (token !== undefined) add('m.room.third_party_invite', token)
    }
    if (membership === 'join' && rules.auth.restrictedJoinRule) {
      const authoriser = ownValue(event.content, 'join_authorised_via_users_server')
      if (typeof authoriser === 'string') add('m.room.member', authoriser)
    }
  }
  return pairs
}

/**
 * The IDs of the events in `state` that authorise `event` (see `authEventTypesFor`), for the
 * `auth_events` of an event we create. Pairs absent from `state` are skipped.
 */
export function selectAuthEvents(
  event: AuthEventsSubject,
  state: ReadonlyStateMap<EventId>,
  rules: RoomVersionRules,
): EventId[] {
  const ids: EventId[] = []
  for (const [type, stateKey] of authEventTypesFor(event, rules)) {
    const id = state.get(type, stateKey)
    if (id !== undefined && !ids.includes(id)) ids.push(id)
  }
  return ids
}

function thirdPartyInviteToken(content: JsonObject): string | undefined {
  const invite = ownValue(content, 'third_party_invite')
  if (!isJsonObject(invite)) return undefined
  const signed = ownValue(invite, 'signed')
  if (!isJsonObject(signed)) return undefined
  const token = ownValue(signed, 'token')
  return typeof token === 'string' ? token : undefined
}

function ownValue(object: JsonObject, key: string): unknown {
  return Object.hasOwn(object, key) ? object[key] : undefined
}

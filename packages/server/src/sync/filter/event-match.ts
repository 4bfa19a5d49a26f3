import { type JsonObject, type RoomId, type UserId } from '@rhizome/core'
import type { EventFilter } from '../../storage/interface.js'
import type { EventFilterRules, RoomEventFilterRules, RoomFilterRules } from './sync-filter.js'

/**
 * Whether `type` matches one of the patterns, where `*` stands for any sequence of characters
 * (client-server-api §Filtering). Each list is compiled once into a single expression.
 */
export function typeMatches(type: string, patterns: readonly string[]): boolean {
  let compiled = compiledPatterns.get(patterns)
  if (compiled === undefined) {
    const alternatives = patterns.map((p) => p.split('*').map(escapeRegExp).join('.*'))
    compiled = new RegExp(`^(?:${alternatives.join('|')})$`, 's')
    compiledPatterns.set(patterns, compiled)
  }
  return patterns.length > 0 && compiled.test(type)
}

const compiledPatterns = new WeakMap<readonly string[], RegExp>()

function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.|?+()[\]{}*]/g, '\\$&')
}

/** Types and senders: the exclusions win over the inclusions, an absent list includes all. */
export function eventMatches(
  rules: EventFilterRules,
  event: { readonly type: string; readonly sender?: UserId | undefined },
): boolean {
  if (typeMatches(event.type, rules.notTypes)) return false
  if (rules.types !== undefined && !typeMatches(event.type, rules.types)) return false
  if (event.sender !== undefined) {
    if (rules.notSenders.includes(event.sender)) return false
    if (rules.senders !== undefined && !rules.senders.includes(event.sender)) return false
  }
  return true
}

/** A room event against a RoomEventFilter: types, senders, rooms and contains_url. */
export function roomEventMatches(
  rules: RoomEventFilterRules,
  event: {
    readonly type: string
    readonly sender: UserId
    readonly roomId: RoomId
    readonly content: JsonObject
  },
): boolean {
  if (!roomListed(rules, event.roomId)) return false
  if (rules.containsUrl !== undefined && hasUrl(event.content) !== rules.containsUrl) return false
  return eventMatches(rules, event)
}

/** What `contains_url` asks about: a string `url` in the content, as `/messages` reads it. */
export function hasUrl(content: JsonObject): boolean {
  return typeof content['url'] === 'string'
}

/** Whether a room passes a `rooms` / `not_rooms` pair (the exclusion wins). */
export function roomListed(
  rules: Pick<RoomFilterRules, 'rooms' | 'notRooms'>,
  roomId: RoomId,
): boolean {
  if (rules.notRooms.includes(roomId)) return false
  return rules.rooms === undefined || rules.rooms.includes(roomId)
}

type MutableEventFilter = { -readonly [K in keyof EventFilter]: EventFilter[K] }

/** The part of a filter that storage applies in SQL; undefined when it filters nothing. */
export function storageEventFilter(rules: EventFilterRules): EventFilter | undefined {
  const filter: MutableEventFilter = {}
  if (rules.types !== undefined) filter.types = rules.types
  if (rules.notTypes.length > 0) filter.notTypes = rules.notTypes
  if (rules.senders !== undefined) filter.senders = rules.senders
  if (rules.notSenders.length > 0) filter.notSenders = rules.notSenders
  return Object.keys(filter).length === 0 ? undefined : filter
}

/**
 * All of a RoomEventFilter that storage can apply in SQL (all but `rooms`, which choose what to
 * read), with the viewer's ignored users: filtering after a LIMIT would return short pages.
 * Undefined when it filters nothing.
 */
export function storageRoomEventFilter(
  rules: RoomEventFilterRules,
  ignored: ReadonlySet<UserId> = NOBODY,
): EventFilter | undefined {
  const filter: MutableEventFilter = { ...storageEventFilter(rules) }
  if (rules.containsUrl !== undefined) filter.containsUrl = rules.containsUrl
  if (ignored.size > 0) filter.ignoredSenders = [...ignored]
  return Object.keys(filter).length === 0 ? undefined : filter
}

const NOBODY: ReadonlySet<UserId> = new Set()

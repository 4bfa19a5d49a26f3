/**
 * The RoomEventFilter of client-server-api §Filtering, as `/messages` and `/context` take it in
 * their `filter` query parameter: parsed from untrusted JSON, applied in SQL where storage can
 * (types, senders) and in memory for the rest.
 */
import {
  err,
  isJsonObject,
  ok,
  parseJson,
  parseUserId,
  type JsonObject,
  type JsonValue,
  type Pdu,
  type Result,
  type UserId,
} from '@rhizome/core'
import { serverError, type ServerError } from '../http/errors.js'
import type { EventFilter } from '../storage/interface.js'

export interface RoomEventFilter {
  readonly types?: readonly string[]
  readonly notTypes?: readonly string[]
  /** Entries that are not user IDs can match no sender and are left out. */
  readonly senders?: readonly UserId[]
  readonly notSenders?: readonly UserId[]
  readonly limit?: number
  readonly lazyLoadMembers: boolean
  readonly includeRedundantMembers: boolean
  readonly containsUrl?: boolean
}

export const EMPTY_FILTER: RoomEventFilter = {
  lazyLoadMembers: false,
  includeRedundantMembers: false,
}

/** Longest filter text accepted in a query string. */
const MAX_FILTER_LENGTH = 64 * 1024

/** Parses the `filter` query parameter (JSON text). M_INVALID_PARAM for anything malformed. */
export function parseRoomEventFilterParam(
  raw: string | null,
): Result<RoomEventFilter, ServerError> {
  if (raw === null || raw === '') return ok(EMPTY_FILTER)
  if (raw.length > MAX_FILTER_LENGTH) return invalid('filter is too long')
  const json = parseJson(raw)
  if (!json.ok) return invalid(`filter is not valid JSON: ${json.error.error}`)
  if (!isJsonObject(json.value)) return invalid('filter must be a JSON object')
  return parseRoomEventFilter(json.value)
}

export function parseRoomEventFilter(json: JsonObject): Result<RoomEventFilter, ServerError> {
  const types = stringList(json, 'types')
  if (!types.ok) return types
  const notTypes = stringList(json, 'not_types')
  if (!notTypes.ok) return notTypes
  const senders = stringList(json, 'senders')
  if (!senders.ok) return senders
  const notSenders = stringList(json, 'not_senders')
  if (!notSenders.ok) return notSenders
  const limit = json['limit']
  if (limit !== undefined && (!Number.isSafeInteger(limit) || (limit as number) < 1)) {
    return invalid('filter.limit must be a positive integer')
  }
  const lazy = flag(json, 'lazy_load_members')
  if (!lazy.ok) return lazy
  const redundant = flag(json, 'include_redundant_members')
  if (!redundant.ok) return redundant
  const containsUrl = flag(json, 'contains_url')
  if (!containsUrl.ok) return containsUrl

  return ok({
    ...(types.value === undefined ? {} : { types: types.value }),
    ...(notTypes.value === undefined ? {} : { notTypes: notTypes.value }),
    ...(senders.value === undefined ? {} : { senders: userIds(senders.value) }),
    ...(notSenders.value === undefined ? {} : { notSenders: userIds(notSenders.value) }),
    ...(typeof limit === 'number' ? { limit } : {}),
    lazyLoadMembers: lazy.value === true,
    includeRedundantMembers: redundant.value === true,
    ...(containsUrl.value === undefined ? {} : { containsUrl: containsUrl.value }),
  })
}

/** The part of the filter that storage applies in SQL. */
export function storageFilter(filter: RoomEventFilter): EventFilter | undefined {
  const out: {
    types?: readonly string[]
    notTypes?: readonly string[]
    senders?: readonly UserId[]
    notSenders?: readonly UserId[]
  } = {}
  if (filter.types !== undefined) out.types = filter.types
  if (filter.notTypes !== undefined) out.notTypes = filter.notTypes
  if (filter.senders !== undefined) out.senders = filter.senders
  if (filter.notSenders !== undefined) out.notSenders = filter.notSenders
  return Object.keys(out).length === 0 ? undefined : out
}

/** Whether `pdu` passes the whole filter (for events that did not come through storage's). */
export function matchesFilter(filter: RoomEventFilter, pdu: Pdu): boolean {
  if (filter.types !== undefined && !filter.types.some((t) => typeMatches(t, pdu.type))) {
    return false
  }
  if (filter.notTypes?.some((t) => typeMatches(t, pdu.type)) === true) return false
  if (filter.senders !== undefined && !filter.senders.includes(pdu.sender)) return false
  if (filter.notSenders?.includes(pdu.sender) === true) return false
  return matchesContainsUrl(filter, pdu)
}

/** `contains_url`: only events with a string `url` in their content (true), or only without. */
export function matchesContainsUrl(filter: RoomEventFilter, pdu: Pdu): boolean {
  if (filter.containsUrl === undefined) return true
  return (typeof pdu.content['url'] === 'string') === filter.containsUrl
}

/** A filter type: `*` matches any run of characters, everything else itself. */
export function typeMatches(pattern: string, type: string): boolean {
  if (!pattern.includes('*')) return pattern === type
  const parts = pattern.split('*')
  const first = parts[0] ?? ''
  const last = parts[parts.length - 1] ?? ''
  if (!type.startsWith(first)) return false
  let at = first.length
  for (let i = 1; i < parts.length - 1; i++) {
    const part = parts[i] ?? ''
    const found = type.indexOf(part, at)
    if (found < 0) return false
    at = found + part.length
  }
  return type.length - at >= last.length && type.endsWith(last)
}

function stringList(json: JsonObject, key: string): Result<string[] | undefined, ServerError> {
  const value: JsonValue | undefined = json[key]
  if (value === undefined) return ok(undefined)
  if (!Array.isArray(value)) return invalid(`filter.${key} must be a list of strings`)
  const out: string[] = []
  for (const entry of value as readonly JsonValue[]) {
    if (typeof entry !== 'string') return invalid(`filter.${key} must be a list of strings`)
    out.push(entry)
  }
  return ok(out)
}

function flag(json: JsonObject, key: string): Result<boolean | undefined, ServerError> {
  const value = json[key]
  if (value === undefined) return ok(undefined)
  if (typeof value !== 'boolean') return invalid(`filter.${key} must be true or false`)
  return ok(value)
}

function userIds(raw: readonly string[]): UserId[] {
  const out: UserId[] = []
  for (const entry of raw) {
    const parsed = parseUserId(entry)
    if (parsed.ok) out.push(parsed.value)
  }
  return out
}

function invalid(message: string): Result<never, ServerError> {
  return err(serverError('M_INVALID_PARAM', message))
}

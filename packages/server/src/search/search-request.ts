/**
 * The body of `POST /search` (client-server-api §Server Side Search), parsed from untrusted JSON:
 * only the `room_events` category exists. Types are checked strictly (M_BAD_JSON), values that
 * the spec enumerates are M_INVALID_PARAM when unknown, and a missing required field is
 * M_MISSING_PARAM.
 */
import {
  err,
  isJsonObject,
  ok,
  parseRoomId,
  type JsonObject,
  type JsonValue,
  type Result,
  type RoomId,
} from '@rhizome/core'
import { badJson, serverError, type ServerError } from '../http/errors.js'
import {
  NO_ROOM_EVENT_FILTER,
  parseRoomEventFilter,
  type RoomEventFilterRules,
} from '../sync/filter/sync-filter.js'
import { SEARCH_KEYS, type SearchKey } from '../storage/engine/event-index.js'

/** Longer terms are refused: a search is a few words. */
export const MAX_SEARCH_TERM_LENGTH = 1000
/** The most context events on either side of a result. */
export const MAX_CONTEXT_LIMIT = 100
export const DEFAULT_CONTEXT_LIMIT = 5

export type GroupKey = 'room_id' | 'sender'

export interface SearchRequest {
  /** Undefined when the body names no `room_events` category. */
  readonly roomEvents: RoomEventsCriteria | undefined
}

export interface RoomEventsCriteria {
  readonly searchTerm: string
  readonly keys: readonly SearchKey[]
  readonly filter: RoomEventFilterRules
  readonly rooms?: readonly RoomId[]
  readonly notRooms?: readonly RoomId[]
  readonly orderBy: 'rank' | 'recent'
  readonly eventContext?: EventContextRequest
  readonly includeState: boolean
  readonly groupBy: readonly GroupKey[]
}

export interface EventContextRequest {
  readonly beforeLimit: number
  readonly afterLimit: number
  readonly includeProfile: boolean
}

export function parseSearchRequest(body: JsonObject): Result<SearchRequest, ServerError> {
  const categories: JsonValue | undefined = body['search_categories']
  if (categories === undefined) return missing('search_categories')
  if (!isJsonObject(categories)) return bad('search_categories must be an object')
  const criteria: JsonValue | undefined = categories['room_events']
  if (criteria === undefined) return ok({ roomEvents: undefined })
  if (!isJsonObject(criteria)) return bad('search_categories.room_events must be an object')
  const parsed = parseCriteria(criteria)
  return parsed.ok ? ok({ roomEvents: parsed.value }) : parsed
}

function parseCriteria(json: JsonObject): Result<RoomEventsCriteria, ServerError> {
  const term = json['search_term']
  if (term === undefined) return missing('room_events.search_term')
  if (typeof term !== 'string') return bad('room_events.search_term must be a string')
  if (term.length > MAX_SEARCH_TERM_LENGTH) {
    return invalid(`room_events.search_term is over ${MAX_SEARCH_TERM_LENGTH} characters`)
  }

  const keys = parseKeys(json['keys'])
  if (!keys.ok) return keys
  const filterJson = json['filter']
  let filter = NO_ROOM_EVENT_FILTER
  let rooms: RoomId[] | undefined
  let notRooms: RoomId[] | undefined
  if (filterJson !== undefined && filterJson !== null) {
    if (!isJsonObject(filterJson)) return bad('room_events.filter must be an object')
    const parsedFilter = parseRoomEventFilter(filterJson, 'M_INVALID_PARAM')
    if (!parsedFilter.ok) return parsedFilter
    filter = parsedFilter.value
    const included = roomList(filterJson, 'rooms')
    if (!included.ok) return included
    rooms = included.value
    const excluded = roomList(filterJson, 'not_rooms')
    if (!excluded.ok) return excluded
    notRooms = excluded.value
  }

  const order = json['order_by'] ?? 'rank'
  if (order !== 'rank' && order !== 'recent') {
    return invalid('room_events.order_by must be rank or recent')
  }
  const context = parseEventContext(json['event_context'])
  if (!context.ok) return context
  const includeState = json['include_state'] ?? false
  if (typeof includeState !== 'boolean') return bad('room_events.include_state must be a boolean')
  const groupBy = parseGroupings(json['groupings'])
  if (!groupBy.ok) return groupBy

  return ok({
    searchTerm: term,
    keys: keys.value,
    filter,
    ...(rooms === undefined ? {} : { rooms }),
    ...(notRooms === undefined ? {} : { notRooms }),
    orderBy: order,
    ...(context.value === undefined ? {} : { eventContext: context.value }),
    includeState,
    groupBy: groupBy.value,
  })
}

function parseKeys(value: JsonValue | undefined): Result<readonly SearchKey[], ServerError> {
  if (value === undefined) return ok(SEARCH_KEYS)
  if (!Array.isArray(value)) return bad('room_events.keys must be a list of strings')
  const keys: SearchKey[] = []
  for (const key of value as readonly JsonValue[]) {
    if (typeof key !== 'string') return bad('room_events.keys must be a list of strings')
    const known = SEARCH_KEYS.find((k) => k === key)
    if (known === undefined) return invalid(`room_events.keys: cannot search ${key}`)
    if (!keys.includes(known)) keys.push(known)
  }
  return ok(keys.length === 0 ? SEARCH_KEYS : keys)
}

/** Room IDs that do not parse can match no room and are left out. */
function roomList(json: JsonObject, key: string): Result<RoomId[] | undefined, ServerError> {
  const value: JsonValue | undefined = json[key]
  if (value === undefined) return ok(undefined)
  if (!Array.isArray(value)) return invalid(`filter.${key} must be a list of room IDs`)
  const out: RoomId[] = []
  for (const entry of value as readonly JsonValue[]) {
    if (typeof entry !== 'string') return invalid(`filter.${key} must be a list of room IDs`)
    const roomId = parseRoomId(entry)
    if (roomId.ok) out.push(roomId.value)
  }
  return ok(out)
}

function parseEventContext(
  value: JsonValue | undefined,
): Result<EventContextRequest | undefined, ServerError> {
  if (value === undefined) return ok(undefined)
  if (!isJsonObject(value)) return bad('room_events.event_context must be an object')
  const before = contextLimit(value, 'before_limit')
  if (!before.ok) return before
  const after = contextLimit(value, 'after_limit')
  if (!after.ok) return after
  const profile = value['include_profile'] ?? false
  if (typeof profile !== 'boolean') {
    return bad('room_events.event_context.include_profile must be a boolean')
  }
  return ok({ beforeLimit: before.value, afterLimit: after.value, includeProfile: profile })
}

function contextLimit(json: JsonObject, key: string): Result<number, ServerError> {
  const value = json[key]
  if (value === undefined) return ok(DEFAULT_CONTEXT_LIMIT)
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    return invalid(`room_events.event_context.${key} must be a non-negative integer`)
  }
  return ok(Math.min(value, MAX_CONTEXT_LIMIT))
}

function parseGroupings(value: JsonValue | undefined): Result<readonly GroupKey[], ServerError> {
  if (value === undefined) return ok([])
  if (!isJsonObject(value)) return bad('room_events.groupings must be an object')
  const groups: JsonValue | undefined = value['group_by']
  if (groups === undefined) return ok([])
  if (!Array.isArray(groups)) return bad('room_events.groupings.group_by must be a list')
  const keys: GroupKey[] = []
  for (const group of groups as readonly JsonValue[]) {
    if (!isJsonObject(group)) return bad('room_events.groupings.group_by entries must be objects')
    const key = group['key']
    if (key !== 'room_id' && key !== 'sender') {
      return invalid('room_events.groupings.group_by keys must be room_id or sender')
    }
    if (!keys.includes(key)) keys.push(key)
  }
  return ok(keys)
}

function missing(field: string): Result<never, ServerError> {
  return err(serverError('M_MISSING_PARAM', `${field} is required`))
}

function bad(message: string): Result<never, ServerError> {
  return err(badJson(message))
}

function invalid(message: string): Result<never, ServerError> {
  return err(serverError('M_INVALID_PARAM', message))
}

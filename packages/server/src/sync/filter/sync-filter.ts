import {
  err,
  isJsonObject,
  ok,
  parseJson,
  parseRoomId,
  parseUserId,
  type JsonObject,
  type JsonValue,
  type Result,
  type RoomId,
  type UserId,
} from '@rhizome/core'
import { badJson, serverError, type ServerError } from '../../http/errors.js'
import { parseEventFieldPath, type EventFieldPath } from './event-fields.js'

/**
 * A filter (client-server-api §Filtering: Filter, RoomFilter, RoomEventFilter, EventFilter) as
 * typed values: the one parser for `/sync` filters (uploaded or inline) and for the
 * RoomEventFilter that `/messages`, `/context` and `/search` take. Every key of the spec is understood; keys it does not define are ignored, as a
 * newer client may send some. Absent lists keep their meaning ("no restriction") as `undefined`.
 */
export interface SyncFilter {
  /** Dot-separated paths, parsed; undefined: every field. */
  readonly eventFields: readonly EventFieldPath[] | undefined
  readonly eventFormat: 'client' | 'federation'
  readonly presence: EventFilterRules
  readonly accountData: EventFilterRules
  readonly room: RoomFilterRules
}

export interface EventFilterRules {
  /** The limit as asked, before defaults and caps apply. */
  readonly limit: number | undefined
  readonly types: readonly string[] | undefined
  readonly notTypes: readonly string[]
  readonly senders: readonly UserId[] | undefined
  readonly notSenders: readonly UserId[]
}

export interface RoomEventFilterRules extends EventFilterRules {
  readonly rooms: readonly RoomId[] | undefined
  readonly notRooms: readonly RoomId[]
  readonly containsUrl: boolean | undefined
  readonly lazyLoadMembers: boolean
  readonly includeRedundantMembers: boolean
  readonly unreadThreadNotifications: boolean
}

export interface RoomFilterRules {
  readonly rooms: readonly RoomId[] | undefined
  readonly notRooms: readonly RoomId[]
  readonly includeLeave: boolean
  readonly timeline: RoomEventFilterRules
  readonly state: RoomEventFilterRules
  readonly ephemeral: RoomEventFilterRules
  readonly accountData: RoomEventFilterRules
}

/** No more entries than this in any one list: a filter is a handful of names, not a database. */
export const MAX_FILTER_LIST = 1000
/** No more `event_fields` paths than this. */
export const MAX_EVENT_FIELDS = 100

const NO_EVENT_FILTER: EventFilterRules = {
  limit: undefined,
  types: undefined,
  notTypes: [],
  senders: undefined,
  notSenders: [],
}

/** The RoomEventFilter that filters nothing. */
export const NO_ROOM_EVENT_FILTER: RoomEventFilterRules = {
  ...NO_EVENT_FILTER,
  rooms: undefined,
  notRooms: [],
  containsUrl: undefined,
  lazyLoadMembers: false,
  includeRedundantMembers: false,
  unreadThreadNotifications: false,
}

/** The filter that filters nothing: what `/sync` uses without a `filter` parameter. */
export const DEFAULT_SYNC_FILTER: SyncFilter = {
  eventFields: undefined,
  eventFormat: 'client',
  presence: NO_EVENT_FILTER,
  accountData: NO_EVENT_FILTER,
  room: {
    rooms: undefined,
    notRooms: [],
    includeLeave: false,
    timeline: NO_ROOM_EVENT_FILTER,
    state: NO_ROOM_EVENT_FILTER,
    ephemeral: NO_ROOM_EVENT_FILTER,
    accountData: NO_ROOM_EVENT_FILTER,
  },
}

/** Checks a filter object; M_BAD_JSON names the first key that is wrong. */
export function parseSyncFilter(json: JsonObject): Result<SyncFilter, ServerError> {
  const problems = new Problems()
  const filter = readFilter(json, problems)
  return problems.first === undefined
    ? ok(filter)
    : err(badJson(`Invalid filter: ${problems.first}`))
}

/** Longest filter text accepted in a query string. */
export const MAX_FILTER_PARAM_LENGTH = 64 * 1024

/**
 * A RoomEventFilter on its own (the `filter` of `/messages`, `/context` and `/search`). The first
 * problem is reported with `errcode`: M_BAD_JSON in a request body, M_INVALID_PARAM in a query.
 */
export function parseRoomEventFilter(
  json: JsonObject,
  errcode: 'M_BAD_JSON' | 'M_INVALID_PARAM' = 'M_BAD_JSON',
): Result<RoomEventFilterRules, ServerError> {
  // Alone, the filter follows the spec's "greater than 0" for limit: a page or search of nothing
  // is a client's mistake, not a sync filter's way of saying "this section is not wanted".
  const problems = new Problems(1)
  const rules = readRoomEventFilter(json, 'filter', problems)
  return problems.first === undefined
    ? ok(rules)
    : err(serverError(errcode, `Invalid filter: ${problems.first}`))
}

/**
 * The `filter` query parameter of `/messages` and `/context`: JSON text of a RoomEventFilter,
 * absent or empty for none. Anything malformed is M_INVALID_PARAM.
 */
export function parseRoomEventFilterParam(
  raw: string | null,
): Result<RoomEventFilterRules, ServerError> {
  if (raw === null || raw === '') return ok(NO_ROOM_EVENT_FILTER)
  const invalid = (message: string): Result<never, ServerError> =>
    err(serverError('M_INVALID_PARAM', message))
  if (raw.length > MAX_FILTER_PARAM_LENGTH) return invalid('filter is too long')
  const json = parseJson(raw)
  if (!json.ok) return invalid(`filter is not valid JSON: ${json.error.error}`)
  if (!isJsonObject(json.value)) return invalid('filter must be a JSON object')
  return parseRoomEventFilter(json.value, 'M_INVALID_PARAM')
}

/**
 * Collects what is wrong while the readers go on with harmless stand-ins, so that reading never
 * throws and the first problem is the one reported.
 */
class Problems {
  first: string | undefined
  /** The smallest `limit` accepted. */
  readonly minLimit: number
  constructor(minLimit = 0) {
    this.minLimit = minLimit
  }
  add(problem: string): void {
    this.first ??= problem
  }
}

function readFilter(json: JsonObject, problems: Problems): SyncFilter {
  const fields = optionalList(json, 'event_fields', '', problems, (raw, path) => {
    const text = str(raw, path, problems)
    const parsed = text === undefined ? undefined : parseEventFieldPath(text)
    if (text !== undefined && parsed === undefined) problems.add(`${path} is not a field path`)
    return parsed
  })
  if (fields !== undefined && fields.length > MAX_EVENT_FIELDS) {
    problems.add(`event_fields has more than ${MAX_EVENT_FIELDS} entries`)
  }
  const format = json['event_format']
  if (format !== undefined && format !== 'client' && format !== 'federation') {
    problems.add('event_format must be "client" or "federation"')
  }
  const room = optionalObject(json, 'room', '', problems)
  const roomEvents = (key: string): RoomEventFilterRules =>
    readRoomEventFilter(optionalObject(room, key, 'room.', problems), `room.${key}`, problems)
  return {
    eventFields: fields,
    eventFormat: format === 'federation' ? 'federation' : 'client',
    presence: readEventFilter(optionalObject(json, 'presence', '', problems), 'presence', problems),
    accountData: readEventFilter(
      optionalObject(json, 'account_data', '', problems),
      'account_data',
      problems,
    ),
    room: {
      rooms: optionalList(room, 'rooms', 'room.', problems, roomId),
      notRooms: optionalList(room, 'not_rooms', 'room.', problems, roomId) ?? [],
      includeLeave: optionalBoolean(room, 'include_leave', 'room.', problems) ?? false,
      timeline: roomEvents('timeline'),
      state: roomEvents('state'),
      ephemeral: roomEvents('ephemeral'),
      accountData: roomEvents('account_data'),
    },
  }
}

function readEventFilter(
  json: JsonObject | undefined,
  path: string,
  problems: Problems,
): EventFilterRules {
  if (json === undefined) return NO_EVENT_FILTER
  const prefix = `${path}.`
  const limit = json['limit']
  // The spec asks for limit > 0, but clients send 0 to mean "nothing" and other servers honour
  // it, so 0 is accepted; negative and fractional limits are not.
  const { minLimit } = problems
  const validLimit = typeof limit === 'number' && Number.isSafeInteger(limit) && limit >= minLimit
  if (limit !== undefined && !validLimit) {
    problems.add(`${prefix}limit must be a whole number >= ${minLimit}`)
  }
  return {
    limit: validLimit ? limit : undefined,
    types: optionalList(json, 'types', prefix, problems, str),
    notTypes: optionalList(json, 'not_types', prefix, problems, str) ?? [],
    senders: optionalList(json, 'senders', prefix, problems, userId),
    notSenders: optionalList(json, 'not_senders', prefix, problems, userId) ?? [],
  }
}

function readRoomEventFilter(
  json: JsonObject | undefined,
  path: string,
  problems: Problems,
): RoomEventFilterRules {
  if (json === undefined) return NO_ROOM_EVENT_FILTER
  const prefix = `${path}.`
  const flag = (key: string): boolean | undefined => optionalBoolean(json, key, prefix, problems)
  return {
    ...readEventFilter(json, path, problems),
    rooms: optionalList(json, 'rooms', prefix, problems, roomId),
    notRooms: optionalList(json, 'not_rooms', prefix, problems, roomId) ?? [],
    containsUrl: flag('contains_url'),
    lazyLoadMembers: flag('lazy_load_members') ?? false,
    includeRedundantMembers: flag('include_redundant_members') ?? false,
    unreadThreadNotifications: flag('unread_thread_notifications') ?? false,
  }
}

function optionalObject(
  json: JsonObject | undefined,
  key: string,
  prefix: string,
  problems: Problems,
): JsonObject | undefined {
  const value = json?.[key]
  if (value === undefined) return undefined
  if (isJsonObject(value)) return value
  problems.add(`${prefix}${key} must be an object`)
  return undefined
}

function optionalBoolean(
  json: JsonObject | undefined,
  key: string,
  prefix: string,
  problems: Problems,
): boolean | undefined {
  const value = json?.[key]
  if (value === undefined || typeof value === 'boolean') return value
  problems.add(`${prefix}${key} must be a boolean`)
  return undefined
}

/** A list whose items all parsed: an item that did not drops out (its problem is recorded). */
function optionalList<T>(
  json: JsonObject | undefined,
  key: string,
  prefix: string,
  problems: Problems,
  item: (raw: JsonValue, path: string, problems: Problems) => T | undefined,
): T[] | undefined {
  const value = json?.[key]
  if (value === undefined) return undefined
  const path = `${prefix}${key}`
  if (!Array.isArray(value)) {
    problems.add(`${path} must be an array`)
    return undefined
  }
  const list = value as readonly JsonValue[]
  if (list.length > MAX_FILTER_LIST) {
    problems.add(`${path} has more than ${MAX_FILTER_LIST} entries`)
    return undefined
  }
  const out: T[] = []
  for (const [i, raw] of list.entries()) {
    const parsed = item(raw, `${path}[${i}]`, problems)
    if (parsed !== undefined) out.push(parsed)
  }
  return out
}

function str(raw: JsonValue, path: string, problems: Problems): string | undefined {
  if (typeof raw === 'string') return raw
  problems.add(`${path} must be a string`)
  return undefined
}

function userId(raw: JsonValue, path: string, problems: Problems): UserId | undefined {
  const text = str(raw, path, problems)
  if (text === undefined) return undefined
  const parsed = parseUserId(text)
  if (parsed.ok) return parsed.value
  problems.add(`${path} is not a user ID`)
  return undefined
}

function roomId(raw: JsonValue, path: string, problems: Problems): RoomId | undefined {
  const text = str(raw, path, problems)
  if (text === undefined) return undefined
  const parsed = parseRoomId(text)
  if (parsed.ok) return parsed.value
  problems.add(`${path} is not a room ID`)
  return undefined
}

/**
 * `m.room.power_levels` (client-server-api §m.room.power_levels): parsing, defaults and the levels
 * that the auth rules and the client API ask for.
 *
 * Defaults are the same with and without a power-levels event (ban, kick, redact and
 * state_default 50; invite, events_default and users_default 0; notifications.room 50). What
 * differs is the level of users: without the event, the room creator has 100 and everyone else 0
 * (v1-v11); from v12 creators have infinite power with or without it.
 */
import { invalidParam } from '../errors/matrix-error.js'
import { err, ok } from '../errors/result.js'
import type { Result } from '../errors/result.js'
import type { Pdu } from '../events/pdu.js'
import type { ReadonlyStateMap } from '../events/state-map.js'
import { parseUserId } from '../ids/user-id.js'
import type { UserId } from '../ids/types.js'
import { isJsonObject } from '../json/json.js'
import type { JsonObject } from '../json/json.js'
import type { RoomVersionRules } from '../room-versions/rules.js'
import { creators } from './creators.js'
import { parsePowerLevelValue, powerLevelFormat } from './power-level-value.js'
import type { PowerLevelFormat } from './power-level-value.js'

/** The top-level integer properties, in the order the auth rules list them. */
export const POWER_LEVEL_NAMES = [
  'users_default',
  'events_default',
  'state_default',
  'ban',
  'redact',
  'kick',
  'invite',
] as const

export type PowerLevelName = (typeof POWER_LEVEL_NAMES)[number]

export const DEFAULT_POWER_LEVELS: Readonly<Record<PowerLevelName, number>> = {
  users_default: 0,
  events_default: 0,
  state_default: 50,
  ban: 50,
  redact: 50,
  kick: 50,
  invite: 0,
}

/** Notification keys with a default level; other keys have none. */
export const DEFAULT_NOTIFICATION_POWER_LEVELS: ReadonlyMap<string, number> = new Map([
  ['room', 50],
])

/** The level a user without power levels event gets when they created the room (v1-v11). */
export const CREATOR_POWER_LEVEL_WITHOUT_EVENT = 100

/**
 * The content of an `m.room.power_levels` event as numbers. Only what the event sets is here, so
 * the auth rules can tell an added or removed property from one set to its default; the functions
 * below apply the defaults.
 */
export interface PowerLevels {
  readonly levels: Readonly<Partial<Record<PowerLevelName, number>>>
  readonly events: ReadonlyMap<string, number>
  readonly notifications: ReadonlyMap<string, number>
  /** Keyed by user ID; keys that are not valid user IDs are left out. */
  readonly users: ReadonlyMap<string, number>
}

/**
 * A reading of power-levels content: every valid value, plus what was wrong with each part. The
 * auth rules of each room version decide which problems reject an event.
 */
export interface PowerLevelsReading {
  readonly powerLevels: PowerLevels
  /** A top-level level that is present but not a power level in this room version. */
  readonly levelsProblem: string | undefined
  readonly eventsProblem: string | undefined
  readonly notificationsProblem: string | undefined
  readonly usersProblem: string | undefined
}

// Power-levels content is read on every auth check, and the same event is the room's power levels
// for many events in a row: each content object is read once per number format and remembered.
const READINGS: Record<PowerLevelFormat, WeakMap<JsonObject, PowerLevelsReading>> = {
  'integers-strings-floats': new WeakMap(),
  'integers-strings': new WeakMap(),
  integers: new WeakMap(),
}

/**
 * Reads power-levels content leniently: a property that is not a valid power level is left out
 * (and so takes its default) and reported in the matching `…Problem`. Never fails.
 */
export function readPowerLevels(content: JsonObject, rules: RoomVersionRules): PowerLevelsReading {
  const format = powerLevelFormat(rules)
  const cache = READINGS[format]
  let reading = cache.get(content)
  if (reading === undefined) {
    reading = computeReading(content, format)
    cache.set(content, reading)
  }
  return reading
}

/**
 * Parses power-levels content strictly, as a server must before it sends a new power-levels event:
 * every property present must be a valid power level of this room version.
 */
export function parsePowerLevels(
  content: JsonObject,
  rules: RoomVersionRules,
): Result<PowerLevels> {
  const reading = readPowerLevels(content, rules)
  const problem =
    reading.levelsProblem ??
    reading.eventsProblem ??
    reading.notificationsProblem ??
    reading.usersProblem
  return problem === undefined ? ok(reading.powerLevels) : err(invalidParam(problem))
}

/** The room's power levels in `state`, or undefined when it has no power-levels event. */
export function powerLevelsFromState(
  state: ReadonlyStateMap<Pdu>,
  rules: RoomVersionRules,
): PowerLevels | undefined {
  const event = state.get('m.room.power_levels', '')
  return event === undefined ? undefined : readPowerLevels(event.content, rules).powerLevels
}

/** A top-level level (`ban`, `kick`, `invite`, ...), with its default when unset. */
export function namedPowerLevel(
  powerLevels: PowerLevels | undefined,
  name: PowerLevelName,
): number {
  return powerLevels?.levels[name] ?? DEFAULT_POWER_LEVELS[name]
}

/**
 * The level needed to send an event of `eventType`: its entry in `events`, else `state_default`
 * for state events and `events_default` for the rest.
 */
export function requiredPowerLevel(
  powerLevels: PowerLevels | undefined,
  eventType: string,
  isState: boolean,
): number {
  const explicit = powerLevels?.events.get(eventType)
  if (explicit !== undefined) return explicit
  return namedPowerLevel(powerLevels, isState ? 'state_default' : 'events_default')
}

/**
 * The level needed to trigger the notification `key` (for example `room` for `@room`), or
 * undefined when the key is neither set nor has a default.
 */
export function notificationPowerLevel(
  powerLevels: PowerLevels | undefined,
  key: string,
): number | undefined {
  return powerLevels?.notifications.get(key) ?? DEFAULT_NOTIFICATION_POWER_LEVELS.get(key)
}

/**
 * A user's power level, from the room's power levels (undefined when there is no power-levels
 * event) and its creators ({@link creators}). From v12 creators have infinite power; before, the
 * creator has 100 only while the room has no power-levels event.
 */
export function powerLevelOfUser(
  userId: string,
  powerLevels: PowerLevels | undefined,
  roomCreators: ReadonlySet<string>,
  rules: RoomVersionRules,
): number {
  if (rules.auth.privilegedCreators) {
    if (roomCreators.has(userId)) return Infinity
  } else if (powerLevels === undefined && roomCreators.has(userId)) {
    return CREATOR_POWER_LEVEL_WITHOUT_EVENT
  }
  if (powerLevels === undefined) return 0
  return powerLevels.users.get(userId) ?? namedPowerLevel(powerLevels, 'users_default')
}

/** A user's power level in a room whose state is `state` (which should hold the create event). */
export function userPowerLevel(
  userId: string,
  state: ReadonlyStateMap<Pdu>,
  rules: RoomVersionRules,
): number {
  const create = state.get('m.room.create', '')
  const roomCreators: ReadonlySet<UserId> =
    create === undefined ? NO_CREATORS : creators(create, rules)
  return powerLevelOfUser(userId, powerLevelsFromState(state, rules), roomCreators, rules)
}

const NO_CREATORS: ReadonlySet<UserId> = new Set()

function computeReading(content: JsonObject, format: PowerLevelFormat): PowerLevelsReading {
  const levels: Partial<Record<PowerLevelName, number>> = {}
  let levelsProblem: string | undefined
  for (const name of POWER_LEVEL_NAMES) {
    if (!Object.hasOwn(content, name)) continue
    const value = parsePowerLevelValue(content[name], format)
    if (value === undefined) levelsProblem ??= `content.${name} ${notALevel(format)}`
    else levels[name] = value
  }
  const events = readLevelMap(content, 'events', format, false)
  const notifications = readLevelMap(content, 'notifications', format, false)
  const users = readLevelMap(content, 'users', format, true)
  return {
    powerLevels: {
      levels,
      events: events.map,
      notifications: notifications.map,
      users: users.map,
    },
    levelsProblem,
    eventsProblem: events.problem,
    notificationsProblem: notifications.problem,
    usersProblem: users.problem,
  }
}

const EMPTY_MAP: ReadonlyMap<string, number> = new Map()

function readLevelMap(
  content: JsonObject,
  property: 'events' | 'notifications' | 'users',
  format: PowerLevelFormat,
  keysAreUserIds: boolean,
): { map: ReadonlyMap<string, number>; problem: string | undefined } {
  if (!Object.hasOwn(content, property)) return { map: EMPTY_MAP, problem: undefined }
  const raw = content[property]
  if (!isJsonObject(raw)) return { map: EMPTY_MAP, problem: `content.${property} is not an object` }
  const map = new Map<string, number>()
  let problem: string | undefined
  for (const key of Object.keys(raw)) {
    if (keysAreUserIds && !parseUserId(key).ok) {
      problem ??= `content.${property} has a key that is not a valid user ID`
      continue
    }
    const value = parsePowerLevelValue(raw[key], format)
    if (value === undefined) problem ??= `a value in content.${property} ${notALevel(format)}`
    else map.set(key, value)
  }
  return { map, problem }
}

function notALevel(format: PowerLevelFormat): string {
  switch (format) {
    case 'integers':
      return 'is not an integer'
    case 'integers-strings':
      return 'is not an integer or a string holding one'
    case 'integers-strings-floats':
      return 'is not a number or a string holding an integer'
  }
}

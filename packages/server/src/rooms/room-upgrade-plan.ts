/**
 * What upgrading a room (client-server-api §Room Upgrades, server behaviour) makes of the old
 * room's state: the new room's create content and the events after it, and the power levels
 * that quieten the old room. Pure: room-upgrade.ts reads the state and sends what this plans.
 *
 * The state copied is the spec's recommended list plus the canonical alias (whose aliases move
 * with the room) and, for a space, its children; membership is not copied, except bans, which
 * keep out of the new room whoever was kept out of the old one (as Synapse does).
 */
import {
  isJsonObject,
  POWER_LEVEL_NAMES,
  readPowerLevels,
  type EventId,
  type JsonObject,
  type JsonValue,
  type Pdu,
  type RoomId,
  type RoomVersionRules,
  type UserId,
} from '@rhizome/core'
import { ensureTombstoneLevel } from './create-room-plan.js'
import type { EventTemplate } from './event-pipeline.js'

/** Copied in this order, right after the power levels. */
const COPIED_TYPES: readonly string[] = [
  'm.room.join_rules',
  'm.room.history_visibility',
  'm.room.guest_access',
  'm.room.name',
  'm.room.topic',
  'm.room.avatar',
  'm.room.encryption',
  'm.room.server_acl',
  'm.room.canonical_alias',
]

/** The old room's state types the plan reads. */
export const UPGRADE_STATE_TYPES: readonly string[] = [
  'm.room.create',
  'm.room.power_levels',
  'm.room.member',
  'm.space.child',
  ...COPIED_TYPES,
]

/** Messages and invites in the old room need at least this (or users_default + 1). */
const QUIETENED_LEVEL = 50

export interface UpgradeSource {
  readonly upgrader: UserId
  readonly oldRoomId: RoomId
  readonly oldRules: RoomVersionRules
  /** The old room's current state events of UPGRADE_STATE_TYPES. */
  readonly state: readonly (Pdu & { readonly stateKey: string })[]
  /** The latest event of the old room, for `predecessor.event_id` where the version keeps it. */
  readonly lastEventId: EventId | undefined
}

export interface UpgradePlan {
  readonly createContent: JsonObject
  /**
   * After the create event: the upgrader's join, the power levels (the upgrader raised to what
   * copying needs), the copied state, the bans, and the power levels as they were.
   */
  readonly events: readonly EventTemplate[]
}

export function planUpgrade(
  source: UpgradeSource,
  rules: RoomVersionRules,
  additionalCreators: readonly UserId[],
): UpgradePlan {
  const { upgrader } = source
  const stateOf = (type: string, stateKey = ''): Pdu | undefined =>
    source.state.find((e) => e.type === type && e.stateKey === stateKey)
  const oldCreate = stateOf('m.room.create')?.content ?? {}

  const createContent: Record<string, JsonValue> = { room_version: rules.id }
  if (rules.auth.createEventHasCreator) createContent['creator'] = upgrader
  // The predecessor's `event_id` is deprecated and MAY be left out from v12 (client-server-api
  // §Room Upgrades step 2), whose room IDs are the create event's hash: the tombstone, which
  // names the new room, cannot exist before it.
  createContent['predecessor'] =
    rules.eventFormat.roomIdIsCreateEventHash || source.lastEventId === undefined
      ? { room_id: source.oldRoomId }
      : { room_id: source.oldRoomId, event_id: source.lastEventId }
  const roomType = oldCreate['type']
  if (typeof roomType === 'string') createContent['type'] = roomType
  if (oldCreate['m.federate'] === false) createContent['m.federate'] = false
  const creators = new Set<string>([upgrader])
  if (rules.auth.privilegedCreators) {
    const additional = [...new Set(additionalCreators)].filter((user) => user !== upgrader)
    for (const user of additional) creators.add(user)
    if (additional.length > 0) createContent['additional_creators'] = additional
  }

  const events: EventTemplate[] = []
  const state = (type: string, content: JsonObject, stateKey = ''): void => {
    events.push({ type, stateKey, sender: upgrader, content })
  }
  state('m.room.member', { membership: 'join' }, upgrader)

  const oldPowerLevels = stateOf('m.room.power_levels')
  const original =
    oldPowerLevels === undefined
      ? undefined
      : portablePowerLevels(oldPowerLevels.content, source.oldRules)
  let upgraderLevel = Infinity
  let raisedUpgrader = false
  if (original !== undefined) {
    if (rules.auth.privilegedCreators) {
      // v12 creators have infinite power and must not be listed (rooms/v12 auth rules).
      original['users'] = Object.fromEntries(
        Object.entries(usersOf(original)).filter(([user]) => !creators.has(user)),
      )
      ensureTombstoneLevel(original)
    }
    const raised = withUpgraderRaised(original, upgrader, rules)
    upgraderLevel = raised.level
    raisedUpgrader = raised.raised
    state('m.room.power_levels', raised.content)
  }

  for (const type of COPIED_TYPES) {
    const event = stateOf(type)
    if (event !== undefined) state(type, event.content)
  }
  if (roomType === 'm.space') {
    const children = source.state
      .filter((e) => e.type === 'm.space.child' && Object.keys(e.content).length > 0)
      .sort((a, b) => (a.stateKey < b.stateKey ? -1 : a.stateKey > b.stateKey ? 1 : 0))
    for (const child of children) state('m.space.child', child.content, child.stateKey)
  }

  for (const member of source.state) {
    if (member.type !== 'm.room.member' || member.content['membership'] !== 'ban') continue
    // A ban the new room's auth rules would refuse (of someone as powerful as the upgrader, or a
    // creator) is left out rather than failing the upgrade.
    if (creators.has(member.stateKey)) continue
    if (original !== undefined && levelIn(original, member.stateKey) >= upgraderLevel) continue
    const reason = member.content['reason']
    state(
      'm.room.member',
      typeof reason === 'string' ? { membership: 'ban', reason } : { membership: 'ban' },
      member.stateKey,
    )
  }

  if (original !== undefined && raisedUpgrader) {
    state('m.room.power_levels', original)
  }
  return { createContent, events }
}

/**
 * The old room's power levels with messages and invites limited to moderators (client-server-api
 * §Room Upgrades step 6: the greater of 50 and users_default + 1), or undefined when they are
 * limited already.
 */
export function quietenedPowerLevels(
  content: JsonObject,
  rules: RoomVersionRules,
): JsonObject | undefined {
  const { levels } = readPowerLevels(content, rules).powerLevels
  const restricted = Math.max(QUIETENED_LEVEL, (levels.users_default ?? 0) + 1)
  const out: Record<string, JsonValue> = { ...content }
  let changed = false
  for (const name of ['events_default', 'invite'] as const) {
    if ((levels[name] ?? 0) < restricted) {
      out[name] = restricted
      changed = true
    }
  }
  return changed ? out : undefined
}

/**
 * Power-levels content that every room version accepts: the numbers as integers (strings and
 * floats were allowed before v10), entries that are not power levels left out, other keys kept.
 */
export function portablePowerLevels(
  content: JsonObject,
  rules: RoomVersionRules,
): Record<string, JsonValue> {
  const { powerLevels } = readPowerLevels(content, rules)
  const out: Record<string, JsonValue> = {}
  for (const [key, value] of Object.entries(content)) {
    if (!(POWER_LEVEL_NAMES as readonly string[]).includes(key) && !MAPS.includes(key)) {
      out[key] = value
    }
  }
  for (const name of POWER_LEVEL_NAMES) {
    const level = powerLevels.levels[name]
    if (level !== undefined && Number.isSafeInteger(level)) out[name] = level
  }
  const map = (entries: ReadonlyMap<string, number>): JsonObject =>
    Object.fromEntries([...entries].filter(([, level]) => Number.isSafeInteger(level)))
  if (Object.hasOwn(content, 'events')) out['events'] = map(powerLevels.events)
  if (Object.hasOwn(content, 'notifications')) {
    out['notifications'] = map(powerLevels.notifications)
  }
  if (Object.hasOwn(content, 'users')) out['users'] = map(powerLevels.users)
  return out
}

const MAPS: readonly string[] = ['events', 'notifications', 'users']

/**
 * The power levels with the upgrader raised, where their power is finite, to the most that any
 * state event or a ban needs, so that they can copy everything (Synapse's rule); their own
 * level is put back once the state is copied.
 */
function withUpgraderRaised(
  content: Record<string, JsonValue>,
  upgrader: UserId,
  rules: RoomVersionRules,
): { content: JsonObject; level: number; raised: boolean } {
  if (rules.auth.privilegedCreators) return { content, level: Infinity, raised: false }
  const stateDefault = numberAt(content, 'state_default') ?? 50
  const ban = numberAt(content, 'ban') ?? 50
  const events = isJsonObject(content['events']) ? Object.values(content['events']) : []
  const needed = Math.max(
    stateDefault,
    ban,
    ...events.filter((level): level is number => typeof level === 'number'),
  )
  const current = levelIn(content, upgrader)
  if (current >= needed) return { content, level: current, raised: false }
  return {
    content: { ...content, users: { ...usersOf(content), [upgrader]: needed } },
    level: needed,
    raised: true,
  }
}

function levelIn(content: JsonObject, user: string): number {
  const listed = usersOf(content)[user]
  return typeof listed === 'number' ? listed : (numberAt(content, 'users_default') ?? 0)
}

function usersOf(content: JsonObject): Record<string, JsonValue> {
  const users = content['users']
  return isJsonObject(users) ? { ...users } : {}
}

function numberAt(content: JsonObject, key: string): number | undefined {
  const value = content[key]
  return typeof value === 'number' ? value : undefined
}

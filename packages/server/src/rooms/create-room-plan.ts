/**
 * What a `POST /createRoom` request turns into: the content of the `m.room.create` event and the
 * events after it, in the order of client-server-api §Creation (create, the creator's join, power
 * levels, canonical alias, the preset's events, `initial_state`, name, topic, invites). Pure: the
 * event pipeline builds, authorizes and stores what this plans.
 */
import {
  isJsonObject,
  type JsonObject,
  type JsonValue,
  type RoomAlias,
  type RoomVersionRules,
  type UserId,
} from '@rhizome/core'
import type { EventTemplate } from './event-pipeline.js'

export type RoomPreset = 'private_chat' | 'trusted_private_chat' | 'public_chat'

export interface InitialStateEvent {
  readonly type: string
  readonly stateKey: string
  readonly content: JsonObject
}

/** A parsed createRoom request body. */
export interface CreateRoomRequest {
  readonly visibility: 'public' | 'private'
  readonly roomAliasName?: string
  readonly name?: string
  readonly topic?: string
  readonly invite: readonly UserId[]
  readonly roomVersion?: string
  readonly creationContent?: JsonObject
  readonly initialState: readonly InitialStateEvent[]
  readonly preset?: RoomPreset
  readonly isDirect: boolean
  readonly powerLevelContentOverride?: JsonObject
}

export interface RoomPlan {
  readonly createContent: JsonObject
  readonly events: readonly EventTemplate[]
}

export interface PresetState {
  readonly joinRule: string
  readonly historyVisibility: string
  readonly guestAccess: string
  /** The level needed to invite (Synapse's presets, which clients have come to expect). */
  readonly invite: number
  /** trusted_private_chat: invitees get the creator's power. */
  readonly inviteesAreCreators: boolean
}

export const PRESETS: Readonly<Record<RoomPreset, PresetState>> = {
  private_chat: {
    joinRule: 'invite',
    historyVisibility: 'shared',
    guestAccess: 'can_join',
    invite: 0,
    inviteesAreCreators: false,
  },
  trusted_private_chat: {
    joinRule: 'invite',
    historyVisibility: 'shared',
    guestAccess: 'can_join',
    invite: 0,
    inviteesAreCreators: true,
  },
  public_chat: {
    joinRule: 'public',
    historyVisibility: 'shared',
    guestAccess: 'forbidden',
    invite: 50,
    inviteesAreCreators: false,
  },
}

/** The level of the room creator where levels are finite (v1-v11). */
const CREATOR_LEVEL = 100
/** v12: upgrading a room takes more than changing its state. */
const TOMBSTONE_LEVEL = 150

/** The preset that applies: the requested one, else the one `visibility` implies. */
export function effectivePreset(request: CreateRoomRequest): RoomPreset {
  return request.preset ?? (request.visibility === 'public' ? 'public_chat' : 'private_chat')
}

export function planRoom(
  request: CreateRoomRequest,
  creator: UserId,
  rules: RoomVersionRules,
  canonicalAlias?: RoomAlias,
): RoomPlan {
  const preset = PRESETS[effectivePreset(request)]
  const privileged = rules.auth.privilegedCreators
  const invitees = dedupe(request.invite.filter((user) => user !== creator))

  const createContent: Record<string, JsonValue> = { ...request.creationContent }
  delete createContent['creator']
  if (rules.auth.createEventHasCreator) createContent['creator'] = creator
  createContent['room_version'] = rules.id
  if (privileged) {
    const listed = createContent['additional_creators']
    // A malformed list is left as it is, for the auth rules to refuse.
    if (listed === undefined || Array.isArray(listed)) {
      const additional: JsonValue[] = []
      const add = (entry: JsonValue): void => {
        if (entry !== creator && !additional.includes(entry)) additional.push(entry)
      }
      for (const entry of (listed ?? []) as readonly JsonValue[]) add(entry)
      if (preset.inviteesAreCreators) for (const user of invitees) add(user)
      if (additional.length > 0) createContent['additional_creators'] = additional
    }
  }

  // initial_state wins over the preset and loses to `name` and `topic`, so an event it holds is
  // sent only once, by whichever wins; a power-levels event in it replaces the default content.
  let initialState = request.initialState
  const initialPowerLevels = initialState.find(
    (e) => e.type === 'm.room.power_levels' && e.stateKey === '',
  )
  initialState = initialState.filter(
    (e) =>
      e.stateKey !== '' ||
      (e.type !== 'm.room.power_levels' &&
        !(e.type === 'm.room.name' && request.name !== undefined) &&
        !(e.type === 'm.room.topic' && request.topic !== undefined)),
  )
  const inInitialState = (type: string): boolean =>
    initialState.some((e) => e.type === type && e.stateKey === '')

  const events: EventTemplate[] = []
  const state = (type: string, content: JsonObject, stateKey = ''): void => {
    events.push({ type, stateKey, sender: creator, content })
  }

  state('m.room.member', { membership: 'join' }, creator)

  const powerLevels: Record<string, JsonValue> = {
    ...(initialPowerLevels?.content ??
      defaultPowerLevels(creator, preset, privileged, preset.inviteesAreCreators ? invitees : [])),
    ...request.powerLevelContentOverride,
  }
  if (privileged) ensureTombstoneLevel(powerLevels)
  state('m.room.power_levels', powerLevels)

  if (canonicalAlias !== undefined) state('m.room.canonical_alias', { alias: canonicalAlias })

  if (!inInitialState('m.room.join_rules')) {
    state('m.room.join_rules', { join_rule: preset.joinRule })
  }
  if (!inInitialState('m.room.history_visibility')) {
    state('m.room.history_visibility', { history_visibility: preset.historyVisibility })
  }
  if (!inInitialState('m.room.guest_access')) {
    state('m.room.guest_access', { guest_access: preset.guestAccess })
  }

  for (const event of initialState) state(event.type, event.content, event.stateKey)

  if (request.name !== undefined) state('m.room.name', { name: request.name })
  if (request.topic !== undefined) {
    state('m.room.topic', {
      topic: request.topic,
      'm.topic': { 'm.text': [{ mimetype: 'text/plain', body: request.topic }] },
    })
  }

  for (const user of invitees) {
    state(
      'm.room.member',
      request.isDirect ? { membership: 'invite', is_direct: true } : { membership: 'invite' },
      user,
    )
  }
  return { createContent, events }
}

/**
 * The power levels a new room starts with. Finite-power versions list the creator (and, for
 * trusted_private_chat, the invitees) at 100; from v12 creators have infinite power and must not
 * be listed, and changing `m.room.tombstone` (upgrading the room) needs more than `state_default`
 * (client-server-api §Creation step 3).
 */
export function defaultPowerLevels(
  creator: UserId,
  preset: PresetState,
  privilegedCreators: boolean,
  trustedInvitees: readonly UserId[],
): JsonObject {
  const users: Record<string, JsonValue> = {}
  if (!privilegedCreators) {
    users[creator] = CREATOR_LEVEL
    for (const user of trustedInvitees) users[user] = CREATOR_LEVEL
  }
  return {
    users,
    users_default: 0,
    events: {
      'm.room.name': 50,
      'm.room.power_levels': 100,
      'm.room.history_visibility': 100,
      'm.room.canonical_alias': 50,
      'm.room.avatar': 50,
      'm.room.tombstone': privilegedCreators ? TOMBSTONE_LEVEL : 100,
      'm.room.server_acl': 100,
      'm.room.encryption': 100,
    },
    events_default: 0,
    state_default: 50,
    ban: 50,
    kick: 50,
    redact: 50,
    invite: preset.invite,
  }
}

/**
 * From v12 the tombstone level MUST be set explicitly and above `state_default` (client-server-api
 * §Creation step 3). An override or initial state that replaces `events` without it gets one; a
 * level the client set itself is theirs to choose.
 */
export function ensureTombstoneLevel(powerLevels: Record<string, JsonValue>): void {
  const events = powerLevels['events']
  if (events !== undefined && !isJsonObject(events)) return
  if (events !== undefined && Object.hasOwn(events, 'm.room.tombstone')) return
  const stateDefault = powerLevels['state_default']
  const level =
    typeof stateDefault === 'number' && Number.isSafeInteger(stateDefault)
      ? Math.max(TOMBSTONE_LEVEL, stateDefault + 1)
      : TOMBSTONE_LEVEL
  powerLevels['events'] = { ...events, 'm.room.tombstone': level }
}

function dedupe<T>(items: readonly T[]): T[] {
  return [...new Set(items)]
}

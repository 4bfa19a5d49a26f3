/**
 * What push evaluation needs of a room: its joined members, its power levels and its members'
 * display names, all from the room's current state. They are read once per state change: the
 * cache entry of a room is keyed by its current state group, which any state change (in any
 * process) replaces, so one indexed read per room and batch tells whether the entry still holds.
 */
import {
  creators,
  notificationPowerLevel,
  powerLevelOfUser,
  powerLevelsFromState,
  roomVersionRules,
  StateMap,
  type Pdu,
  type PowerLevels,
  type RoomId,
  type RoomVersionRules,
  type UserId,
} from '@rhizome/core'
import type { Storage } from '../storage/interface.js'

/** Rooms whose context is kept; the least recently used go first. */
export const ROOM_CONTEXT_CACHE_SIZE = 1000

export class RoomPushContext {
  readonly roomId: RoomId
  readonly stateGroup: number
  readonly members: readonly UserId[]
  readonly #powerLevels: PowerLevels | undefined
  readonly #creators: ReadonlySet<UserId>
  readonly #rules: RoomVersionRules
  readonly #displayNames = new Map<UserId, string | undefined>()

  constructor(init: {
    roomId: RoomId
    stateGroup: number
    members: readonly UserId[]
    powerLevels: PowerLevels | undefined
    creators: ReadonlySet<UserId>
    rules: RoomVersionRules
  }) {
    this.roomId = init.roomId
    this.stateGroup = init.stateGroup
    this.members = init.members
    this.#powerLevels = init.powerLevels
    this.#creators = init.creators
    this.#rules = init.rules
  }

  get memberCount(): number {
    return this.members.length
  }

  powerLevel(userId: UserId): number {
    return powerLevelOfUser(userId, this.#powerLevels, this.#creators, this.#rules)
  }

  notificationPowerLevel(key: string): number | undefined {
    return notificationPowerLevel(this.#powerLevels, key)
  }

  /** Display names read so far (see RoomPushContexts.loadDisplayNames). */
  displayName(userId: UserId): string | undefined {
    return this.#displayNames.get(userId)
  }

  hasDisplayName(userId: UserId): boolean {
    return this.#displayNames.has(userId)
  }

  setDisplayName(userId: UserId, name: string | undefined): void {
    this.#displayNames.set(userId, name)
  }
}

export class RoomPushContexts {
  readonly #storage: Storage
  readonly #cache = new Map<RoomId, RoomPushContext>()

  constructor(storage: Storage) {
    this.#storage = storage
  }

  /** The room's context as of its current state; undefined for an unknown room. */
  async forRoom(roomId: RoomId): Promise<RoomPushContext | undefined> {
    const storage = this.#storage
    const room = await storage.rooms.getRoom(roomId)
    if (room?.currentStateGroup === undefined) return undefined
    const cached = this.#cache.get(roomId)
    if (cached !== undefined && cached.stateGroup === room.currentStateGroup) {
      // Most recently used last.
      this.#cache.delete(roomId)
      this.#cache.set(roomId, cached)
      return cached
    }
    const rules = roomVersionRules(room.version)
    if (rules === undefined) return undefined
    const [members, stateEvents] = await Promise.all([
      storage.rooms.joinedMembers(roomId),
      storage.rooms.getCurrentStateEvents(roomId, ['m.room.create', 'm.room.power_levels']),
    ])
    const state = new StateMap<Pdu>()
    for (const event of stateEvents) state.set(event.pdu.type, event.pdu.stateKey ?? '', event.pdu)
    const create = state.get('m.room.create', '')
    const context = new RoomPushContext({
      roomId,
      stateGroup: room.currentStateGroup,
      members,
      powerLevels: powerLevelsFromState(state, rules),
      creators: create === undefined ? new Set() : creators(create, rules),
      rules,
    })
    this.#cache.delete(roomId)
    this.#cache.set(roomId, context)
    if (this.#cache.size > ROOM_CONTEXT_CACHE_SIZE) {
      const oldest = this.#cache.keys().next()
      if (oldest.done !== true) this.#cache.delete(oldest.value)
    }
    return context
  }

  /** Reads the display names of `userIds` not read yet (only rules that name them need them). */
  async loadDisplayNames(context: RoomPushContext, userIds: readonly UserId[]): Promise<void> {
    const missing = userIds.filter((userId) => !context.hasDisplayName(userId))
    await Promise.all(
      missing.map(async (userId) => {
        const member = await this.#storage.rooms.getCurrentStateEvent(
          context.roomId,
          'm.room.member',
          userId,
        )
        const name = member?.pdu.content['displayname']
        context.setDisplayName(userId, typeof name === 'string' && name !== '' ? name : undefined)
      }),
    )
  }
}

/**
 * Rooms for auth-rule tests: a create event, the creator's join, power levels, join rules and a
 * few members, built for any room version, plus helpers to add events and take the state.
 *
 * Cast of users (each on their own server, so domain rules can be tested):
 * - ALICE created the room (power 100 in v1-v11; a creator with infinite power in v12);
 * - BOB is a moderator (50); CAROL is a member (0); DAVE and ERIN are not in the room.
 */
import type { Pdu } from '../events/pdu.js'
import { StateMap } from '../events/state-map.js'
import { isJsonObject } from '../json/json.js'
import type { JsonObject, JsonValue } from '../json/json.js'
import type { RoomVersionRules } from '../room-versions/rules.js'
import { pdu } from './pdu-fixtures.js'

export const ALICE = '@alice:a.example'
export const BOB = '@bob:b.example'
export const CAROL = '@carol:c.example'
export const DAVE = '@dave:d.example'
export const ERIN = '@erin:e.example'

export interface RoomOptions {
  /** The join rule; null for a room without a join-rules event. Default `public`. */
  readonly joinRule?: string | null
  /** Merged over the standard power levels (`users` merged too); null for no power-levels event. */
  readonly powerLevels?: JsonObject | null
  /** Extra content for the create event. */
  readonly createContent?: JsonObject
  /** Memberships beyond Alice, Bob and Carol (joined), or replacing theirs. */
  readonly memberships?: Readonly<Record<string, string>>
  /** Extra content merged into the join-rules event (e.g. `allow`). */
  readonly joinRulesContent?: JsonObject
}

export interface EventSpec {
  readonly type: string
  readonly sender: string
  readonly stateKey?: string
  readonly content?: JsonObject
  readonly prev?: readonly string[]
  readonly id?: string
  readonly redacts?: string
  readonly roomId?: string
  readonly signatures?: JsonObject
}

export class RoomFixture {
  readonly roomId: string
  readonly create: Pdu
  readonly base: readonly Pdu[]
  #counter = 0

  constructor(
    readonly rules: RoomVersionRules,
    readonly options: RoomOptions = {},
  ) {
    this.roomId = rules.eventFormat.roomIdIsCreateEventHash ? '!create' : '!room:a.example'
    this.create = this.createEvent({ content: options.createContent ?? {} })
    const base: Pdu[] = [this.create, this.member(ALICE, ALICE, 'join')]
    if (options.powerLevels !== null) {
      base.push(
        this.state('m.room.power_levels', ALICE, this.powerLevelsContent(options.powerLevels)),
      )
    }
    if (options.joinRule !== null) {
      const content = { join_rule: options.joinRule ?? 'public', ...options.joinRulesContent }
      base.push(this.state('m.room.join_rules', ALICE, content))
    }
    const memberships: Record<string, string> = {
      [BOB]: 'join',
      [CAROL]: 'join',
      ...options.memberships,
    }
    for (const [user, membership] of Object.entries(memberships)) {
      const sender = membership === 'ban' || membership === 'invite' ? ALICE : user
      base.push(this.member(sender, user, membership))
    }
    this.base = base
  }

  /** The standard power levels (Alice 100 before v12, Bob 50) with `extra` merged over them. */
  powerLevelsContent(extra: JsonObject = {}): JsonObject {
    const users: Record<string, JsonValue> = this.rules.auth.privilegedCreators
      ? { [BOB]: 50 }
      : { [ALICE]: 100, [BOB]: 50 }
    const extraUsers = extra['users']
    return {
      ...extra,
      users: isJsonObject(extraUsers) ? { ...users, ...extraUsers } : users,
    }
  }

  /** A create event as this room version writes it, with `content` merged in. */
  createEvent(spec: {
    content?: JsonObject
    prev?: readonly string[]
    roomId?: string
    sender?: string
    omitCreator?: boolean
    keepRoomId?: boolean
  }): Pdu {
    const sender = spec.sender ?? ALICE
    const content: JsonObject = {
      ...(this.rules.auth.createEventHasCreator && spec.omitCreator !== true
        ? { creator: sender }
        : {}),
      room_version: this.rules.id,
      ...spec.content,
    }
    const event = pdu({
      id: 'create',
      type: 'm.room.create',
      sender,
      stateKey: '',
      content,
      prev: spec.prev ?? [],
      roomId: spec.roomId ?? this.roomId,
    })
    if (!this.rules.eventFormat.roomIdIsCreateEventHash || spec.keepRoomId === true) return event
    // v12 create events carry no room_id: their ID stands for the room.
    const json = Object.fromEntries(Object.entries(event.json).filter(([key]) => key !== 'room_id'))
    return { ...event, json }
  }

  event(spec: EventSpec): Pdu {
    const base = pdu({
      id: spec.id ?? `e${++this.#counter}`,
      type: spec.type,
      sender: spec.sender,
      ...(spec.stateKey !== undefined ? { stateKey: spec.stateKey } : {}),
      content: spec.content ?? {},
      prev: spec.prev ?? ['$previous'],
      ...(spec.redacts !== undefined ? { redacts: spec.redacts } : {}),
      roomId: spec.roomId ?? this.roomId,
    })
    if (spec.signatures === undefined) return base
    return { ...base, json: { ...base.json, signatures: spec.signatures } }
  }

  state(type: string, sender: string, content: JsonObject, stateKey = ''): Pdu {
    return this.event({ type, sender, stateKey, content })
  }

  member(sender: string, target: string, membership: string, content: JsonObject = {}): Pdu {
    return this.event({
      type: 'm.room.member',
      sender,
      stateKey: target,
      content: { membership, ...content },
    })
  }

  message(sender: string, content: JsonObject = { body: 'hi' }): Pdu {
    return this.event({ type: 'm.room.message', sender, content })
  }

  /** The room's state with `extra` applied on top (later events replace earlier ones). */
  stateWith(...extra: Pdu[]): StateMap<Pdu> {
    const state = new StateMap<Pdu>()
    for (const event of [...this.base, ...extra]) {
      if (event.stateKey !== undefined) state.set(event.type, event.stateKey, event)
    }
    return state
  }

  /** The room's state without the entries of `type` (and `stateKey`, when given). */
  stateWithout(type: string, stateKey = ''): StateMap<Pdu> {
    const state = this.stateWith()
    state.delete(type, stateKey)
    return state
  }
}

/**
 * A room DAG builder for state-resolution tests. Each event's `prev_events` default to the event
 * added before it; the state before an event is the state after its single prev event, or the
 * resolution of the states after its prev events; its `auth_events` are picked from that state by
 * the auth events selection, as a server would pick them. Timestamps count up from 1 in the order
 * events are added unless the test gives one. Events are accepted as given: the builder does not
 * run the auth rules on them, so a test can also build the forks a misbehaving server would send.
 */
import fc from 'fast-check'
import type { Result } from '../errors/result.js'
import { selectAuthEvents } from '../events/auth-events.js'
import type { Pdu } from '../events/pdu.js'
import { StateMap, type ReadonlyStateMap } from '../events/state-map.js'
import type { EventId } from '../ids/types.js'
import type { JsonObject } from '../json/json.js'
import type { RoomVersionRules } from '../room-versions/rules.js'
import { EventSource, type StateResolutionOptions } from '../state-res/event-source.js'
import { eventId, pdu, TEST_ROOM_ID } from './pdu-fixtures.js'

export const ALICE = '@alice:example.org'
export const BOB = '@bob:example.org'
export const CHARLIE = '@charlie:example.org'
export const EVELYN = '@evelyn:example.org'
export const ZARA = '@zara:example.org'

export type Resolver = (
  stateSets: readonly ReadonlyStateMap<EventId>[],
  fetchEvent: (id: EventId) => Pdu | undefined,
  rules: RoomVersionRules,
) => Result<StateMap<EventId>>

export interface DagEventSpec {
  readonly id: string
  readonly type: string
  readonly sender: string
  readonly stateKey?: string
  readonly content?: JsonObject
  /** Names of the prev events; defaults to the event added last. */
  readonly prev?: readonly string[]
  /** Names of the auth events, replacing the ones picked from the state before the event. */
  readonly auth?: readonly string[]
  readonly ts?: number
}

export class RoomDag {
  readonly rules: RoomVersionRules
  readonly events = new Map<EventId, Pdu>()
  readonly #resolve: Resolver
  readonly #stateAfter = new Map<EventId, StateMap<EventId>>()
  #roomId = TEST_ROOM_ID
  #last: string | undefined
  #clock = 0

  constructor(rules: RoomVersionRules, resolve: Resolver) {
    this.rules = rules
    this.#resolve = resolve
  }

  readonly fetch = (id: EventId): Pdu | undefined => this.events.get(id)

  get roomId(): string {
    return this.#roomId
  }

  add(spec: DagEventSpec): Pdu {
    if (this.events.has(eventId(spec.id))) throw new Error(`event ${spec.id} added twice`)
    const prev = spec.prev ?? (this.#last === undefined ? [] : [this.#last])
    // From v12 the room ID names the create event, which must therefore come first.
    if (spec.type === 'm.room.create' && this.rules.eventFormat.roomIdIsCreateEventHash) {
      this.#roomId = `!${spec.id}`
    }
    const before = this.stateBefore(prev)
    const auth =
      spec.auth?.map(eventId) ??
      selectAuthEvents(
        {
          type: spec.type,
          sender: spec.sender,
          content: spec.content ?? {},
          ...(spec.stateKey !== undefined ? { stateKey: spec.stateKey } : {}),
        },
        before,
        this.rules,
      )
    const depth = Math.max(0, ...prev.map((name) => this.get(name).depth + 1))
    const event = pdu({
      ...spec,
      prev,
      auth,
      depth,
      ts: spec.ts ?? ++this.#clock,
      roomId: this.#roomId,
    })
    this.events.set(event.eventId, event)
    const after = before.clone()
    if (event.stateKey !== undefined) after.set(event.type, event.stateKey, event.eventId)
    this.#stateAfter.set(event.eventId, after)
    this.#last = spec.id
    return event
  }

  get(name: string): Pdu {
    const event = this.events.get(eventId(name))
    if (event === undefined) throw new Error(`no event ${name}`)
    return event
  }

  /** The state after the named event (a copy). */
  stateAfter(name: string): StateMap<EventId> {
    const state = this.#stateAfter.get(eventId(name))
    if (state === undefined) throw new Error(`no event ${name}`)
    return state.clone()
  }

  /** The state before an event with these prev events: their resolved states after. */
  stateBefore(prev: readonly string[]): StateMap<EventId> {
    if (prev.length === 0) return new StateMap()
    const states = prev.map((name) => this.stateAfter(name))
    if (states.length === 1) return states[0] ?? new StateMap()
    const resolved = this.#resolve(states, this.fetch, this.rules)
    if (!resolved.ok) throw new Error(`resolution failed: ${resolved.error.error}`)
    return resolved.value
  }

  /** Power levels content granting `users`, leaving out the creators from v12 (they may not be listed). */
  powerLevels(users: Readonly<Record<string, number>>, extra: JsonObject = {}): JsonObject {
    const listed = this.rules.auth.privilegedCreators
      ? Object.fromEntries(Object.entries(users).filter(([user]) => user !== ALICE))
      : users
    return { ...extra, users: listed }
  }

  /**
   * The opening of most scenarios: Alice creates the room (and is its admin), sets power levels
   * and public join rules, then Bob, Charlie and Zara join.
   */
  openRoom(): this {
    const content: JsonObject = this.rules.auth.createEventHasCreator
      ? { creator: ALICE, room_version: this.rules.id }
      : { room_version: this.rules.id }
    this.add({ id: 'CREATE', type: 'm.room.create', sender: ALICE, stateKey: '', content })
    this.member('IMA', ALICE, ALICE, 'join')
    this.add({
      id: 'IPOWER',
      type: 'm.room.power_levels',
      sender: ALICE,
      stateKey: '',
      content: this.powerLevels({ [ALICE]: 100 }),
    })
    this.add({
      id: 'IJR',
      type: 'm.room.join_rules',
      sender: ALICE,
      stateKey: '',
      content: { join_rule: 'public' },
    })
    this.member('IMB', BOB, BOB, 'join')
    this.member('IMC', CHARLIE, CHARLIE, 'join')
    this.member('IMZ', ZARA, ZARA, 'join')
    return this
  }

  member(
    id: string,
    sender: string,
    target: string,
    membership: string,
    prev?: readonly string[],
  ): Pdu {
    return this.add({
      id,
      type: 'm.room.member',
      sender,
      stateKey: target,
      content: { membership },
      ...(prev !== undefined ? { prev } : {}),
    })
  }
}

/** A state map from (type, state key, event name) triples, for expectations. */
export function stateOf(
  entries: readonly (readonly [string, string, string])[],
): StateMap<EventId> {
  return new StateMap(entries.map(([type, stateKey, name]) => [type, stateKey, eventId(name)]))
}

/** The entries of `state` that differ from (or are missing in) `base`, as event names. */
export function changedSince(
  state: ReadonlyStateMap<EventId>,
  base: ReadonlyStateMap<EventId>,
): string[] {
  const changed: string[] = []
  for (const [type, stateKey, id] of state) {
    if (base.get(type, stateKey) !== id) changed.push(id.slice(1))
  }
  return changed.sort()
}

/**
 * Random auth DAGs: event i may cite any earlier events. State sets map random keys to random
 * events (the auth-chain maths does not care whether the events match their keys).
 */
export function randomAuthDag() {
  return fc
    .integer({ min: 1, max: 25 })
    .chain((size) =>
      fc.record({
        edges: fc.array(fc.array(fc.nat(), { maxLength: 3 }), { minLength: size, maxLength: size }),
        stateSets: fc.array(
          fc.array(fc.tuple(fc.integer({ min: 0, max: 6 }), fc.nat()), { maxLength: 8 }),
          { minLength: 1, maxLength: 4 },
        ),
      }),
    )
    .map(({ edges, stateSets }) => {
      const events = edges.map((auth, i) =>
        pdu({
          id: `E${i}`,
          type: 't',
          sender: '@a:x',
          stateKey: '',
          auth: i === 0 ? [] : [...new Set(auth.map((n) => `E${n % i}`))],
        }),
      )
      return {
        events,
        stateSets: stateSets.map(
          (entries) =>
            new StateMap<EventId>(
              entries.map(([key, n]) => ['t', `k${key}`, eventId(`E${n % events.length}`)]),
            ),
        ),
      }
    })
}

/** An event source over a fixed list of events. */
export function eventSourceOf(
  events: Iterable<Pdu>,
  rules: RoomVersionRules,
  options?: StateResolutionOptions,
): EventSource {
  const byId = new Map<EventId, Pdu>()
  for (const event of events) byId.set(event.eventId, event)
  return new EventSource((id) => byId.get(id), rules, options)
}

/** Two forks of a big room, for benchmarks and scale tests: see `largeRoomFork`. */
export interface LargeRoomFork {
  readonly rules: RoomVersionRules
  readonly events: ReadonlyMap<EventId, Pdu>
  readonly fetch: (id: EventId) => Pdu | undefined
  /** The states after the tips of the two forks. */
  readonly forks: readonly [StateMap<EventId>, StateMap<EventId>]
  /** What the resolution must give for a few keys, for checking. */
  readonly expected: ReadonlyMap<string, EventId | undefined>
}

/**
 * A room with `members` joined users (Alice created it; everyone joined the public room in turn),
 * after which two servers each made concurrent changes on their own fork:
 * - fork A: Alice raises user 1 to 50, kicks users 2-6, users A1 and A2 join, Alice sets the topic;
 * - fork B: Alice raises user 3 to 50 (later in time), bans users 7-11, users 12-16 leave, user B1
 *   joins, Alice sets the name.
 * Built incrementally (one state map, copied once at the fork), so it takes linear time.
 */
export function largeRoomFork(rules: RoomVersionRules, members: number): LargeRoomFork {
  const events = new Map<EventId, Pdu>()
  const roomId = rules.eventFormat.roomIdIsCreateEventHash ? '!CREATE' : TEST_ROOM_ID
  const user = (n: number | string) => `@user${n}:example.org`
  let ts = 0
  let depth = 0
  const append = (state: StateMap<EventId>, last: { id: EventId }, spec: DagEventSpec): void => {
    const content = spec.content ?? {}
    const auth = selectAuthEvents(
      {
        type: spec.type,
        sender: spec.sender,
        content,
        ...(spec.stateKey !== undefined ? { stateKey: spec.stateKey } : {}),
      },
      state,
      rules,
    )
    const event = pdu({
      ...spec,
      prev: [last.id],
      auth,
      depth: ++depth,
      ts: spec.ts ?? ++ts,
      roomId,
    })
    events.set(event.eventId, event)
    if (event.stateKey !== undefined) state.set(event.type, event.stateKey, event.eventId)
    last.id = event.eventId
  }
  const member = (
    id: string,
    sender: string,
    target: string,
    membership: string,
  ): DagEventSpec => ({
    id,
    type: 'm.room.member',
    sender,
    stateKey: target,
    content: { membership },
  })
  const powerLevels = (id: string, users: Record<string, number>, at: number): DagEventSpec => ({
    id,
    type: 'm.room.power_levels',
    sender: ALICE,
    stateKey: '',
    content: {
      users: rules.auth.privilegedCreators ? users : { [ALICE]: 100, ...users },
    },
    ts: at,
  })

  const base = new StateMap<EventId>()
  const tip = { id: eventId('CREATE') }
  const createContent: JsonObject = rules.auth.createEventHasCreator
    ? { creator: ALICE, room_version: rules.id }
    : { room_version: rules.id }
  const create = pdu({
    id: 'CREATE',
    type: 'm.room.create',
    sender: ALICE,
    stateKey: '',
    content: createContent,
    roomId,
  })
  events.set(create.eventId, create)
  base.set('m.room.create', '', create.eventId)
  append(base, tip, member('IMA', ALICE, ALICE, 'join'))
  append(base, tip, powerLevels('IPOWER', {}, ++ts))
  append(base, tip, {
    id: 'IJR',
    type: 'm.room.join_rules',
    sender: ALICE,
    stateKey: '',
    content: { join_rule: 'public' },
  })
  for (let n = 1; n <= members; n++) append(base, tip, member(`JOIN${n}`, user(n), user(n), 'join'))

  const forkTs = ts
  const a = base.clone()
  const tipA = { id: tip.id }
  append(a, tipA, powerLevels('PA', { [user(1)]: 50 }, forkTs + 1))
  for (let n = 2; n <= 6; n++) append(a, tipA, member(`KICK${n}`, ALICE, user(n), 'leave'))
  append(a, tipA, member('JOINA1', user('A1'), user('A1'), 'join'))
  append(a, tipA, member('JOINA2', user('A2'), user('A2'), 'join'))
  append(a, tipA, {
    id: 'TOPIC',
    type: 'm.room.topic',
    sender: ALICE,
    stateKey: '',
    content: { topic: 'forked' },
  })

  const b = base.clone()
  const tipB = { id: tip.id }
  ts = forkTs + 1
  append(b, tipB, powerLevels('PB', { [user(3)]: 50 }, forkTs + 2))
  for (let n = 7; n <= 11; n++) append(b, tipB, member(`BAN${n}`, ALICE, user(n), 'ban'))
  for (let n = 12; n <= 16; n++) append(b, tipB, member(`LEAVE${n}`, user(n), user(n), 'leave'))
  append(b, tipB, member('JOINB1', user('B1'), user('B1'), 'join'))
  append(b, tipB, {
    id: 'NAME',
    type: 'm.room.name',
    sender: ALICE,
    stateKey: '',
    content: { name: 'B' },
  })

  const expected = new Map<string, EventId | undefined>([
    // Same sender and power: the later power levels (PB) is applied last.
    ['m.room.power_levels|', eventId('PB')],
    [`m.room.member|${user(2)}`, eventId('KICK2')],
    [`m.room.member|${user(7)}`, eventId('BAN7')],
    [`m.room.member|${user(12)}`, eventId('LEAVE12')],
    [`m.room.member|${user('A1')}`, eventId('JOINA1')],
    [`m.room.member|${user('B1')}`, eventId('JOINB1')],
    [`m.room.member|${user(members)}`, eventId(`JOIN${members}`)],
    ['m.room.topic|', eventId('TOPIC')],
    ['m.room.name|', eventId('NAME')],
  ])
  return { rules, events, fetch: (id) => events.get(id), forks: [a, b], expected }
}

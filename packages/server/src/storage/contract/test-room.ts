import { randomUUID } from 'node:crypto'
import type { EventId, JsonObject, Pdu, RoomId, UserId } from '@rhizome/core'
import { pdu } from '../../../../core/src/testing/pdu-fixtures.js'
import type { PersistEventInput, PersistOutcome, StateBeforeInput, Storage } from '../interface.js'

/**
 * Builds the events of one test room as a linear chain: each event's prev event is the one
 * before it. The PDUs are shaped like room version 12 events; hashes and signatures are dummies
 * (storage does not check them). Room IDs are unique, so tests never see each other's rooms, even
 * when several test runs share one PostgreSQL database (and its notification channel).
 */
export class TestRoom {
  readonly roomId: RoomId
  readonly creator: UserId
  #counter = 0
  #depth = 0
  #last: EventId | undefined
  readonly #tag: string

  /** The creator is unique too, so wake-ups for this room's users are this test's alone. */
  constructor(creator?: string) {
    this.#tag = randomUUID().slice(0, 8)
    this.roomId = `!${this.#tag}:test` as RoomId
    this.creator = (creator ?? `@alice-${this.#tag}:test`) as UserId
  }

  /** The next event of the chain (not persisted). */
  event(spec: {
    readonly type: string
    readonly stateKey?: string
    readonly content?: JsonObject
    readonly sender?: string
    readonly redacts?: string
    /** Branch off an explicit parent instead of the last event. */
    readonly prev?: readonly EventId[]
  }): Pdu {
    this.#counter++
    this.#depth++
    const built = pdu({
      id: `${this.#tag}-${this.#counter}`,
      roomId: this.roomId,
      type: spec.type,
      sender: spec.sender ?? this.creator,
      content: spec.content ?? {},
      prev: spec.prev ?? (this.#last === undefined ? [] : [this.#last]),
      auth: [],
      depth: this.#depth,
      ts: 1_700_000_000_000 + this.#counter,
      ...(spec.stateKey !== undefined ? { stateKey: spec.stateKey } : {}),
      ...(spec.redacts !== undefined ? { redacts: spec.redacts } : {}),
    })
    if (spec.prev === undefined) this.#last = built.eventId
    return built
  }

  create(): Pdu {
    return this.event({
      type: 'm.room.create',
      stateKey: '',
      content: { room_version: '12' },
    })
  }

  member(userId: string, membership: string): Pdu {
    return this.event({
      type: 'm.room.member',
      stateKey: userId,
      sender: userId,
      content: { membership },
    })
  }

  message(body: string, sender?: string): Pdu {
    return this.event({
      type: 'm.room.message',
      content: { msgtype: 'm.text', body },
      ...(sender !== undefined ? { sender } : {}),
    })
  }

  state(type: string, stateKey: string, content: JsonObject): Pdu {
    return this.event({ type, stateKey, content })
  }
}

export type AppendOptions = Partial<Omit<PersistEventInput, 'pdu'>>

/**
 * Persists an event the way the room pipeline will: under the room lock, on top of the current
 * state, as the room's only forward extremity, advancing the current state.
 */
export async function append(
  storage: Storage,
  event: Pdu,
  options: AppendOptions = {},
): Promise<PersistOutcome> {
  return storage.withRoomWriteLock(event.roomId, async (room) => {
    const current = await room.getCurrentStateGroup()
    const stateBefore: StateBeforeInput =
      current === undefined
        ? { base: undefined, delta: { set: [], remove: [] } }
        : { group: current }
    return room.persistEvent({
      pdu: event,
      stateBefore,
      newForwardExtremities: [event.eventId],
      currentState: 'advance',
      ...(event.type === 'm.room.create'
        ? { room: { version: '12', creator: event.sender, isPublic: false } }
        : {}),
      ...options,
    })
  })
}

/** Creates a room with its creator joined; returns the outcomes in order. */
export async function createRoom(storage: Storage, room: TestRoom): Promise<PersistOutcome[]> {
  return [
    await append(storage, room.create()),
    await append(storage, room.member(room.creator, 'join')),
  ]
}

export function waitFor(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const started = Date.now()
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (predicate()) resolve()
      else if (Date.now() - started > timeoutMs) reject(new Error('timed out waiting'))
      else setTimeout(check, 5)
    }
    check()
  })
}

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms))

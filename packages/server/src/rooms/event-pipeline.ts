import {
  buildEvent,
  checkAuthRules,
  computeReferenceHash,
  encodeBase64,
  err,
  MAX_PREV_EVENTS,
  ok,
  parseRoomId,
  roomVersionRules,
  selectAuthEvents,
  StateMap,
  type CryptoProvider,
  type EventId,
  type EventReference,
  type JsonObject,
  type Pdu,
  type PrevEventReference,
  type ReadonlyStateMap,
  type Result,
  type RoomId,
  type RoomVersionRules,
  type ServerName,
  type SigningKey,
  type UserId,
} from '@rhizome/core'
import { forbidden, notFound, serverError, type ServerError } from '../http/errors.js'
import type {
  ForwardExtremity,
  PersistOutcome,
  RoomWriter,
  Storage,
  TxnKey,
} from '../storage/interface.js'
import { PduLoader } from './pdu-loader.js'

/** What the caller decides about a new event; the pipeline fills in everything else. */
export interface EventTemplate {
  readonly type: string
  /** Present exactly for a state event. */
  readonly stateKey?: string
  readonly sender: UserId
  readonly content: JsonObject
  /** For `m.room.redaction`: placed where the room version wants it (top level or content). */
  readonly redacts?: EventId
}

/** The room as it is when the write lock is held, for checks that must not race other writes. */
export interface RoomSnapshot {
  readonly roomId: RoomId
  readonly rules: RoomVersionRules
  readonly state: ReadonlyStateMap<EventId>
  /** The current state event at (type, stateKey), loaded on demand. */
  stateEvent(type: string, stateKey: string): Promise<Pdu | undefined>
}

/** The room at `state`, its state events loaded through `pdus` when asked for. */
export function roomSnapshot(
  pdus: Pick<PduLoader, 'loadOne'>,
  roomId: RoomId,
  rules: RoomVersionRules,
  state: ReadonlyStateMap<EventId>,
): RoomSnapshot {
  return {
    roomId,
    rules,
    state,
    stateEvent: async (type, stateKey) => {
      const id = state.get(type, stateKey)
      return id === undefined ? undefined : pdus.loadOne(id)
    },
  }
}

/**
 * A check run under the room's write lock, against the state the event will be built on:
 * `send` to go ahead (with other content, when the state decides it), `unchanged` to answer with
 * an existing event and write nothing (joining a room one is in already), or an error.
 */
export type Precheck = (room: RoomSnapshot) => Promise<Result<PrecheckOutcome, ServerError>>

export type PrecheckOutcome =
  | { readonly kind: 'send'; readonly content?: JsonObject }
  | { readonly kind: 'unchanged'; readonly eventId: EventId }

export interface SendOptions {
  /** The client transaction, already scoped to its endpoint (see scopedTxnId). */
  readonly txn?: TxnKey
  readonly precheck?: Precheck
  /**
   * Runs on the built and authorized event before it is stored, without the room's lock: another
   * server adds its signature (an invite of one of its users). What it returns is stored
   * instead; an error stores nothing.
   */
  readonly countersign?: Countersign
}

/** The same event (same ID) with another server's signature added, or why not. */
export type Countersign = (pdu: Pdu, room: RoomSnapshot) => Promise<Result<Pdu, ServerError>>

export interface SentEvent {
  readonly eventId: EventId
  /** The stream position the event was stored at; undefined when nothing was written. */
  readonly streamPosition: number | undefined
  /** 'new': built and stored now; 'retry': a transaction already sent it; 'unchanged': see Precheck. */
  readonly kind: 'new' | 'retry' | 'unchanged'
}

export interface CreateRoomInput {
  readonly rules: RoomVersionRules
  readonly creator: UserId
  /** The content of the `m.room.create` event. */
  readonly createContent: JsonObject
  /** The events after the create event, in the order they are sent. */
  readonly events: readonly EventTemplate[]
  /** Listed in the published room directory. */
  readonly isPublic: boolean
  /**
   * Runs under the new room's lock once its ID is known and before anything is stored (to take
   * the room's alias); an error stops the creation.
   */
  readonly reserve?: (roomId: RoomId) => Promise<Result<void, ServerError>>
}

export interface CreatedRoom {
  readonly roomId: RoomId
  readonly events: readonly Pdu[]
}

export interface EventPipelineDeps {
  readonly storage: Storage
  readonly serverName: ServerName
  readonly signingKey: SigningKey
  readonly crypto: CryptoProvider
  readonly now: () => number
  /** Shared with the rest of the room service, so that events loaded once are loaded once. */
  readonly pdus?: PduLoader
  /**
   * Told of each event this server built, once it is stored, and awaited before the send
   * resolves: queued for other servers by then, an acknowledged event cannot be lost to a crash.
   */
  readonly onPersisted?: (pdu: Pdu) => Promise<void>
}

/** How often an event is built again when the room moved while it was being countersigned. */
const COUNTERSIGN_ATTEMPTS = 3

interface BuiltDraft {
  readonly kind: 'built'
  readonly pdu: Pdu
  readonly group: number
  readonly state: ReadonlyStateMap<EventId>
  readonly extremities: readonly ForwardExtremity[]
  readonly prevs: readonly ForwardExtremity[]
}

type Draft = { readonly kind: 'done'; readonly sent: SentEvent } | BuiltDraft

/** A draft that needs no writing, as what `send` answers. */
function mapDone(drafted: Result<Draft, ServerError>): Result<SentEvent, ServerError> {
  if (!drafted.ok) return drafted
  if (drafted.value.kind !== 'done') throw new Error('an event to store was taken for an answer')
  return ok(drafted.value.sent)
}

/** Random bytes in the opaque part of a room ID before v12: 18 bytes, 24 URL-safe characters. */
const ROOM_ID_RANDOM_BYTES = 18
/**
 * How often a room ID that is taken already is retried: a random one before v12, practically
 * never taken; a v12 one only by an identical request in the same millisecond in another process.
 */
const CREATE_ATTEMPTS = 10

/**
 * The one path by which this server creates room events (ARCHITECTURE.md §Flow of one message):
 * under the room's write lock, it checks the transaction ID, reads the forward extremities and the
 * current state, selects the auth events, builds the event with core (format, hashes, signature,
 * event ID, size limits), runs core's auth rules against the auth events, and persists the event
 * with its state in one transaction. A rejected event is an M_FORBIDDEN and nothing is written; a
 * success means the event is committed.
 *
 * Writes to one room are serialized by the lock (across processes on PostgreSQL); different rooms
 * proceed in parallel.
 */
export class EventPipeline {
  readonly #deps: EventPipelineDeps
  readonly #pdus: PduLoader
  /** Room versions never change, so each room's is read once. */
  readonly #versions = new Map<RoomId, RoomVersionRules>()
  /** The timestamp of the last create event built here (see createRoom). */
  #lastCreateTs = 0

  constructor(deps: EventPipelineDeps) {
    this.#deps = deps
    this.#pdus = deps.pdus ?? new PduLoader(deps.storage.events)
  }

  get pdus(): PduLoader {
    return this.#pdus
  }

  /** The room's version rules, or undefined when this server does not hold the room. */
  async roomRules(roomId: RoomId): Promise<RoomVersionRules | undefined> {
    const known = this.#versions.get(roomId)
    if (known !== undefined) return known
    const room = await this.#deps.storage.rooms.getRoom(roomId)
    if (room === undefined) return undefined
    const rules = roomVersionRules(room.version)
    if (rules === undefined) throw new Error(`room ${roomId} has unknown version ${room.version}`)
    this.#versions.set(roomId, rules)
    return rules
  }

  /**
   * Builds, authorizes and stores one event on top of the room's current state, under the
   * room's write lock. An event another server must countersign is built under the lock, signed
   * without it (a slow or dead server must not stall the room), and stored under the lock again
   * if the room has not moved meanwhile; when it has, the event is built afresh, a few times.
   */
  async send(
    roomId: RoomId,
    template: EventTemplate,
    options: SendOptions = {},
  ): Promise<Result<SentEvent, ServerError>> {
    const rules = await this.roomRules(roomId)
    if (rules === undefined) return err(notFound(`Unknown room ${roomId}`))
    const { storage } = this.#deps
    const { countersign } = options
    if (countersign === undefined) {
      return storage.withRoomWriteLock(roomId, async (room) => {
        const drafted = await this.#draft(room, roomId, rules, template, options)
        if (!drafted.ok || drafted.value.kind === 'done') return mapDone(drafted)
        return ok(await this.#persist(room, drafted.value, options))
      })
    }
    for (let attempt = 0; attempt < COUNTERSIGN_ATTEMPTS; attempt++) {
      const drafted = await storage.withRoomWriteLock(roomId, (room) =>
        this.#draft(room, roomId, rules, template, options),
      )
      if (!drafted.ok || drafted.value.kind === 'done') return mapDone(drafted)
      const draft = drafted.value
      const signed = await countersign(
        draft.pdu,
        roomSnapshot(this.#pdus, roomId, rules, draft.state),
      )
      if (!signed.ok) return signed
      if (signed.value.eventId !== draft.pdu.eventId) {
        throw new Error(`countersigning changed ${draft.pdu.eventId} into ${signed.value.eventId}`)
      }
      const stored = await storage.withRoomWriteLock(roomId, async (room) => {
        const [extremities, group] = await Promise.all([
          room.getForwardExtremities(),
          room.getCurrentStateGroup(),
        ])
        const moved =
          group !== draft.group ||
          extremities.map((e) => e.eventId).join() !==
            draft.extremities.map((e) => e.eventId).join()
        if (moved) return undefined
        return ok(await this.#persist(room, { ...draft, pdu: signed.value }, options))
      })
      if (stored !== undefined) return stored
    }
    return err(
      serverError('M_UNKNOWN', 'The room kept changing while the event was being countersigned'),
    )
  }

  /**
   * Under the lock: an event built and authorized on the room's current state, or what to answer
   * without writing (a transaction already sent, a precheck's `unchanged`).
   */
  async #draft(
    room: RoomWriter,
    roomId: RoomId,
    rules: RoomVersionRules,
    template: EventTemplate,
    options: SendOptions,
  ): Promise<Result<Draft, ServerError>> {
    const { storage } = this.#deps
    const { txn } = options
    if (txn !== undefined) {
      const sent = await storage.events.getEventByTxn(txn.userId, txn.deviceId, txn.txnId)
      if (sent !== undefined) {
        return ok({
          kind: 'done',
          sent: { eventId: sent.pdu.eventId, streamPosition: sent.streamPosition, kind: 'retry' },
        })
      }
    }
    const [extremities, group] = await Promise.all([
      room.getForwardExtremities(),
      room.getCurrentStateGroup(),
    ])
    if (group === undefined || extremities.length === 0) {
      return err(notFound(`Unknown room ${roomId}`))
    }
    const state = await storage.state.loadState(group)

    let event = template
    if (options.precheck !== undefined) {
      const decided = await options.precheck(roomSnapshot(this.#pdus, roomId, rules, state))
      if (!decided.ok) return decided
      if (decided.value.kind === 'unchanged') {
        return ok({
          kind: 'done',
          sent: { eventId: decided.value.eventId, streamPosition: undefined, kind: 'unchanged' },
        })
      }
      if (decided.value.content !== undefined) {
        event = { ...template, content: decided.value.content }
      }
    }

    const prevs = choosePrevEvents(extremities)
    const built = await this.#buildAndAuthorize(roomId, rules, event, state, prevs)
    if (!built.ok) return built
    return ok({ kind: 'built', pdu: built.value, group, state, extremities, prevs })
  }

  /** Under the lock: stores a drafted event as the room's newest. */
  async #persist(room: RoomWriter, draft: BuiltDraft, options: SendOptions): Promise<SentEvent> {
    const { pdu, group, extremities, prevs } = draft
    const { txn } = options
    const unreferenced = extremities.slice(prevs.length).map((e) => e.eventId)
    const outcome = await room.persistEvent({
      pdu,
      stateBefore: { group },
      newForwardExtremities: [pdu.eventId, ...unreferenced],
      currentState: 'advance',
      ...(txn === undefined ? {} : { txn }),
    })
    if (outcome.kind === 'inserted') {
      this.#pdus.remember(pdu)
      await this.#deps.onPersisted?.(pdu)
    }
    return {
      eventId: outcome.eventId,
      streamPosition: outcome.streamPosition,
      kind: outcome.kind === 'inserted' ? 'new' : 'retry',
    }
  }

  /**
   * Creates a room: the create event and then `input.events` in order. Every event is built and
   * authorized in memory first, each against the state the ones before it make, so a request
   * whose events the auth rules refuse (a power-levels override that locks the creator out)
   * fails with M_INVALID_ROOM_STATE before anything is stored. Only then are the events
   * persisted, one transaction each, under the new room's lock.
   */
  async createRoom(input: CreateRoomInput): Promise<Result<CreatedRoom, ServerError>> {
    const { storage, now } = this.#deps
    for (let attempt = 0; attempt < CREATE_ATTEMPTS; attempt++) {
      // v12 room IDs are the create event's hash, so two identical requests in the same
      // millisecond would found the same room: each create event built here gets a timestamp of
      // its own, and one that another process used already is retried with the next.
      const ts = Math.max(now(), this.#lastCreateTs + 1)
      this.#lastCreateTs = ts
      const planned = this.#planRoom(input, ts)
      if (!planned.ok) return planned
      const events = planned.value
      const create = events[0]
      if (create === undefined) throw new Error('a planned room has no create event')
      const roomId = create.roomId
      const stored = await storage.withRoomWriteLock(roomId, async (room) => {
        if ((await room.getCurrentStateGroup()) !== undefined) return ok(false)
        if (input.reserve !== undefined) {
          const reserved = await input.reserve(roomId)
          if (!reserved.ok) return reserved
        }
        let previous: PersistOutcome | undefined
        for (const pdu of events) {
          previous = await room.persistEvent({
            pdu,
            stateBefore:
              previous === undefined
                ? { base: undefined, delta: { set: [], remove: [] } }
                : { group: previous.stateGroupAfter },
            newForwardExtremities: [pdu.eventId],
            currentState: 'advance',
            ...(previous === undefined
              ? {
                  room: {
                    version: input.rules.id,
                    creator: input.creator,
                    isPublic: input.isPublic,
                  },
                }
              : {}),
          })
          this.#pdus.remember(pdu)
        }
        for (const pdu of events) await this.#deps.onPersisted?.(pdu)
        return ok(true)
      })
      if (!stored.ok) return stored
      if (stored.value) {
        this.#versions.set(roomId, input.rules)
        return ok({ roomId, events })
      }
    }
    return err(serverError('M_UNKNOWN', 'Could not choose a free room ID'))
  }

  #planRoom(input: CreateRoomInput, ts: number): Result<Pdu[], ServerError> {
    const { rules } = input
    const { serverName, signingKey, crypto } = this.#deps
    const roomId = rules.eventFormat.roomIdIsCreateEventHash
      ? undefined
      : randomRoomId(serverName, crypto)
    const create = buildEvent(
      {
        roomVersion: rules,
        ...(roomId === undefined ? {} : { roomId }),
        sender: input.creator,
        type: 'm.room.create',
        stateKey: '',
        content: input.createContent,
        prevEvents: [],
        authEvents: [],
        originServerTs: ts,
      },
      serverName,
      signingKey,
      crypto,
    )
    if (!create.ok) return err({ ...create.error, error: `m.room.create: ${create.error.error}` })
    const createOutcome = checkAuthRules(create.value, new StateMap<Pdu>(), rules)
    if (createOutcome.kind === 'rejected') {
      return invalidRoomState(`m.room.create would be rejected: ${createOutcome.reason}`)
    }
    const events: Pdu[] = [create.value]
    const stateIds = new StateMap<EventId>([['m.room.create', '', create.value.eventId]])
    const byId = new Map<EventId, Pdu>([[create.value.eventId, create.value]])
    let last = create.value
    for (const template of input.events) {
      const authIds = selectAuthEvents(template, stateIds, rules)
      const built = buildEvent(
        {
          roomVersion: rules,
          roomId: create.value.roomId,
          sender: template.sender,
          type: template.type,
          ...(template.stateKey === undefined ? {} : { stateKey: template.stateKey }),
          content: template.content,
          prevEvents: [reference(last, rules, crypto)],
          authEvents: authIds.map((id) => referenceTo(id, byId, rules, crypto)),
          originServerTs: ts,
        },
        serverName,
        signingKey,
        crypto,
      )
      if (!built.ok) return err({ ...built.error, error: `${template.type}: ${built.error.error}` })
      const outcome = checkAuthRules(
        built.value,
        authStateOf(built.value, create.value, byId),
        rules,
        {
          crypto,
        },
      )
      if (outcome.kind === 'rejected') {
        return invalidRoomState(`${template.type} would be rejected: ${outcome.reason}`)
      }
      const pdu = built.value
      events.push(pdu)
      byId.set(pdu.eventId, pdu)
      if (pdu.stateKey !== undefined) stateIds.set(pdu.type, pdu.stateKey, pdu.eventId)
      last = pdu
    }
    return ok(events)
  }

  async #buildAndAuthorize(
    roomId: RoomId,
    rules: RoomVersionRules,
    template: EventTemplate,
    state: ReadonlyStateMap<EventId>,
    prevs: readonly ForwardExtremity[],
  ): Promise<Result<Pdu, ServerError>> {
    const { serverName, signingKey, crypto, now } = this.#deps
    const authIds = selectAuthEvents(template, state, rules)
    // The auth rules need the create event, which v12 events do not list in auth_events.
    const createId = state.get('m.room.create', '')
    const wanted: EventId[] = [...authIds]
    if (createId !== undefined) wanted.push(createId)
    const withHashes = rules.eventFormat.eventReferencesIncludeHashes
    if (withHashes) for (const prev of prevs) wanted.push(prev.eventId)
    const loaded = await this.#pdus.load(wanted)

    const prevEvents: PrevEventReference[] = []
    for (const prev of prevs) {
      const ref: PrevEventReference = { eventId: prev.eventId, depth: prev.depth }
      if (withHashes) {
        const pdu = loaded.get(prev.eventId)
        if (pdu === undefined) throw new Error(`forward extremity ${prev.eventId} is not stored`)
        prevEvents.push({ ...ref, referenceHash: referenceHashOf(pdu, rules, crypto) })
      } else {
        prevEvents.push(ref)
      }
    }
    const authState = new StateMap<Pdu>()
    for (const id of wanted.slice(0, authIds.length + (createId === undefined ? 0 : 1))) {
      const pdu = loaded.get(id)
      if (pdu === undefined || pdu.stateKey === undefined) {
        throw new Error(`state event ${id} of ${roomId} is not stored`)
      }
      authState.set(pdu.type, pdu.stateKey, pdu)
    }
    const authEvents: EventReference[] = authIds.map((id) => {
      const pdu = loaded.get(id)
      return withHashes && pdu !== undefined
        ? { eventId: id, referenceHash: referenceHashOf(pdu, rules, crypto) }
        : { eventId: id }
    })

    let content = template.content
    if (template.redacts !== undefined && !rules.redaction.v11Redaction) {
      // Before v11 `redacts` is a top-level key, and clients may have put it in the content
      // (client-server-api §PUT .../send: servers MUST move it).
      const { redacts: _moved, ...rest } = content
      content = rest
    }
    const built = buildEvent(
      {
        roomVersion: rules,
        roomId,
        sender: template.sender,
        type: template.type,
        ...(template.stateKey === undefined ? {} : { stateKey: template.stateKey }),
        content,
        prevEvents,
        authEvents,
        originServerTs: now(),
        ...(template.redacts === undefined ? {} : { redacts: template.redacts }),
      },
      serverName,
      signingKey,
      crypto,
    )
    if (!built.ok) return built
    const outcome = checkAuthRules(built.value, authState, rules, { crypto })
    if (outcome.kind === 'rejected') return err(forbidden(outcome.reason))
    return ok(built.value)
  }
}

/** The deepest forward extremities, at most 20 (the PDU limit); ties by event ID for stability. */
export function choosePrevEvents(extremities: readonly ForwardExtremity[]): ForwardExtremity[] {
  return [...extremities]
    .sort(
      (a, b) => b.depth - a.depth || (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0),
    )
    .slice(0, MAX_PREV_EVENTS)
}

/** The auth events of `pdu`, plus the create event (see #buildAndAuthorize). */
function authStateOf(pdu: Pdu, create: Pdu, byId: ReadonlyMap<EventId, Pdu>): StateMap<Pdu> {
  const out = new StateMap<Pdu>([['m.room.create', '', create]])
  for (const id of pdu.authEvents) {
    const event = byId.get(id)
    if (event?.stateKey !== undefined) out.set(event.type, event.stateKey, event)
  }
  return out
}

function reference(pdu: Pdu, rules: RoomVersionRules, crypto: CryptoProvider): PrevEventReference {
  return rules.eventFormat.eventReferencesIncludeHashes
    ? { eventId: pdu.eventId, depth: pdu.depth, referenceHash: referenceHashOf(pdu, rules, crypto) }
    : { eventId: pdu.eventId, depth: pdu.depth }
}

function referenceTo(
  id: EventId,
  byId: ReadonlyMap<EventId, Pdu>,
  rules: RoomVersionRules,
  crypto: CryptoProvider,
): EventReference {
  if (!rules.eventFormat.eventReferencesIncludeHashes) return { eventId: id }
  const pdu = byId.get(id)
  if (pdu === undefined) throw new Error(`auth event ${id} is not in the planned room`)
  return { eventId: id, referenceHash: referenceHashOf(pdu, rules, crypto) }
}

function referenceHashOf(pdu: Pdu, rules: RoomVersionRules, crypto: CryptoProvider): string {
  return encodeBase64(computeReferenceHash(pdu.json, rules, crypto))
}

function randomRoomId(serverName: ServerName, crypto: CryptoProvider): RoomId {
  const bytes = crypto.randomBytes(ROOM_ID_RANDOM_BYTES)
  let opaque = ''
  // Letters only, as Synapse does, so the ID needs no escaping anywhere.
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'
  for (const byte of bytes) opaque += alphabet[byte % alphabet.length] ?? 'a'
  const parsed = parseRoomId(`!${opaque}:${serverName}`)
  if (!parsed.ok) throw new Error(`cannot form a room ID on ${serverName}: ${parsed.error.error}`)
  return parsed.value
}

function invalidRoomState(reason: string): Result<never, ServerError> {
  return err(serverError('M_INVALID_ROOM_STATE', reason))
}

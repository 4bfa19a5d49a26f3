import {
  canonicalJson,
  isJsonObject,
  isStateEvent,
  StateMap,
  type EventId,
  type Pdu,
  type RoomId,
  type UserId,
} from '@rhizome/core'
import type {
  NewRoom,
  OutOfBandOutcome,
  OutlierInput,
  PersistEventInput,
  PersistOutcome,
  StateBeforeInput,
  StateDelta,
  StreamNotification,
} from '../interface.js'
import type { ExistingEvent, GroupEntry, MembershipChange, OutlierRow } from './engine-ops.js'
import { relationOf, searchEntryOf } from './event-index.js'
import { loadStateSteps } from './load-state.js'
import type { StateCache } from './state-cache.js'
import { diffStates, mergeDeltas, type StateChanges } from './state-diff.js'
import { step, type Steps } from './steps.js'

/**
 * A delta chain longer than this is not extended: the next group is stored as a full snapshot, so
 * loading any group reads at most this many deltas plus one snapshot.
 */
export const MAX_DELTA_CHAIN = 50

/** Outliers written per statement (persistOutliersSteps). */
export const OUTLIER_BATCH = 1000

const MEMBER = 'm.room.member'

export interface PersistContext {
  readonly roomId: RoomId
  readonly cache: StateCache
  readonly now: number
}

/** What persisting did; `notification` is for the dialect to deliver after commit, if it must. */
export interface PersistResult {
  readonly outcome: PersistOutcome
  readonly notification: StreamNotification | undefined
}

/** The groups this transaction created, with their deltas, for the current-state fast path. */
type CreatedGroups = Map<
  number,
  { readonly prev: number | undefined; readonly entries: readonly GroupEntry[] }
>

/**
 * Persists one event (see RoomWriter.persistEvent). The order matters: reads, state groups and
 * the room's own rows (guarded by the room lock) come first; the global stream position is taken
 * as late as possible, because the counter stays locked until commit and every writer of every
 * room waits for it. After it: the event row, the memberships (which carry the position) and the
 * wake-up.
 */
export function* persistEventSteps(
  ctx: PersistContext,
  input: PersistEventInput,
): Steps<PersistResult> {
  const { pdu, backfillPosition } = input
  if (backfillPosition !== undefined && input.currentState !== 'keep') {
    throw new Error(`backfilled event ${pdu.eventId} must keep the current state`)
  }
  if (pdu.roomId !== ctx.roomId) {
    throw new Error(`event ${pdu.eventId} is in ${pdu.roomId}, not in ${ctx.roomId}`)
  }

  const existing = yield* step('findEvent', pdu.eventId)
  if (existing !== undefined) {
    // An outlier is stored again as a timeline event: its row is replaced below.
    if (isOutlier(existing)) yield* step('deleteOutlier', pdu.eventId)
    else return duplicate(existing)
  }
  if (input.txn !== undefined) {
    // Claimed before anything else is written, so that a lost race writes nothing.
    const claimed = yield* step('claimTxn', input.txn, ctx.roomId, pdu.eventId, ctx.now)
    if (!claimed) {
      const bound = yield* step('findTxn', input.txn)
      const sent = bound === undefined ? undefined : yield* step('findEvent', bound)
      if (sent === undefined) throw new Error(`transaction ${input.txn.txnId} has no event`)
      return duplicate(sent)
    }
  }

  let room = yield* step('getRoomRow', ctx.roomId)
  if (room === undefined) {
    if (input.room === undefined) throw new Error(`room ${ctx.roomId} is not stored`)
    yield* step('insertRoom', ctx.roomId, input.room, ctx.now)
    room = { currentStateGroup: undefined }
  }

  const created: CreatedGroups = new Map()
  const before = yield* stateBeforeGroup(ctx, input.stateBefore, created)
  const accepted = input.rejectionReason === undefined
  const after =
    accepted && isStateEvent(pdu)
      ? yield* createGroup(
          ctx,
          before,
          { set: [[pdu.type, pdu.stateKey, pdu.eventId]], remove: [] },
          created,
        )
      : before

  let changes: StateChanges | undefined
  let memberships: { set: MembershipChange[]; remove: UserId[] } | undefined
  const { currentState } = input
  const target =
    currentState === 'advance'
      ? after
      : currentState === 'keep'
        ? undefined
        : yield* stateBeforeGroup(ctx, currentState.resolved, created)
  if (target !== undefined && room.currentStateGroup !== target) {
    changes = yield* currentStateChanges(ctx, room.currentStateGroup, target, created)
    memberships = yield* membershipChanges(changes, input)
  }

  // Room rows that do not carry a position: written before the counter is taken.
  if (changes !== undefined && target !== undefined) {
    yield* step('applyCurrentState', ctx.roomId, changes.set, changes.remove)
    yield* step('setCurrentStateGroup', ctx.roomId, target)
  }
  if (backfillPosition === undefined) {
    yield* step('setForwardExtremities', ctx.roomId, input.newForwardExtremities)
  }
  if (accepted && pdu.redacts !== undefined) {
    yield* step('markRedacted', ctx.roomId, pdu.redacts, pdu.eventId)
  }

  const json = canonicalJson(pdu.json)
  // A rejected event relates to nothing and is found by no search.
  const relation = accepted ? relationOf(pdu) : undefined
  const search = accepted ? searchEntryOf(pdu) : undefined
  const streamPosition = backfillPosition ?? (yield* step('allocateStreamPosition'))
  yield* step('insertEvent', {
    eventId: pdu.eventId,
    roomId: ctx.roomId,
    type: pdu.type,
    stateKey: pdu.stateKey,
    sender: pdu.sender,
    depth: pdu.depth,
    originServerTs: pdu.originServerTs,
    json,
    streamPosition,
    rejectionReason: input.rejectionReason,
    stateGroupBefore: before,
    stateGroupAfter: after,
    redacts: pdu.redacts,
    prevEvents: pdu.prevEvents,
    ...(relation === undefined ? {} : { relation }),
    ...(search === undefined ? {} : { search }),
  })
  const userIds: UserId[] = []
  if (memberships !== undefined && (memberships.set.length > 0 || memberships.remove.length > 0)) {
    yield* step('applyMemberships', ctx.roomId, memberships.set, memberships.remove, streamPosition)
    for (const change of memberships.set) userIds.push(change.userId)
    userIds.push(...memberships.remove)
  }
  const notification: StreamNotification | undefined =
    backfillPosition === undefined
      ? { position: streamPosition, roomIds: [ctx.roomId], userIds, catchUp: false }
      : undefined
  if (notification !== undefined) yield* step('notify', notification)
  return {
    outcome: {
      kind: 'inserted',
      eventId: pdu.eventId,
      streamPosition,
      stateGroupBefore: before,
      stateGroupAfter: after,
    },
    notification,
  }
}

/**
 * Stores the events not stored yet as outliers (see RoomWriter.persistOutliers). A send_join
 * answer brings thousands: they go in batches of OUTLIER_BATCH, a round trip each rather than
 * one per event, and only one batch's canonical JSON is held at a time.
 */
export function* persistOutliersSteps(
  roomId: RoomId,
  events: readonly OutlierInput[],
): Steps<number> {
  for (const { pdu } of events) {
    if (pdu.roomId !== roomId) {
      throw new Error(`event ${pdu.eventId} is in ${pdu.roomId}, not in ${roomId}`)
    }
  }
  let added = 0
  for (let start = 0; start < events.length; start += OUTLIER_BATCH) {
    const rows: OutlierRow[] = events
      .slice(start, start + OUTLIER_BATCH)
      .map(({ pdu, rejectionReason }) => ({
        eventId: pdu.eventId,
        roomId,
        type: pdu.type,
        stateKey: pdu.stateKey,
        sender: pdu.sender,
        depth: pdu.depth,
        originServerTs: pdu.originServerTs,
        json: canonicalJson(pdu.json),
        rejectionReason,
        redacts: pdu.redacts,
      }))
    added += yield* step('insertOutliers', rows)
  }
  return added
}

/**
 * Records a local user's membership in a room this server does not hold (see
 * RoomWriter.persistOutOfBandMembership): the room's row without state (created if absent), the
 * event as an outlier, the membership at a new stream position, and the user's wake-up.
 */
export function* persistOutOfBandSteps(
  ctx: Pick<PersistContext, 'roomId' | 'now'>,
  pdu: Pdu,
  room: NewRoom,
): Steps<{
  readonly result: OutOfBandOutcome
  readonly notification: StreamNotification | undefined
}> {
  if (pdu.roomId !== ctx.roomId) {
    throw new Error(`event ${pdu.eventId} is in ${pdu.roomId}, not in ${ctx.roomId}`)
  }
  const membership = pdu.content['membership']
  if (pdu.type !== MEMBER || pdu.stateKey === undefined || typeof membership !== 'string') {
    throw new Error(`event ${pdu.eventId} is not a member event`)
  }
  const row = yield* step('getRoomRow', ctx.roomId)
  if (row?.currentStateGroup !== undefined) {
    throw new Error(`room ${ctx.roomId} is held: its memberships follow its state`)
  }
  if ((yield* step('findEvent', pdu.eventId)) !== undefined) {
    return { result: { kind: 'duplicate', streamPosition: undefined }, notification: undefined }
  }
  if (row === undefined) yield* step('insertRoom', ctx.roomId, room, ctx.now)
  yield* step('insertOutliers', [
    {
      eventId: pdu.eventId,
      roomId: ctx.roomId,
      type: pdu.type,
      stateKey: pdu.stateKey,
      sender: pdu.sender,
      depth: pdu.depth,
      originServerTs: pdu.originServerTs,
      json: canonicalJson(pdu.json),
      rejectionReason: undefined,
      redacts: undefined,
    },
  ])
  const streamPosition = yield* step('allocateStreamPosition')
  const userId = pdu.stateKey as UserId
  yield* step(
    'applyMemberships',
    ctx.roomId,
    [{ userId, membership, eventId: pdu.eventId }],
    [],
    streamPosition,
  )
  const notification: StreamNotification = {
    position: streamPosition,
    roomIds: [],
    userIds: [userId],
    catchUp: false,
  }
  yield* step('notify', notification)
  return { result: { kind: 'inserted', streamPosition }, notification }
}

function isOutlier(existing: ExistingEvent): boolean {
  return existing.streamPosition === undefined && existing.stateGroupBefore === undefined
}

function duplicate(existing: ExistingEvent): PersistResult {
  const { eventId, streamPosition, stateGroupBefore, stateGroupAfter } = existing
  if (
    streamPosition === undefined ||
    stateGroupBefore === undefined ||
    stateGroupAfter === undefined
  ) {
    // Outliers are not written by persistEvent yet; turning one into a timeline event is future work.
    throw new Error(`event ${eventId} is stored as an outlier`)
  }
  return {
    outcome: { kind: 'duplicate', eventId, streamPosition, stateGroupBefore, stateGroupAfter },
    notification: undefined,
  }
}

function* stateBeforeGroup(
  ctx: PersistContext,
  before: StateBeforeInput,
  created: CreatedGroups,
): Steps<number> {
  if ('group' in before) {
    yield* checkGroup(ctx, before.group)
    return before.group
  }
  return yield* createGroup(ctx, before.base, before.delta, created)
}

function* checkGroup(ctx: PersistContext, groupId: number): Steps<{ deltaCount: number }> {
  const group = yield* step('getStateGroup', groupId)
  if (group === undefined) throw new Error(`state group ${groupId} does not exist`)
  if (group.roomId !== ctx.roomId) {
    throw new Error(`state group ${groupId} belongs to ${group.roomId}, not to ${ctx.roomId}`)
  }
  return group
}

/** A group for `base` + `delta`: the base itself for an empty delta, else a delta or snapshot. */
function* createGroup(
  ctx: PersistContext,
  base: number | undefined,
  delta: StateDelta,
  created: CreatedGroups,
): Steps<number> {
  const entries = deltaEntries(delta)
  if (base === undefined) {
    const snapshot = entries.filter((entry) => entry.eventId !== undefined)
    return yield* insertGroup(ctx, undefined, 0, snapshot, created)
  }
  const baseGroup = yield* checkGroup(ctx, base)
  if (entries.length === 0) return base
  if (baseGroup.deltaCount < MAX_DELTA_CHAIN) {
    return yield* insertGroup(ctx, base, baseGroup.deltaCount + 1, entries, created)
  }
  const full = new StateMap(yield* loadStateSteps(base, ctx.cache, new Set(created.keys())))
  for (const entry of entries) {
    if (entry.eventId === undefined) full.delete(entry.type, entry.stateKey)
    else full.set(entry.type, entry.stateKey, entry.eventId)
  }
  const snapshot: GroupEntry[] = []
  for (const [type, stateKey, eventId] of full) snapshot.push({ type, stateKey, eventId })
  return yield* insertGroup(ctx, undefined, 0, snapshot, created)
}

function* insertGroup(
  ctx: PersistContext,
  prev: number | undefined,
  deltaCount: number,
  entries: readonly GroupEntry[],
  created: CreatedGroups,
): Steps<number> {
  const id = yield* step('insertStateGroup', ctx.roomId, prev, deltaCount, entries)
  created.set(id, { prev, entries })
  return id
}

/** One entry per key; a key both set and removed is set (removals apply first). */
function deltaEntries(delta: StateDelta): GroupEntry[] {
  const keyed = new StateMap<EventId | undefined>()
  for (const [type, stateKey] of delta.remove) keyed.set(type, stateKey, undefined)
  for (const [type, stateKey, eventId] of delta.set) keyed.set(type, stateKey, eventId)
  const entries: GroupEntry[] = []
  for (const [type, stateKey, eventId] of keyed) entries.push({ type, stateKey, eventId })
  return entries
}

/**
 * How the room's current state changes when it moves from group `from` to group `to`. Usually
 * `to` was stacked on `from` by this very transaction, and the deltas are the answer; otherwise
 * (a fork settled by state resolution, a snapshot) the two full states are compared.
 */
function* currentStateChanges(
  ctx: PersistContext,
  from: number | undefined,
  to: number,
  created: CreatedGroups,
): Steps<StateChanges> {
  const layers: (readonly GroupEntry[])[] = []
  let cursor = to
  while (cursor !== from) {
    const group = created.get(cursor)
    if (group === undefined || group.prev === undefined) break
    layers.push(group.entries)
    cursor = group.prev
  }
  if (cursor === from) return mergeDeltas(layers)
  const uncommitted = new Set(created.keys())
  const old = from === undefined ? undefined : yield* loadStateSteps(from, ctx.cache, uncommitted)
  return diffStates(old, yield* loadStateSteps(to, ctx.cache, uncommitted))
}

function* membershipChanges(
  changes: StateChanges,
  input: PersistEventInput,
): Steps<{ set: MembershipChange[]; remove: UserId[] }> {
  const set: MembershipChange[] = []
  const remove: UserId[] = []
  const toLoad: EventId[] = []
  for (const [type, , eventId] of changes.set) {
    if (type === MEMBER && eventId !== input.pdu.eventId) toLoad.push(eventId)
  }
  const contents = new Map<EventId, unknown>()
  contents.set(input.pdu.eventId, input.pdu.content)
  if (toLoad.length > 0) {
    for (const row of yield* step('eventJson', toLoad)) {
      const parsed: unknown = JSON.parse(row.json)
      contents.set(row.eventId, isJsonObject(parsed) ? parsed['content'] : undefined)
    }
  }
  for (const [type, stateKey, eventId] of changes.set) {
    if (type !== MEMBER) continue
    const content = contents.get(eventId)
    const membership = isJsonObject(content) ? content['membership'] : undefined
    if (typeof membership !== 'string') {
      throw new Error(`member event ${eventId} in the new current state has no membership`)
    }
    // The auth rules only accept member events whose state key is a user ID.
    set.push({ userId: stateKey as UserId, membership, eventId })
  }
  for (const [type, stateKey] of changes.remove) {
    if (type === MEMBER) remove.push(stateKey as UserId)
  }
  return { set, remove }
}

import type { EventId, RoomId, UserId } from '@rhizome/core'
import type { NewRoom, StateEntry, StateKeyPair, StreamNotification, TxnKey } from '../interface.js'
import type { EventRelation, SearchEntry } from './event-index.js'

/**
 * The primitive reads and writes that the shared storage logic (persisting an event, loading a
 * state group) is made of. Each dialect implements them with its own SQL, on the connection and
 * inside the transaction that runs the logic. SQLite implements them synchronously, PostgreSQL
 * asynchronously (see steps.ts).
 */
export interface EngineOps {
  findEvent(eventId: EventId): ExistingEvent | undefined
  findTxn(txn: TxnKey): EventId | undefined
  /** Binds the transaction ID to the event; false, changing nothing, when it is bound already. */
  claimTxn(txn: TxnKey, roomId: RoomId, eventId: EventId, createdTs: number): boolean
  getRoomRow(roomId: RoomId): { readonly currentStateGroup: number | undefined } | undefined
  insertRoom(roomId: RoomId, room: NewRoom, createdTs: number): void
  getStateGroup(groupId: number): StateGroupRow | undefined
  /** The group and its ancestors up to the nearest snapshot, the group first. */
  stateGroupChain(groupId: number): readonly StateGroupRow[]
  stateGroupEntries(groupIds: readonly number[]): readonly StateGroupEntryRow[]
  insertStateGroup(
    roomId: RoomId,
    prevGroup: number | undefined,
    deltaCount: number,
    entries: readonly GroupEntry[],
  ): number
  /** The stored JSON of the events that exist among `eventIds`. */
  eventJson(
    eventIds: readonly EventId[],
  ): readonly { readonly eventId: EventId; readonly json: string }[]
  /** Takes the next global stream position; holds the counter until the transaction ends. */
  allocateStreamPosition(): number
  /** Takes `count` positions below all others (RoomWriter.reserveBackfillPositions). */
  reserveBackfillPositions(count: number): number
  /**
   * The event row with its prev and auth edges; takes redacted_by from an earlier redaction. Its
   * relation and search text, when given, are indexed unless that redaction exists.
   */
  insertEvent(row: NewEventRow): void
  /** An outlier row (no stream position, no state groups); nothing when the event exists. */
  insertOutlier(row: OutlierRow): void
  /** Outlier rows for the events not stored yet, in one statement; returns how many were added. */
  insertOutliers(rows: readonly OutlierRow[]): number
  /** Deletes the event's row if it is an outlier, so it can be stored as a timeline event. */
  deleteOutlier(eventId: EventId): void
  /** Sets redacted_by, and drops the target's relation and search text (they are content). */
  markRedacted(roomId: RoomId, targetId: EventId, redactionId: EventId): void
  applyCurrentState(
    roomId: RoomId,
    set: readonly StateEntry[],
    remove: readonly StateKeyPair[],
  ): void
  applyMemberships(
    roomId: RoomId,
    set: readonly MembershipChange[],
    remove: readonly UserId[],
    streamPosition: number,
  ): void
  setForwardExtremities(roomId: RoomId, eventIds: readonly EventId[]): void
  setCurrentStateGroup(roomId: RoomId, groupId: number): void
  /** Sends the wake-up when the transaction commits (and only then). */
  notify(notification: StreamNotification): void
}

export interface ExistingEvent {
  readonly eventId: EventId
  readonly streamPosition: number | undefined
  readonly stateGroupBefore: number | undefined
  readonly stateGroupAfter: number | undefined
}

export interface StateGroupRow {
  readonly id: number
  readonly roomId: RoomId
  readonly prevGroup: number | undefined
  /** Deltas between this group and its snapshot: 0 for a snapshot. */
  readonly deltaCount: number
}

/** An entry of a group: eventId undefined means the key was removed in this delta. */
export interface GroupEntry {
  readonly type: string
  readonly stateKey: string
  readonly eventId: EventId | undefined
}

export interface StateGroupEntryRow extends GroupEntry {
  readonly groupId: number
}

export interface NewEventRow {
  readonly eventId: EventId
  readonly roomId: RoomId
  readonly type: string
  readonly stateKey: string | undefined
  readonly sender: UserId
  readonly depth: number
  readonly originServerTs: number
  readonly json: string
  readonly streamPosition: number
  readonly rejectionReason: string | undefined
  readonly stateGroupBefore: number
  readonly stateGroupAfter: number
  readonly redacts: EventId | undefined
  readonly prevEvents: readonly EventId[]
  /** Only for an accepted event: what event-index.ts found in its content. */
  readonly relation?: EventRelation
  readonly search?: SearchEntry
}

export interface OutlierRow {
  readonly eventId: EventId
  readonly roomId: RoomId
  readonly type: string
  readonly stateKey: string | undefined
  readonly sender: UserId
  readonly depth: number
  readonly originServerTs: number
  readonly json: string
  readonly rejectionReason: string | undefined
  readonly redacts: EventId | undefined
}

export interface MembershipChange {
  readonly userId: UserId
  readonly membership: string
  readonly eventId: EventId
}

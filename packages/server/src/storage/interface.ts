import type {
  EventId,
  JsonObject,
  Pdu,
  ReadonlyStateMap,
  Result,
  RoomId,
  StateMap,
  UserId,
} from '@rhizome/core'
import type { SyncStore } from './sync-store.js'
import type { ForgottenRoomStore } from './forgotten-room-store.js'
import type { PresenceStore } from './presence-store.js'
import type { TypingStore } from './typing-store.js'
import type { RoomAliasStore } from './room-alias-store.js'
import type { UiaSessionStore } from './uia-session-store.js'
import type { PushStore } from './push-store.js'
import type { ReceiptStore } from './receipt-store.js'
import type { ProfileStore } from './profile-store.js'
import type { RoomDirectoryStore } from './room-directory-store.js'
import type { RelationStore } from './relation-store.js'
import type { SearchStore } from './search-store.js'
import type { ReportStore } from './report-store.js'
import type { PusherStore } from './pusher-store.js'
import type {
  DeviceListStore,
  E2eKeyStore,
  RemoteDeviceListStore,
  ToDeviceStore,
} from './e2e-key-store.js'
import type { KeyBackupStore } from './key-backup-store.js'
import type { MediaStore } from './media-store.js'
import type { FederationQueueStore } from './federation-queue-store.js'
import type { RemoteKeyStore } from '../federation/keys/remote-key-store.js'

export type { RoomMemberSummary, SyncStore } from './sync-store.js'

/**
 * The homeserver's storage: one interface, implemented for SQLite (embedded, single process) and
 * PostgreSQL (shared by several worker processes). Both pass the contract suite in ./contract.
 *
 * Every method resolves after the data is committed. Anything that several processes must agree
 * on (stream positions, per-room write order, sync wake-ups) lives in the database or travels
 * through it; the only in-process state is caches of immutable data (state groups).
 */
export interface Storage {
  readonly dialect: Dialect
  readonly accounts: AccountStore
  readonly rooms: RoomStore
  readonly events: EventStore
  readonly state: StateStore
  readonly accountData: AccountDataStore
  readonly filters: FilterStore
  readonly streams: StreamStore
  /** Batched reads for /sync (sync-store.ts). */
  readonly sync: SyncStore
  /** User-interactive auth sessions and admin-registration nonces (see uia-session-store.ts). */
  readonly uiaSessions: UiaSessionStore
  /** The room aliases this server hosts (see room-alias-store.ts). */
  readonly roomAliases: RoomAliasStore
  /** Rooms users have forgotten (see forgotten-room-store.ts). */
  readonly forgottenRooms: ForgottenRoomStore
  /** Read receipts (see receipt-store.ts). */
  readonly receipts: ReceiptStore
  /** Push actions, read positions and the push processor's position (see push-store.ts). */
  readonly push: PushStore
  /** Users' profiles and the user directory search (see profile-store.ts). */
  readonly profiles: ProfileStore
  /** The published room directory (see room-directory-store.ts). */
  readonly roomDirectory: RoomDirectoryStore
  /** Event relations: children, bundled aggregations, threads (see relation-store.ts). */
  readonly relations: RelationStore
  /** Full-text search of room events (see search-store.ts). */
  readonly search: SearchStore
  /** Typing notices, with their expiry (see typing-store.ts). */
  readonly typing: TypingStore
  /** Users' presence (see presence-store.ts). */
  readonly presence: PresenceStore
  /** Reports of content, rooms and users, for administrators (see report-store.ts). */
  readonly reports: ReportStore
  /** HTTP pushers, each tied to a device (see pusher-store.ts). */
  readonly pushers: PusherStore
  /** Devices' and users' end-to-end encryption keys (see e2e-key-store.ts). */
  readonly e2eKeys: E2eKeyStore
  /** Whose device lists changed, for /sync and /keys/changes (see e2e-key-store.ts). */
  readonly deviceLists: DeviceListStore
  /** Other servers' users' device lists, kept while they share rooms (see e2e-key-store.ts). */
  readonly remoteDeviceLists: RemoteDeviceListStore
  /** Messages queued for devices (see e2e-key-store.ts). */
  readonly toDevice: ToDeviceStore
  /** Server-side backups of users' encrypted room keys (see key-backup-store.ts). */
  readonly keyBackups: KeyBackupStore
  /** The content repository's metadata and thumbnail cache (see media-store.ts). */
  readonly media: MediaStore
  /** PDUs and EDUs waiting to be sent to other servers (see federation-queue-store.ts). */
  readonly federationQueue: FederationQueueStore
  /** Other servers' signing keys (see federation/keys/remote-key-store.ts). */
  readonly remoteKeys: RemoteKeyStore
  /**
   * Runs `fn` while holding the room's write lock: in this process (an async mutex per room) and,
   * on PostgreSQL, across processes (an advisory lock on the connection that `room` uses). Writes
   * to one room are therefore serialized; different rooms proceed in parallel. The writer is only
   * valid until `fn` settles. Not reentrant: `fn` must not take the same room's lock again.
   */
  withRoomWriteLock<T>(roomId: RoomId, fn: (room: RoomWriter) => Promise<T>): Promise<T>
  close(): Promise<void>
}

export type Dialect = 'sqlite' | 'postgres'

// ---------------------------------------------------------------------------------------------
// Streams

/**
 * The global stream position: one counter for everything clients sync on (room events, account
 * data; later receipts and to-device messages). Positions are handed out inside write
 * transactions and become visible in commit order without gaps, so a reader that sees position P
 * can read everything at or below P.
 */
export interface StreamStore {
  currentPosition(): Promise<number>
  readonly notifier: StreamNotifier
}

export interface StreamNotification {
  /** The position the write committed at (for a catch-up, the current position). */
  readonly position: number
  /** Rooms that got new events. */
  readonly roomIds: readonly RoomId[]
  /** Users with news outside their joined rooms' timelines: account data, membership changes. */
  readonly userIds: readonly UserId[]
  /**
   * Notifications may have been missed (the listening connection was lost and came back), so
   * every waiter should check the stream again.
   */
  readonly catchUp: boolean
}

export type StreamListener = (notification: StreamNotification) => void

/** Wakes waiters after commits, in this process and (PostgreSQL) in every other process. */
export interface StreamNotifier {
  /** Returns the function that unsubscribes. A listener that throws is logged and kept. */
  subscribe(listener: StreamListener): () => void
}

// ---------------------------------------------------------------------------------------------
// Room writes

/** A write session on one room, handed out by Storage.withRoomWriteLock. */
export interface RoomWriter {
  readonly roomId: RoomId
  /** The room's stored forward extremities with their depths (empty for an unknown room). */
  getForwardExtremities(): Promise<readonly ForwardExtremity[]>
  /** The state group of the room's current state, undefined for an unknown room. */
  getCurrentStateGroup(): Promise<number | undefined>
  /**
   * Stores one event with its edges, auth events, state groups, current state, memberships,
   * forward extremities, transaction ID, stream position and wake-up, all in one transaction.
   * Idempotent: an event ID that is already stored, or a transaction ID that is already bound to
   * an event, returns 'duplicate' with what was stored then, and changes nothing.
   *
   * Throws (a programmer error, nothing written) when the event is for another room, when the
   * room is unknown and `room` is not given, or when a state group does not exist.
   */
  persistEvent(input: PersistEventInput): Promise<PersistOutcome>
  /**
   * Stores events as outliers: held (for their auth chains, as state received from another
   * server) but not in the timeline, with no stream position and no state groups, in one
   * transaction. Events already stored are left as they are; returns how many were added. The
   * room need not be stored yet. An outlier persisted later with persistEvent becomes a timeline
   * event.
   */
  persistOutliers(events: readonly OutlierInput[]): Promise<number>
  /**
   * Records a local user's membership in a room this server does not hold: an invite or a knock
   * answered by another server, or the leave that rejects or withdraws one. The event is stored
   * as an outlier and the membership is made current at a new stream position, with a wake-up,
   * so that the user's /sync shows it. The room gets a row without state (which getRoom does not
   * return) when it has none; joining the room later fills it in. Idempotent: an event already
   * stored changes nothing. Throws when the room is held (its memberships follow its state).
   */
  persistOutOfBandMembership(pdu: Pdu, room: NewRoom): Promise<OutOfBandOutcome>
  /**
   * Reserves `count` positions below every position handed out so far, for history fetched from
   * other servers (PersistEventInput.backfillPosition); returns the lowest. Positions below zero
   * are never reported by /sync as new, and a block taken later lies below the earlier ones, so
   * older history sorts first.
   */
  reserveBackfillPositions(count: number): Promise<number>
}

export interface OutOfBandOutcome {
  readonly kind: 'inserted' | 'duplicate'
  /** The membership's position; undefined for a duplicate. */
  readonly streamPosition: number | undefined
}

export interface OutlierInput {
  readonly pdu: Pdu
  /** Set for an event that failed its own auth checks. */
  readonly rejectionReason?: string
}

export interface ForwardExtremity {
  readonly eventId: EventId
  readonly depth: number
}

export interface PersistEventInput {
  readonly pdu: Pdu
  /** Set for an event that failed the auth checks: it is kept, but changes no state. */
  readonly rejectionReason?: string
  /** The state before the event. */
  readonly stateBefore: StateBeforeInput
  /** The room's forward extremities after this event: the full set, computed by the caller. */
  readonly newForwardExtremities: readonly EventId[]
  /**
   * 'advance': the state after this event becomes the room's current state (current_state and
   * memberships follow it). 'keep': the event does not change the current state (for instance an
   * event on a side branch that the caller resolved differently, or a rejected one).
   * `{ resolved }`: the current state becomes that state, which the caller resolved across the
   * room's forward extremities after this event (an event from another server on a fork).
   */
  readonly currentState: 'advance' | 'keep' | { readonly resolved: StateBeforeInput }
  /** The client transaction that sent it, for idempotent retries. */
  readonly txn?: TxnKey
  /** Creates the room's row; required for the first event stored in a room. */
  readonly room?: NewRoom
  /**
   * History older than the room's timeline, at a position from reserveBackfillPositions: the
   * event leaves the forward extremities, the current state and the memberships alone
   * (`currentState` must be 'keep'), and wakes nobody.
   */
  readonly backfillPosition?: number
}

/**
 * The state before an event: an existing state group, or a new one made of a base group (none
 * for a state built from scratch) and a delta. State after the event is derived automatically:
 * an accepted state event sets its own key.
 */
export type StateBeforeInput =
  { readonly group: number } | { readonly base: number | undefined; readonly delta: StateDelta }

export interface StateDelta {
  readonly set: readonly StateEntry[]
  readonly remove: readonly StateKeyPair[]
}

export type StateEntry = readonly [type: string, stateKey: string, eventId: EventId]
export type StateKeyPair = readonly [type: string, stateKey: string]

export interface TxnKey {
  readonly userId: UserId
  readonly deviceId: string
  readonly txnId: string
}

export interface NewRoom {
  readonly version: string
  readonly creator: UserId
  readonly isPublic: boolean
}

export interface PersistOutcome {
  readonly kind: 'inserted' | 'duplicate'
  /** The stored event: for a duplicate transaction ID, the event that the transaction sent. */
  readonly eventId: EventId
  readonly streamPosition: number
  readonly stateGroupBefore: number
  readonly stateGroupAfter: number
}

// ---------------------------------------------------------------------------------------------
// Events

export interface StoredEvent {
  /** The typed view of the event as it was stored. */
  readonly pdu: Pdu
  /** The stored bytes: canonical JSON of the PDU, exactly as persisted. */
  readonly json: string
  readonly roomVersion: string
  /** Undefined for an outlier, which is held but is not part of our timeline. */
  readonly streamPosition: number | undefined
  readonly rejectionReason: string | undefined
  readonly redactedBy: EventId | undefined
  readonly stateGroupBefore: number | undefined
  readonly stateGroupAfter: number | undefined
}

/**
 * Event filters applied in SQL. `types` and `notTypes` accept `*` as a wildcard for any sequence
 * of characters (client-server-api §Filtering); senders match exactly. An empty `types` or
 * `senders` list matches nothing.
 */
export interface EventFilter {
  readonly types?: readonly string[]
  readonly notTypes?: readonly string[]
  readonly senders?: readonly UserId[]
  readonly notSenders?: readonly UserId[]
  /**
   * true: only events whose content has a string `url`; false: only the others. A redacted event
   * has no content left, so no `url`.
   */
  readonly containsUrl?: boolean
  /**
   * The viewer's ignored users (client-server-api §Ignoring Users): their events are left out,
   * except state events, which a client still needs to see the room as it is.
   */
  readonly ignoredSenders?: readonly UserId[]
}

/**
 * A page of a room's timeline by stream position. A position token T stands between the events
 * at T and T+1. Forwards from T gives the events at positions > T (up to `to`, inclusive), oldest
 * first; backwards from T gives those at positions <= T (down to `to`, exclusive), newest first.
 * Without `from`, forwards starts at the beginning and backwards at the end. Rejected events are
 * never returned.
 */
export interface TimelineQuery {
  readonly direction: 'f' | 'b'
  readonly from?: number
  readonly to?: number
  readonly limit: number
  readonly filter?: EventFilter
}

export interface TimelinePage {
  readonly events: readonly StoredEvent[]
  /** The token to continue from, or undefined when this page reached the end. */
  readonly next: number | undefined
}

export interface EventsSinceQuery {
  /** Undefined for an initial sync: the latest events. */
  readonly since: number | undefined
  /** Inclusive upper bound, normally the stream position read when the sync started. */
  readonly upTo: number
  readonly limitPerRoom: number
  readonly filter?: EventFilter
}

export interface RoomEventsSince {
  /** Oldest first: the latest `limitPerRoom` events in (since, upTo]. */
  readonly events: readonly StoredEvent[]
  /** More events in the range were left out. */
  readonly limited: boolean
}

export interface EventStore {
  getEvents(eventIds: readonly EventId[]): Promise<ReadonlyMap<EventId, StoredEvent>>
  getEvent(eventId: EventId): Promise<StoredEvent | undefined>
  /** Which of the IDs are stored (cheap: no event is loaded). */
  haveEvents(eventIds: readonly EventId[]): Promise<ReadonlySet<EventId>>
  getEventByTxn(userId: UserId, deviceId: string, txnId: string): Promise<StoredEvent | undefined>
  roomTimeline(roomId: RoomId, query: TimelineQuery): Promise<TimelinePage>
  /** Rooms without events in the range are left out of the map. */
  eventsSince(
    roomIds: readonly RoomId[],
    query: EventsSinceQuery,
  ): Promise<ReadonlyMap<RoomId, RoomEventsSince>>
}

// ---------------------------------------------------------------------------------------------
// Rooms and state

/** A room this server holds: its row has a current state (see persistOutOfBandMembership). */
export interface RoomRecord {
  readonly roomId: RoomId
  readonly version: string
  readonly creator: UserId
  readonly createdTs: number
  /** Listed in the public room directory. */
  readonly isPublic: boolean
  readonly currentStateGroup: number | undefined
}

export interface MembershipRecord {
  readonly roomId: RoomId
  readonly userId: UserId
  /** As in the member event's content (`join`, `invite`, `leave`, `ban`, `knock`). */
  readonly membership: string
  readonly eventId: EventId
  /** The position of the write that made this membership current. */
  readonly streamPosition: number
}

export interface RoomStore {
  getRoom(roomId: RoomId): Promise<RoomRecord | undefined>
  getCurrentState(roomId: RoomId): Promise<StateMap<EventId>>
  /** The events of the current state, of the given types when `types` is set. */
  getCurrentStateEvents(roomId: RoomId, types?: readonly string[]): Promise<readonly StoredEvent[]>
  getCurrentStateEvent(
    roomId: RoomId,
    type: string,
    stateKey: string,
  ): Promise<StoredEvent | undefined>
  getMembership(roomId: RoomId, userId: UserId): Promise<MembershipRecord | undefined>
  roomsForUser(userId: UserId, memberships: readonly string[]): Promise<readonly MembershipRecord[]>
  joinedMembers(roomId: RoomId): Promise<readonly UserId[]>
  /** The user's memberships that became current after `since`, oldest first. */
  membershipChangesSince(userId: UserId, since: number): Promise<readonly MembershipRecord[]>
  setDirectoryVisibility(roomId: RoomId, isPublic: boolean): Promise<boolean>
  publicRooms(): Promise<readonly RoomId[]>
}

export interface StateStore {
  /**
   * The full state of a group. Groups are immutable, so the result comes from a cache shared by
   * all callers: copy it (`new StateMap(state)`) before changing it.
   */
  loadState(groupId: number): Promise<ReadonlyStateMap<EventId>>
  /** How a group is stored (for diagnostics and tests); undefined for an unknown group. */
  groupInfo(groupId: number): Promise<StateGroupInfo | undefined>
}

export interface StateGroupInfo {
  readonly roomId: RoomId
  /** The group this one is a delta on; undefined for a full snapshot. */
  readonly prevGroup: number | undefined
  /** Deltas between this group and its snapshot (0 for a snapshot). */
  readonly deltaCount: number
}

// ---------------------------------------------------------------------------------------------
// Accounts

export interface UserRecord {
  readonly userId: UserId
  readonly localpart: string
  readonly passwordHash: string | undefined
  readonly isAdmin: boolean
  readonly isDeactivated: boolean
  readonly createdTs: number
}

export interface NewUser {
  readonly userId: UserId
  readonly passwordHash?: string
  readonly isAdmin?: boolean
  readonly createdTs: number
  /** The display name of the profile made with the account (profile-store.ts); none when absent. */
  readonly displayName?: string
}

export interface UserInUse {
  readonly errcode: 'M_USER_IN_USE'
  readonly error: string
}

export interface DeviceRecord {
  readonly userId: UserId
  readonly deviceId: string
  readonly displayName: string | undefined
  readonly lastSeenTs: number | undefined
  readonly lastSeenIp: string | undefined
  readonly createdTs: number
}

export interface NewDevice {
  readonly userId: UserId
  readonly deviceId: string
  readonly displayName?: string
  readonly createdTs: number
}

export interface NewAccessToken {
  /** A hash of the token (for instance base64 of its SHA-256): the token itself is never stored. */
  readonly tokenHash: string
  readonly userId: UserId
  readonly deviceId: string
  readonly createdTs: number
}

/** What a request's access token resolves to, read with one indexed query. */
export interface AccessTokenRecord {
  readonly userId: UserId
  readonly deviceId: string
  readonly isAdmin: boolean
  readonly isDeactivated: boolean
  readonly createdTs: number
  readonly lastUsedTs: number | undefined
}

export interface RegistrationTokenRecord {
  readonly token: string
  /** Undefined: unlimited. */
  readonly usesAllowed: number | undefined
  /** Registrations that passed the token stage and have not finished yet. */
  readonly pending: number
  readonly completed: number
  /** Milliseconds since the epoch; undefined: never expires. */
  readonly expiryTime: number | undefined
}

export interface NewRegistrationToken {
  readonly token: string
  readonly usesAllowed?: number
  readonly expiryTime?: number
}

export interface RegistrationTokenUpdate {
  /** null: unlimited. */
  readonly usesAllowed?: number | null
  /** null: never expires. */
  readonly expiryTime?: number | null
}

export interface AccountStore {
  /** Atomic: of two registrations of one user ID, exactly one succeeds. */
  createUser(user: NewUser): Promise<Result<UserRecord, UserInUse>>
  getUser(userId: UserId): Promise<UserRecord | undefined>
  setPasswordHash(userId: UserId, passwordHash: string | undefined): Promise<boolean>
  setAdmin(userId: UserId, isAdmin: boolean): Promise<boolean>
  /** Marks the user deactivated, forgets the password and deletes every device and token. */
  deactivate(userId: UserId): Promise<boolean>
  /**
   * Deactivated users who are still joined to, invited to or knocking on a room: leaving them
   * is done after deactivation, and this finds what an interruption left undone.
   */
  deactivatedUsersInRooms(): Promise<readonly UserId[]>

  /** Creates the device, or keeps an existing one with that ID (then `created` is false). */
  createDevice(
    device: NewDevice,
  ): Promise<{ readonly created: boolean; readonly device: DeviceRecord }>
  getDevice(userId: UserId, deviceId: string): Promise<DeviceRecord | undefined>
  listDevices(userId: UserId): Promise<readonly DeviceRecord[]>
  updateDeviceDisplayName(
    userId: UserId,
    deviceId: string,
    displayName: string | undefined,
  ): Promise<boolean>
  recordDeviceSeen(userId: UserId, deviceId: string, ts: number, ip: string): Promise<void>
  /** Deletes the devices and their access tokens; returns how many devices there were. */
  deleteDevices(userId: UserId, deviceIds: readonly string[]): Promise<number>

  createAccessToken(token: NewAccessToken): Promise<void>
  lookupAccessToken(tokenHash: string): Promise<AccessTokenRecord | undefined>
  /** For the caller to call now and then, not on every request: it is a write. */
  touchAccessToken(tokenHash: string, ts: number): Promise<void>
  deleteAccessToken(tokenHash: string): Promise<boolean>
  /** Returns how many were deleted. */
  deleteAllAccessTokens(userId: UserId, exceptTokenHash?: string): Promise<number>
  /**
   * Deletes the tokens of one device, keeping the device (a login that names an existing device
   * invalidates its earlier tokens). Returns how many were deleted.
   */
  deleteDeviceAccessTokens(userId: UserId, deviceId: string): Promise<number>

  /** False when the token exists already. */
  createRegistrationToken(token: NewRegistrationToken): Promise<boolean>
  getRegistrationToken(token: string): Promise<RegistrationTokenRecord | undefined>
  listRegistrationTokens(): Promise<readonly RegistrationTokenRecord[]>
  updateRegistrationToken(
    token: string,
    update: RegistrationTokenUpdate,
  ): Promise<RegistrationTokenRecord | undefined>
  deleteRegistrationToken(token: string): Promise<boolean>
  /**
   * Takes one use of a valid token (not expired at `now`, uses left counting pending ones) for a
   * registration in progress. False, and nothing changes, when the token cannot be used.
   */
  reserveRegistrationToken(token: string, now: number): Promise<boolean>
  /** The reserved registration finished: pending - 1, completed + 1. */
  completeRegistrationToken(token: string): Promise<void>
  /** The reserved registration was abandoned: pending - 1. */
  releaseRegistrationToken(token: string): Promise<void>
}

// ---------------------------------------------------------------------------------------------
// Account data and filters

export interface AccountDataRecord {
  /** Undefined for global account data. */
  readonly roomId: RoomId | undefined
  readonly type: string
  readonly content: JsonObject
  readonly streamPosition: number
}

export interface AccountDataStore {
  /** Stores the content and returns the stream position of the change. */
  set(
    userId: UserId,
    roomId: RoomId | undefined,
    type: string,
    content: JsonObject,
  ): Promise<number>
  get(userId: UserId, roomId: RoomId | undefined, type: string): Promise<JsonObject | undefined>
  /**
   * Reads the content and stores what `change` makes of it, in one transaction, so a concurrent
   * change to the same data is not lost (two tags added at once). When `change` returns undefined
   * nothing is written and the result is undefined; otherwise it is the change's position.
   */
  update(
    userId: UserId,
    roomId: RoomId | undefined,
    type: string,
    change: (current: JsonObject | undefined) => JsonObject | undefined,
  ): Promise<number | undefined>
  /** Changes in (since, upTo], oldest first; without `since`, all of the user's account data. */
  changesSince(
    userId: UserId,
    since: number | undefined,
    upTo?: number,
  ): Promise<readonly AccountDataRecord[]>
}

export interface FilterStore {
  /** Returns the new filter's ID. */
  create(userId: UserId, filter: JsonObject): Promise<string>
  get(userId: UserId, filterId: string): Promise<JsonObject | undefined>
}

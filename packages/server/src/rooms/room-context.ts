import type {
  CryptoProvider,
  EventId,
  JsonObject,
  Pdu,
  Result,
  RoomAlias,
  RoomId,
  RoomVersionRules,
  ServerName,
  SigningKey,
  UserId,
} from '@rhizome/core'
import {
  ClientEventSerializer,
  type TransactionIdLookup,
  type Viewer,
} from '../events/client-event-serializer.js'
import type { Requester } from '../http/authenticate.js'
import type { ServerError } from '../http/errors.js'
import type { Storage } from '../storage/interface.js'
import { EventPipeline } from './event-pipeline.js'
import { RoomHistoryView } from './history-visibility.js'
import { PduLoader } from './pdu-loader.js'
import type { RemoteHierarchySource } from './space-hierarchy-remote.js'

/** A user's profile, copied into their member events as other servers do. */
export interface MemberProfile {
  readonly displayname?: string
  readonly avatar_url?: string
}

export type ProfileLookup = (userId: UserId) => Promise<MemberProfile>

export interface RoomServiceDeps {
  readonly storage: Storage
  readonly serverName: ServerName
  readonly signingKey: SigningKey
  readonly crypto: CryptoProvider
  readonly now: () => number
  /** Reads back the sending device's transaction IDs for `unsigned.transaction_id`. */
  readonly transactionIds?: TransactionIdLookup
  /** The profile to put in a user's join; none when absent. */
  readonly profile?: ProfileLookup
  /** Rooms shared with other servers; without it, every room is this server's alone. */
  readonly federation?: RoomFederation
}

/** What the room service asks of federation (src/federation/room-federation.ts). */
export interface RoomFederation {
  /** Joins a room this server is not in, through the servers named; the join's event ID. */
  joinRemote(
    roomId: RoomId,
    userId: UserId,
    servers: readonly ServerName[],
    content: JsonObject,
  ): Promise<Result<EventId, ServerError>>
  /**
   * A new event of this server's, stored: it is queued for the other servers in its room (the
   * send waits for that, so what a client was told is sent is queued durably).
   */
  readonly eventCreated: (pdu: Pdu) => Promise<void>
  /**
   * The invite of a user of another server, with that server's signature added (it must sign
   * before the invite goes into the room); `roomState` helps the invitee recognise the room.
   */
  inviteRemote(
    invite: Pdu,
    rules: RoomVersionRules,
    roomState: readonly JsonObject[],
  ): Promise<Result<Pdu, ServerError>>
  /** Knocks on a room this server is not in, through the servers named; the knock's event ID. */
  knockRemote(
    roomId: RoomId,
    userId: UserId,
    servers: readonly ServerName[],
    content: JsonObject,
  ): Promise<Result<EventId, ServerError>>
  /**
   * Leaves a room this server is not in (rejects an invite, withdraws a knock), through the
   * servers named; the leave's event ID.
   */
  leaveRemote(
    roomId: RoomId,
    userId: UserId,
    servers: readonly ServerName[],
    content: JsonObject,
  ): Promise<Result<EventId, ServerError>>
  /**
   * Fetches history older than the oldest event this server has of the room from the other
   * servers in it; resolves to how many events were stored. Absent when federation is off.
   */
  readonly backfill?: (roomId: RoomId, limit: number) => Promise<number>
  /** The room an alias of another server names, with servers to join through. */
  resolveAlias(
    alias: RoomAlias,
  ): Promise<
    Result<{ readonly roomId: RoomId; readonly servers: readonly ServerName[] }, ServerError>
  >
  /** The rooms of spaces that live on other servers; absent when federation is switched off. */
  readonly hierarchy?: RemoteHierarchySource
}

/** What the room service's modules share: the dependencies and the objects built from them. */
export interface RoomContext {
  readonly deps: RoomServiceDeps
  readonly pipeline: EventPipeline
  readonly pdus: PduLoader
  readonly serializer: ClientEventSerializer
}

export function createRoomContext(deps: RoomServiceDeps): RoomContext {
  const pdus = new PduLoader(deps.storage.events)
  return {
    deps,
    pdus,
    pipeline: new EventPipeline({
      ...deps,
      pdus,
      ...(deps.federation === undefined ? {} : { onPersisted: deps.federation.eventCreated }),
    }),
    serializer: new ClientEventSerializer({
      storage: deps.storage,
      now: deps.now,
      ...(deps.transactionIds === undefined ? {} : { transactionIds: deps.transactionIds }),
    }),
  }
}

export function viewerOf(requester: Requester): Viewer {
  return { userId: requester.userId, deviceId: requester.deviceId }
}

export function historyView(ctx: RoomContext, roomId: RoomId, userId: UserId): RoomHistoryView {
  return new RoomHistoryView({ storage: ctx.deps.storage, pdus: ctx.pdus }, roomId, userId)
}

/**
 * The room service: everything clients do with rooms, as one object that the composition root
 * builds and route handlers call. Each method is implemented in the module named for it; all
 * writes go through the event pipeline.
 */
import type { EventId, JsonObject, Result, RoomId, UserId } from '@rhizome/core'
import type { ClientEvent } from '../events/client-event.js'
import type { ClientEventSerializer } from '../events/client-event-serializer.js'
import type { Requester } from '../http/authenticate.js'
import type { ServerError } from '../http/errors.js'
import type { CreateRoomRequest } from './create-room-plan.js'
import { createRoom } from './create-room.js'
import type { EventPipeline } from './event-pipeline.js'
import {
  banUser,
  inviteUser,
  joinRoom,
  kickUser,
  leaveRoom,
  unbanUser,
  type Joined,
  type MembershipChange,
} from './membership.js'
import { createRoomContext, type RoomServiceDeps } from './room-context.js'
import {
  getJoinedMembers,
  getJoinedRooms,
  getMembers,
  getState,
  getStateEvent,
  type MembersQuery,
} from './room-state.js'
import { forgetRoom } from './forget-room.js'
import {
  getRelations,
  getThreads,
  type RelationsPage,
  type RelationsQuery,
  type ThreadsPageJson,
  type ThreadsQuery,
} from './relations.js'
import { search, type SearchResponse } from '../search/room-event-search.js'
import type { SearchRequest } from '../search/search-request.js'
import type { RoomTarget } from './room-aliases.js'
import { knockOnRoom } from './knock.js'
import { upgradeRoom, type UpgradeRequest } from './room-upgrade.js'
import { getSpaceHierarchy, type HierarchyPage, type HierarchyQuery } from './space-hierarchy.js'
import { redactEvent, sendMessage, sendState } from './send.js'
import {
  getContext,
  getEvent,
  getMessages,
  type ContextQuery,
  type EventContext,
  type MessagesPage,
  type MessagesQuery,
} from './timeline.js'

export interface RoomService {
  /** The write path, for other services that create events (profiles, federation). */
  readonly pipeline: EventPipeline
  /** Client event serialization, for other services that serve events (sync). */
  readonly serializer: ClientEventSerializer

  createRoom(requester: Requester, request: CreateRoomRequest): Promise<Result<RoomId, ServerError>>
  join(
    requester: Requester,
    target: RoomTarget,
    change: MembershipChange,
  ): Promise<Result<Joined, ServerError>>
  invite(
    requester: Requester,
    roomId: RoomId,
    target: UserId,
    change: MembershipChange,
  ): Promise<Result<EventId, ServerError>>
  leave(
    requester: Requester,
    roomId: RoomId,
    change: MembershipChange,
  ): Promise<Result<EventId, ServerError>>
  forget(requester: Requester, roomId: RoomId): Promise<Result<void, ServerError>>
  /** Asks to be let in to a room with a `knock` join rule (rooms/knock.ts). */
  knock(
    requester: Requester,
    target: RoomTarget,
    change: MembershipChange,
  ): Promise<Result<RoomId, ServerError>>
  /** Replaces the room with a new one of another version; the new room's ID. */
  upgrade(
    requester: Requester,
    roomId: RoomId,
    request: UpgradeRequest,
  ): Promise<Result<RoomId, ServerError>>
  /** A page of the space tree under the room (rooms/space-hierarchy.ts). */
  getHierarchy(
    requester: Requester,
    roomId: RoomId,
    query: HierarchyQuery,
  ): Promise<Result<HierarchyPage, ServerError>>
  kick(
    requester: Requester,
    roomId: RoomId,
    target: UserId,
    change: MembershipChange,
  ): Promise<Result<EventId, ServerError>>
  ban(
    requester: Requester,
    roomId: RoomId,
    target: UserId,
    change: MembershipChange,
  ): Promise<Result<EventId, ServerError>>
  unban(
    requester: Requester,
    roomId: RoomId,
    target: UserId,
    change: MembershipChange,
  ): Promise<Result<EventId, ServerError>>

  sendMessage(
    requester: Requester,
    roomId: RoomId,
    eventType: string,
    txnId: string,
    content: JsonObject,
  ): Promise<Result<EventId, ServerError>>
  sendState(
    requester: Requester,
    roomId: RoomId,
    eventType: string,
    stateKey: string,
    content: JsonObject,
  ): Promise<Result<EventId, ServerError>>
  redact(
    requester: Requester,
    roomId: RoomId,
    eventId: EventId,
    txnId: string,
    reason: string | undefined,
  ): Promise<Result<EventId, ServerError>>

  getEvent(
    requester: Requester,
    roomId: RoomId,
    eventId: EventId,
  ): Promise<Result<ClientEvent, ServerError>>
  getStateEvent(
    requester: Requester,
    roomId: RoomId,
    eventType: string,
    stateKey: string,
    format: 'content' | 'event',
  ): Promise<Result<JsonObject, ServerError>>
  getState(requester: Requester, roomId: RoomId): Promise<Result<ClientEvent[], ServerError>>
  getMembers(
    requester: Requester,
    roomId: RoomId,
    query: MembersQuery,
  ): Promise<Result<ClientEvent[], ServerError>>
  getJoinedMembers(
    requester: Requester,
    roomId: RoomId,
  ): Promise<Result<Record<string, JsonObject>, ServerError>>
  getJoinedRooms(requester: Requester): Promise<RoomId[]>
  getMessages(
    requester: Requester,
    roomId: RoomId,
    query: MessagesQuery,
  ): Promise<Result<MessagesPage, ServerError>>
  getContext(
    requester: Requester,
    roomId: RoomId,
    eventId: EventId,
    query: ContextQuery,
  ): Promise<Result<EventContext, ServerError>>
  getRelations(
    requester: Requester,
    roomId: RoomId,
    eventId: EventId,
    query: RelationsQuery,
  ): Promise<Result<RelationsPage, ServerError>>
  getThreads(
    requester: Requester,
    roomId: RoomId,
    query: ThreadsQuery,
  ): Promise<Result<ThreadsPageJson, ServerError>>
  search(
    requester: Requester,
    request: SearchRequest,
    nextBatch: string | undefined,
  ): Promise<Result<SearchResponse, ServerError>>
}

export function createRoomService(deps: RoomServiceDeps): RoomService {
  const ctx = createRoomContext(deps)
  return {
    pipeline: ctx.pipeline,
    serializer: ctx.serializer,
    createRoom: (requester, request) => createRoom(ctx, requester, request),
    join: (requester, target, change) => joinRoom(ctx, requester, target, change),
    invite: (requester, roomId, target, change) =>
      inviteUser(ctx, requester, roomId, target, change),
    leave: (requester, roomId, change) => leaveRoom(ctx, requester, roomId, change),
    forget: (requester, roomId) => forgetRoom(ctx, requester, roomId),
    knock: (requester, target, change) => knockOnRoom(ctx, requester, target, change),
    upgrade: (requester, roomId, request) => upgradeRoom(ctx, requester, roomId, request),
    getHierarchy: (requester, roomId, query) => getSpaceHierarchy(ctx, requester, roomId, query),
    kick: (requester, roomId, target, change) => kickUser(ctx, requester, roomId, target, change),
    ban: (requester, roomId, target, change) => banUser(ctx, requester, roomId, target, change),
    unban: (requester, roomId, target, change) => unbanUser(ctx, requester, roomId, target, change),
    sendMessage: (requester, roomId, eventType, txnId, content) =>
      sendMessage(ctx, requester, roomId, eventType, txnId, content),
    sendState: (requester, roomId, eventType, stateKey, content) =>
      sendState(ctx, requester, roomId, eventType, stateKey, content),
    redact: (requester, roomId, eventId, txnId, reason) =>
      redactEvent(ctx, requester, roomId, eventId, txnId, reason),
    getEvent: (requester, roomId, eventId) => getEvent(ctx, requester, roomId, eventId),
    getStateEvent: (requester, roomId, eventType, stateKey, format) =>
      getStateEvent(ctx, requester, roomId, eventType, stateKey, format),
    getState: (requester, roomId) => getState(ctx, requester, roomId),
    getMembers: (requester, roomId, query) => getMembers(ctx, requester, roomId, query),
    getJoinedMembers: (requester, roomId) => getJoinedMembers(ctx, requester, roomId),
    getJoinedRooms: (requester) => getJoinedRooms(ctx, requester),
    getMessages: (requester, roomId, query) => getMessages(ctx, requester, roomId, query),
    getContext: (requester, roomId, eventId, query) =>
      getContext(ctx, requester, roomId, eventId, query),
    getRelations: (requester, roomId, eventId, query) =>
      getRelations(ctx, requester, roomId, eventId, query),
    getThreads: (requester, roomId, query) => getThreads(ctx, requester, roomId, query),
    search: (requester, request, nextBatch) => search(ctx, requester, request, nextBatch),
  }
}

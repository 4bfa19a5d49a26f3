/**
 * The published room directory (client-server-api §Published room directory): `GET` and `POST
 * /publicRooms`, and a room's visibility in it (`GET` and `PUT /directory/list/room/{roomId}`).
 * What is listed, and in which order, is storage/room-directory-store.ts's.
 */
import {
  err,
  ok,
  parseRoomAlias,
  type JsonObject,
  type Result,
  type RoomId,
  type ServerName,
} from '@rhizome/core'
import type { Requester } from '../http/authenticate.js'
import { forbidden, notFound, serverError, type ServerError } from '../http/errors.js'
import type { PublishedRoom } from '../storage/room-directory-store.js'
import type { DirectoryDeps } from './directory-deps.js'
import { decodePublicRoomsToken, encodePublicRoomsToken } from './public-rooms-token.js'
import { mayModerateDirectory } from './room-moderation.js'

export type DirectoryVisibility = 'public' | 'private'

export interface PublicRoomsRequest {
  /** The server whose directory is asked for; undefined for this one. */
  readonly server?: ServerName
  readonly limit?: number
  readonly since?: string
  readonly searchTerm?: string
  readonly roomTypes?: readonly (string | null)[]
  readonly includeAllNetworks?: boolean
  readonly thirdPartyInstanceId?: string
}

/** The spec's PublishedRoomsChunk. */
export interface PublicRoomChunk {
  readonly room_id: RoomId
  readonly num_joined_members: number
  readonly world_readable: boolean
  readonly guest_can_join: boolean
  readonly join_rule: string
  readonly name?: string
  readonly topic?: string
  readonly canonical_alias?: string
  readonly avatar_url?: string
  readonly room_type?: string
}

export interface PublicRoomsResponse {
  readonly chunk: readonly PublicRoomChunk[]
  readonly next_batch?: string
  readonly prev_batch?: string
  readonly total_room_count_estimate: number
}

export async function listPublicRooms(
  deps: DirectoryDeps,
  request: PublicRoomsRequest,
): Promise<Result<PublicRoomsResponse, ServerError>> {
  if (request.server !== undefined && request.server !== deps.serverName) {
    if (deps.remote === undefined) {
      return err(notFound(`The room directory of ${request.server} cannot be asked for`))
    }
    return deps.remote.publicRooms(request.server, federationBody(request))
  }
  if (request.includeAllNetworks === true && request.thirdPartyInstanceId !== undefined) {
    return err(
      serverError(
        'M_INVALID_PARAM',
        'third_party_instance_id can only be used when include_all_networks is false',
      ),
    )
  }
  // Rooms are published to this server's own directory only: no application service has a
  // network here, so a third-party network lists nothing, and all networks are this one.
  if (request.thirdPartyInstanceId !== undefined) {
    return ok({ chunk: [], total_room_count_estimate: 0 })
  }
  const from = request.since === undefined ? undefined : decodePublicRoomsToken(request.since)
  if (from !== undefined && !from.ok) return from
  const page = await deps.storage.roomDirectory.publishedRooms({
    limit: request.limit,
    ...(from === undefined ? {} : { from: from.value }),
    ...(request.searchTerm === undefined ? {} : { searchTerm: request.searchTerm }),
    ...(request.roomTypes === undefined ? {} : { roomTypes: request.roomTypes }),
  })
  const first = page.rooms[0]
  const last = page.rooms.at(-1)
  const backwards = from?.value.direction === 'backwards'
  // Rooms lie after the page when the storage says so (reading forwards) or when the page was
  // read backwards from a later position; before it, the other way round.
  const after = last !== undefined && (backwards || page.more)
  const before = first !== undefined && (backwards ? page.more : from !== undefined)
  return ok({
    chunk: page.rooms.map(chunkOf),
    ...(after ? { next_batch: encodePublicRoomsToken(cursorAt(last, 'forwards')) } : {}),
    ...(before ? { prev_batch: encodePublicRoomsToken(cursorAt(first, 'backwards')) } : {}),
    total_room_count_estimate: page.total,
  })
}

/** The request as the federation `POST /publicRooms` takes it. */
function federationBody(request: PublicRoomsRequest): JsonObject {
  const filter: JsonObject = {
    ...(request.searchTerm === undefined ? {} : { generic_search_term: request.searchTerm }),
    ...(request.roomTypes === undefined ? {} : { room_types: [...request.roomTypes] }),
  }
  return {
    ...(request.limit === undefined ? {} : { limit: request.limit }),
    ...(request.since === undefined ? {} : { since: request.since }),
    ...(Object.keys(filter).length === 0 ? {} : { filter }),
    ...(request.includeAllNetworks === undefined
      ? {}
      : { include_all_networks: request.includeAllNetworks }),
    ...(request.thirdPartyInstanceId === undefined
      ? {}
      : { third_party_instance_id: request.thirdPartyInstanceId }),
  }
}

export async function getVisibility(
  deps: DirectoryDeps,
  roomId: RoomId,
): Promise<Result<{ visibility: DirectoryVisibility }, ServerError>> {
  const room = await deps.storage.rooms.getRoom(roomId)
  if (room === undefined) return err(notFound(`Room ${roomId} is not known to this server`))
  return ok({ visibility: room.isPublic ? 'public' : 'private' })
}

/** Publishes or hides a room: for its moderators and server admins (room-moderation.ts). */
export async function setVisibility(
  deps: DirectoryDeps,
  requester: Requester,
  roomId: RoomId,
  visibility: DirectoryVisibility,
): Promise<Result<void, ServerError>> {
  if (requester.isGuest) {
    return err(serverError('M_GUEST_ACCESS_FORBIDDEN', 'Guests may not publish rooms'))
  }
  if ((await deps.storage.rooms.getRoom(roomId)) === undefined) {
    return err(notFound(`Room ${roomId} is not known to this server`))
  }
  if (!(await mayModerateDirectory(deps, roomId, requester.userId))) {
    return err(
      forbidden(
        "You don't have permission to change the room's visibility in the directory: it takes " +
          'the power to change its canonical alias',
      ),
    )
  }
  await deps.storage.rooms.setDirectoryVisibility(roomId, visibility === 'public')
  return ok(undefined)
}

function cursorAt(room: PublishedRoom, direction: 'forwards' | 'backwards') {
  return { direction, joinedMembers: room.joinedMembers, roomId: room.roomId } as const
}

/** The chunk of a room: fields that are unset, or not what the spec's schema allows, are left out. */
function chunkOf(room: PublishedRoom): PublicRoomChunk {
  const alias = room.canonicalAlias === undefined ? undefined : parseRoomAlias(room.canonicalAlias)
  return {
    room_id: room.roomId,
    num_joined_members: room.joinedMembers,
    world_readable: room.historyVisibility === 'world_readable',
    guest_can_join: room.guestAccess === 'can_join',
    // A room without a join rules event is invite-only (the auth rules' default); the chunk's
    // own default would be public, so it is always given.
    join_rule: room.joinRule ?? 'invite',
    ...(room.name === undefined ? {} : { name: room.name }),
    ...(room.topic === undefined ? {} : { topic: room.topic }),
    ...(alias?.ok === true ? { canonical_alias: alias.value } : {}),
    ...(room.avatarUrl !== undefined && URL.canParse(room.avatarUrl)
      ? { avatar_url: room.avatarUrl }
      : {}),
    ...(room.roomType === undefined ? {} : { room_type: room.roomType }),
  }
}

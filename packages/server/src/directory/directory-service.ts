/**
 * The directories, as one object that the composition root builds and route handlers call: room
 * aliases (room-alias-directory.ts), the published room directory (published-rooms.ts) and the
 * user directory (user-directory.ts).
 */
import type { Result, RoomAlias, RoomId } from '@rhizome/core'
import type { Requester } from '../http/authenticate.js'
import type { ServerError } from '../http/errors.js'
import type { DirectoryDeps } from './directory-deps.js'
import {
  getVisibility,
  listPublicRooms,
  setVisibility,
  type DirectoryVisibility,
  type PublicRoomsRequest,
  type PublicRoomsResponse,
} from './published-rooms.js'
import {
  createAlias,
  deleteAlias,
  localAliases,
  resolveAlias,
  type AliasDeletionLog,
  type ResolvedAlias,
} from './room-alias-directory.js'
import { searchUserDirectory, type UserDirectoryResponse } from './user-directory.js'

export type { DirectoryDeps } from './directory-deps.js'

export class DirectoryService {
  readonly #deps: DirectoryDeps

  constructor(deps: DirectoryDeps) {
    this.#deps = deps
  }

  createAlias(
    requester: Requester,
    alias: RoomAlias,
    roomId: RoomId,
  ): Promise<Result<void, ServerError>> {
    return createAlias(this.#deps, requester, alias, roomId)
  }

  resolveAlias(alias: RoomAlias): Promise<Result<ResolvedAlias, ServerError>> {
    return resolveAlias(this.#deps, alias)
  }

  deleteAlias(
    requester: Requester,
    alias: RoomAlias,
    log: AliasDeletionLog,
  ): Promise<Result<void, ServerError>> {
    return deleteAlias(this.#deps, requester, alias, log)
  }

  localAliases(
    requester: Requester,
    roomId: RoomId,
  ): Promise<Result<readonly RoomAlias[], ServerError>> {
    return localAliases(this.#deps, requester, roomId)
  }

  publicRooms(request: PublicRoomsRequest): Promise<Result<PublicRoomsResponse, ServerError>> {
    return listPublicRooms(this.#deps, request)
  }

  getVisibility(roomId: RoomId): Promise<Result<{ visibility: DirectoryVisibility }, ServerError>> {
    return getVisibility(this.#deps, roomId)
  }

  setVisibility(
    requester: Requester,
    roomId: RoomId,
    visibility: DirectoryVisibility,
  ): Promise<Result<void, ServerError>> {
    return setVisibility(this.#deps, requester, roomId, visibility)
  }

  searchUsers(
    requester: Requester,
    searchTerm: string,
    limit?: number,
  ): Promise<Result<UserDirectoryResponse, ServerError>> {
    return searchUserDirectory(this.#deps, requester, searchTerm, limit)
  }
}

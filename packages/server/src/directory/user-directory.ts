/**
 * `POST /user_directory/search` (client-server-api §User Directory): the local users who share a
 * room with the searcher or are joined to a public or world-readable room, whose user ID or
 * display name has words starting with each word of the search term, case-insensitively.
 * Users of other servers are not searched: that needs federation.
 */
import { err, ok, type Result, type UserId } from '@rhizome/core'
import type { Requester } from '../http/authenticate.js'
import { serverError, type ServerError } from '../http/errors.js'
import { searchWords } from '../storage/engine/profile-search-text.js'
import type { DirectoryDeps } from './directory-deps.js'

/** What a search returns when the request names no limit (the spec's default). */
export const DEFAULT_USER_SEARCH_LIMIT = 10
/** Larger limits are lowered to this, as Synapse does. */
export const MAX_USER_SEARCH_LIMIT = 50
/** Words beyond these are not searched: a term is a name, not a text. */
const MAX_SEARCH_WORDS = 8

export interface UserDirectoryEntry {
  readonly user_id: UserId
  readonly display_name?: string
  readonly avatar_url?: string
}

export interface UserDirectoryResponse {
  readonly results: readonly UserDirectoryEntry[]
  readonly limited: boolean
}

export async function searchUserDirectory(
  deps: DirectoryDeps,
  requester: Requester,
  searchTerm: string,
  limit: number = DEFAULT_USER_SEARCH_LIMIT,
): Promise<Result<UserDirectoryResponse, ServerError>> {
  if (requester.isGuest) {
    return err(serverError('M_GUEST_ACCESS_FORBIDDEN', 'Guests may not search the user directory'))
  }
  const found = await deps.storage.profiles.searchUsers({
    searcher: requester.userId,
    words: searchWords(searchTerm).slice(0, MAX_SEARCH_WORDS),
    limit: Math.min(limit, MAX_USER_SEARCH_LIMIT),
  })
  return ok({
    results: found.users.map((user) => ({
      user_id: user.userId,
      ...(user.displayname === undefined ? {} : { display_name: user.displayname }),
      ...(user.avatarUrl === undefined ? {} : { avatar_url: user.avatarUrl }),
    })),
    limited: found.limited,
  })
}

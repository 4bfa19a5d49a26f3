/**
 * Other servers asking about this server's users and aliases (server-server-api §Querying for
 * information):
 *
 * - `GET /_matrix/federation/v1/query/profile?user_id=&field=`
 * - `GET /_matrix/federation/v1/query/directory?room_alias=`
 *
 * Only this server's users and aliases are answered: another server's are not found here (the
 * asking server should have asked that server).
 */
import {
  err,
  ok,
  parseRoomAlias,
  parseUserId,
  roomAliasServerName,
  userIdServerName,
  type Result,
  type RoomAlias,
  type ServerName,
  type UserId,
} from '@rhizome/core'
import type { DirectoryService } from '../../directory/directory-service.js'
import { defineEndpoint, handle, type Route } from '../../http/endpoint.js'
import { notFound, serverError, type ServerError } from '../../http/errors.js'
import type { ProfileField } from '../../storage/profile-store.js'
import type { ProfileService } from '../../profiles/profile-service.js'

export interface QueryRouteServices {
  readonly config: { readonly serverName: ServerName }
  readonly profiles: Pick<ProfileService, 'getProfile'>
  readonly directory: Pick<DirectoryService, 'resolveAlias'>
}

interface ProfileQuery {
  readonly userId: UserId
  /** Undefined for the whole profile. */
  readonly field: string | undefined
}

function readProfileQuery(query: URLSearchParams): Result<ProfileQuery, ServerError> {
  const raw = query.get('user_id')
  if (raw === null) return err(serverError('M_MISSING_PARAM', 'user_id is required'))
  const userId = parseUserId(raw)
  if (!userId.ok) return err(serverError('M_INVALID_PARAM', `${raw} is not a user ID`))
  return ok({ userId: userId.value, field: query.get('field') ?? undefined })
}

function readAliasQuery(query: URLSearchParams): Result<RoomAlias, ServerError> {
  const raw = query.get('room_alias')
  if (raw === null) return err(serverError('M_MISSING_PARAM', 'room_alias is required'))
  const alias = parseRoomAlias(raw)
  return alias.ok ? alias : err(serverError('M_INVALID_PARAM', `${raw} is not a room alias`))
}

export const queryProfileEndpoint = defineEndpoint({
  method: 'GET',
  paths: ['/_matrix/federation/v1/query/profile'],
  auth: 'federation',
  query: readProfileQuery,
})

export const queryDirectoryEndpoint = defineEndpoint({
  method: 'GET',
  paths: ['/_matrix/federation/v1/query/directory'],
  auth: 'federation',
  query: readAliasQuery,
})

const SERVED_FIELDS: readonly ProfileField[] = ['displayname', 'avatar_url']

export const queryRoutes: readonly Route<QueryRouteServices>[] = [
  handle(queryProfileEndpoint, async ({ query }, { config, profiles }: QueryRouteServices) => {
    if (userIdServerName(query.userId) !== config.serverName) {
      return err(notFound(`${query.userId} is not a user of this server`))
    }
    const profile = await profiles.getProfile(query.userId)
    if (!profile.ok) return profile
    if (query.field === undefined) return ok(profile.value)
    // A field this server does not keep is one the user has not set: it is left out.
    const field = SERVED_FIELDS.find((f) => f === query.field)
    const value = field === undefined ? undefined : profile.value[field]
    return ok(field === undefined || value === undefined ? {} : { [field]: value })
  }),
  handle(queryDirectoryEndpoint, async ({ query }, { config, directory }: QueryRouteServices) => {
    if (roomAliasServerName(query) !== config.serverName) {
      return err(notFound(`${query} is not an alias of this server`))
    }
    return directory.resolveAlias(query)
  }),
]

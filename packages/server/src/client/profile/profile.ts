/**
 * Profiles (client-server-api §Profiles):
 *
 * - `GET /_matrix/client/v3/profile/{userId}`
 * - `GET`, `PUT` and `DELETE /_matrix/client/v3/profile/{userId}/displayname` and `.../avatar_url`
 *
 * Only these two fields are served (the capabilities say so, as `m.profile_fields.allowed`);
 * other `{keyName}`s are not built and answer M_UNRECOGNIZED.
 */
import { err, ok, type JsonObject, type Result } from '@rhizome/core'
import { clientV3Paths, defineEndpoint, handle, type Route } from '../../http/endpoint.js'
import { serverError, type ServerError } from '../../http/errors.js'
import {
  checkProfileValue,
  PROFILE_FIELDS,
  type ProfileField,
} from '../../profiles/profile-fields.js'
import type { ProfileService } from '../../profiles/profile-service.js'
import { userIdParam } from '../id-params.js'

export interface ProfileRouteServices {
  readonly profiles: ProfileService
}

export const getProfileEndpoint = defineEndpoint({
  method: 'GET',
  paths: clientV3Paths('/profile/:userId'),
  auth: 'none',
  params: { userId: userIdParam },
})

export const getProfileRoute = handle(
  getProfileEndpoint,
  ({ params }, { profiles }: ProfileRouteServices) => profiles.getProfile(params.userId),
)

/** `{ [field]: value }`: M_MISSING_PARAM without it, M_INVALID_PARAM for a value it refuses. */
function fieldBody(
  field: ProfileField,
): (body: JsonObject) => Result<string | undefined, ServerError> {
  return (body) => {
    const value = body[field]
    if (value === undefined) return err(serverError('M_MISSING_PARAM', `${field} is required`))
    if (typeof value !== 'string') {
      return err(
        serverError(
          'M_INVALID_PARAM',
          `${field} must be a string (use DELETE to remove the field)`,
        ),
      )
    }
    return checkProfileValue(field, value)
  }
}

function fieldRoutes(field: ProfileField): Route<ProfileRouteServices>[] {
  const paths = clientV3Paths(`/profile/:userId/${field}`)
  const get = defineEndpoint({
    method: 'GET',
    paths,
    auth: 'none',
    params: { userId: userIdParam },
  })
  // A change sends a member event into every joined room: it counts as sending messages.
  const put = defineEndpoint({
    method: 'PUT',
    paths,
    auth: 'required',
    rateLimit: 'profile',
    params: { userId: userIdParam },
    body: fieldBody(field),
  })
  const remove = defineEndpoint({
    method: 'DELETE',
    paths,
    auth: 'required',
    rateLimit: 'profile',
    params: { userId: userIdParam },
  })
  return [
    handle(get, ({ params }, { profiles }: ProfileRouteServices) =>
      profiles.getField(params.userId, field),
    ),
    handle(
      put,
      async ({ params, body, requester, request }, { profiles }: ProfileRouteServices) => {
        const set = await profiles.setField(requester, params.userId, field, body, request.log)
        return set.ok ? ok({}) : set
      },
    ),
    handle(remove, async ({ params, requester, request }, { profiles }: ProfileRouteServices) => {
      const set = await profiles.setField(requester, params.userId, field, undefined, request.log)
      return set.ok ? ok({}) : set
    }),
  ]
}

export const profileRoutes: readonly Route<ProfileRouteServices>[] = [
  getProfileRoute,
  ...PROFILE_FIELDS.flatMap(fieldRoutes),
]

/**
 * `GET /_matrix/client/v3/user/{userId}/rooms/{roomId}/tags`,
 * `PUT`/`DELETE /_matrix/client/v3/user/{userId}/rooms/{roomId}/tags/{tag}` (and r0): the user's
 * tags on a room (client-server-api §Room Tagging). Tags are the room account data of type
 * `m.tag`, `{"tags": {name: {order?}}}`, so they reach the user's other clients through `/sync`
 * (rooms.join.{roomId}.account_data) like any room account data; each change is one atomic
 * read-modify-write, so two tags added at once are both kept.
 */
import {
  err,
  isJsonObject,
  ok,
  utf8ByteLength,
  type JsonObject,
  type Result,
  type UserId,
} from '@rhizome/core'
import type { Requester } from '../../http/authenticate.js'
import { clientV3Paths, defineEndpoint, handle } from '../../http/endpoint.js'
import { badJson, forbidden, serverError, type ServerError } from '../../http/errors.js'
import type { AccountDataStore } from '../../storage/interface.js'
import { userIdParam, roomIdInvalidParam as roomIdParam } from '../id-params.js'

/** What the tag endpoints use of the services. */
export interface TagRouteServices {
  readonly storage: { readonly accountData: AccountDataStore }
}

export const TAG_TYPE = 'm.tag'
/** "The name of a tag MUST NOT exceed 255 bytes." */
const MAX_TAG_BYTES = 255

export function tagParam(raw: string): Result<string, ServerError> {
  if (raw === '') return err(serverError('M_INVALID_PARAM', 'The tag must not be empty'))
  if (utf8ByteLength(raw) > MAX_TAG_BYTES) {
    return err(serverError('M_INVALID_PARAM', 'The tag is over 255 bytes'))
  }
  return ok(raw)
}

/** The tag's object, kept as given; `order`, when there, is a number from 0 to 1. */
export function parseTagBody(body: JsonObject): Result<JsonObject, ServerError> {
  const order = body['order']
  if (order !== undefined && (typeof order !== 'number' || order < 0 || order > 1)) {
    return err(badJson('order must be a number from 0 to 1'))
  }
  return ok(body)
}

/** The tags of an `m.tag` content; anything malformed (set through account data) reads as none. */
export function tagsOf(content: JsonObject | undefined): JsonObject {
  const tags = content?.['tags']
  if (!isJsonObject(tags)) return {}
  // fromEntries defines own properties: a tag named __proto__ stays a tag.
  return Object.fromEntries(Object.entries(tags).filter(([, value]) => isJsonObject(value)))
}

function ownTags(requester: Requester, userId: UserId): Result<void, ServerError> {
  return requester.userId === userId
    ? ok(undefined)
    : err(forbidden("Cannot access another user's tags"))
}

const params = { userId: userIdParam, roomId: roomIdParam }

export const getTagsEndpoint = defineEndpoint({
  method: 'GET',
  paths: clientV3Paths('/user/:userId/rooms/:roomId/tags'),
  auth: 'required',
  params,
})

export const getTagsRoute = handle(
  getTagsEndpoint,
  async ({ params, requester }, { storage }: TagRouteServices) => {
    const allowed = ownTags(requester, params.userId)
    if (!allowed.ok) return allowed
    const content = await storage.accountData.get(params.userId, params.roomId, TAG_TYPE)
    return ok({ tags: tagsOf(content) })
  },
)

export const putTagEndpoint = defineEndpoint({
  method: 'PUT',
  paths: clientV3Paths('/user/:userId/rooms/:roomId/tags/:tag'),
  auth: 'required',
  params: { ...params, tag: tagParam },
  body: parseTagBody,
})

export const putTagRoute = handle(
  putTagEndpoint,
  async ({ params, body, requester }, { storage }: TagRouteServices) => {
    const allowed = ownTags(requester, params.userId)
    if (!allowed.ok) return allowed
    await storage.accountData.update(params.userId, params.roomId, TAG_TYPE, (content) => ({
      ...content,
      tags: { ...tagsOf(content), [params.tag]: body },
    }))
    return ok({})
  },
)

export const deleteTagEndpoint = defineEndpoint({
  method: 'DELETE',
  paths: clientV3Paths('/user/:userId/rooms/:roomId/tags/:tag'),
  auth: 'required',
  params: { ...params, tag: tagParam },
})

export const deleteTagRoute = handle(
  deleteTagEndpoint,
  async ({ params, requester }, { storage }: TagRouteServices) => {
    const allowed = ownTags(requester, params.userId)
    if (!allowed.ok) return allowed
    // Removing a tag that is not there succeeds without a change (nothing to sync).
    await storage.accountData.update(params.userId, params.roomId, TAG_TYPE, (content) => {
      const tags = tagsOf(content)
      if (!Object.hasOwn(tags, params.tag)) return undefined
      const rest = Object.fromEntries(Object.entries(tags).filter(([name]) => name !== params.tag))
      return { ...content, tags: rest }
    })
    return ok({})
  },
)

export const tagRoutes = [getTagsRoute, putTagRoute, deleteTagRoute]

/**
 * `GET /_matrix/federation/v1/hierarchy/{roomId}` (server-server-api §Spaces): a space and its
 * direct children, for another server to build its clients' `/hierarchy` from. No pagination:
 * every child the asking server could peek or join is in one answer.
 *
 * The walk is the client API's (rooms/space-hierarchy.ts) one level deep, seen by a user of the
 * asking server who is in none of this server's rooms: rooms that are `world_readable` or that
 * anyone may join or knock on are shown, and restricted rooms are not (whether some user of the
 * asking server could satisfy their rules is not worked out). Children this server holds but does
 * not show are listed in `inaccessible_children`; children it does not hold are left out, and no
 * other server is asked about them.
 */
import { err, ok, type Result, type RoomId, type ServerName, type UserId } from '@rhizome/core'
import { roomIdInvalidParam } from '../../client/id-params.js'
import { defineEndpoint, handle, type Route } from '../../http/endpoint.js'
import { notFound, serverError, type ServerError } from '../../http/errors.js'
import type { RoomService } from '../../rooms/room-service.js'
import type { SpaceHierarchyRoom } from '../../rooms/space-hierarchy.js'
import type { Storage } from '../../storage/interface.js'

export interface HierarchyRouteServices {
  readonly rooms: Pick<RoomService, 'getHierarchy'>
  readonly storage: { readonly rooms: Pick<Storage['rooms'], 'getRoom'> }
}

/** The most pages of children read for one answer: what one request may cost. */
const MAX_PAGES = 20

function readSuggestedOnly(query: URLSearchParams): Result<boolean, ServerError> {
  const raw = query.get('suggested_only')
  if (raw === null || raw === 'false') return ok(false)
  if (raw === 'true') return ok(true)
  return err(serverError('M_INVALID_PARAM', 'suggested_only must be true or false'))
}

export const federationHierarchyEndpoint = defineEndpoint({
  method: 'GET',
  paths: ['/_matrix/federation/v1/hierarchy/:roomId'],
  auth: 'federation',
  params: { roomId: roomIdInvalidParam },
  query: readSuggestedOnly,
})

/**
 * Who the walk is made for: a user of the asking server with a name no client would pick. Were
 * that server to have such a user in a room here, the answer would show no more than what a user
 * of that same server may see.
 */
function outsiderOf(origin: ServerName): UserId {
  return `@=hierarchy:${origin}` as UserId
}

export const federationHierarchyRoute: Route<HierarchyRouteServices> = handle(
  federationHierarchyEndpoint,
  async ({ params, query, origin }, services: HierarchyRouteServices) => {
    const requester = { userId: outsiderOf(origin), deviceId: undefined, isGuest: false }
    const found: SpaceHierarchyRoom[] = []
    let from: string | undefined
    for (let page = 0; page < MAX_PAGES; page++) {
      const read = await services.rooms.getHierarchy(requester, params.roomId, {
        suggestedOnly: query,
        maxDepth: 1,
        // Another server asks for what this one holds; asking others in turn could loop.
        localOnly: true,
        ...(from === undefined ? {} : { from }),
      })
      if (!read.ok) {
        // The root is unknown or hidden from the asking server: to it, both are "not found".
        return err(notFound(`Room ${params.roomId} is not known here or cannot be joined`))
      }
      found.push(...read.value.rooms)
      from = read.value.next_batch
      if (from === undefined) break
    }
    const [root, ...children] = found
    if (root === undefined || root.room_id !== params.roomId) {
      return err(notFound(`Room ${params.roomId} is not known here or cannot be joined`))
    }
    const shown = new Set<RoomId>(children.map((child) => child.room_id))
    const inaccessible: RoomId[] = []
    for (const child of root.children_state) {
      if (query && child.content['suggested'] !== true) continue
      const roomId = child.state_key as RoomId
      if (shown.has(roomId) || roomId === root.room_id || inaccessible.includes(roomId)) continue
      if ((await services.storage.rooms.getRoom(roomId)) !== undefined) inaccessible.push(roomId)
    }
    return ok({
      room: root,
      // A child's own children are not part of its summary here.
      children: children.map(({ children_state: _children, ...summary }) => summary),
      inaccessible_children: inaccessible,
    })
  },
)

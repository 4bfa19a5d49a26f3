/**
 * The room alias directory (client-server-api §Room aliases): `PUT`, `GET` and `DELETE
 * /directory/room/{roomAlias}` and `GET /rooms/{roomId}/aliases`, over the aliases this server
 * hosts (storage/room-alias-store.ts, which createRoom's `room_alias_name` fills too).
 *
 * Aliases of other servers are resolved by asking their servers over federation (when
 * `remote` is given; otherwise they are not found).
 */
import {
  err,
  ok,
  roomAliasServerName,
  userIdServerName,
  type JsonObject,
  type JsonValue,
  type Result,
  type RoomAlias,
  type RoomId,
  type ServerName,
} from '@rhizome/core'
import type { Requester } from '../http/authenticate.js'
import { forbidden, notFound, serverError, type ServerError } from '../http/errors.js'
import { historyVisibilityOf } from '../rooms/history-visibility.js'
import type { DirectoryDeps } from './directory-deps.js'
import { isServerAdmin, mayModerateDirectory } from './room-moderation.js'

export interface ResolvedAlias {
  readonly room_id: RoomId
  readonly servers: readonly ServerName[]
}

/** Where the canonical alias update after a deletion reports a refusal (a request's logger). */
export interface AliasDeletionLog {
  info(details: object, message: string): void
}

/**
 * Maps a new alias of this server to a room that the requester is joined to (any room, for a
 * server admin). M_INVALID_PARAM for another server's alias, 409 M_UNKNOWN when it is taken (the
 * spec's example), M_NOT_FOUND for a room this server does not know.
 */
export async function createAlias(
  deps: DirectoryDeps,
  requester: Requester,
  alias: RoomAlias,
  roomId: RoomId,
): Promise<Result<void, ServerError>> {
  if (requester.isGuest) {
    return err(serverError('M_GUEST_ACCESS_FORBIDDEN', 'Guests may not create room aliases'))
  }
  if (roomAliasServerName(alias) !== deps.serverName) {
    return err(serverError('M_INVALID_PARAM', `Room aliases here must end in :${deps.serverName}`))
  }
  const { storage } = deps
  if ((await storage.rooms.getRoom(roomId)) === undefined) {
    return err(notFound(`Room ${roomId} is not known to this server`))
  }
  const membership = await storage.rooms.getMembership(roomId, requester.userId)
  if (membership?.membership !== 'join' && !(await isServerAdmin(deps, requester.userId))) {
    return err(forbidden('You must be in the room to create an alias for it'))
  }
  const created = await storage.roomAliases.createAlias({
    alias,
    roomId,
    creator: requester.userId,
    createdTs: deps.now(),
  })
  return created ? ok(undefined) : err(aliasTaken(alias))
}

/** The room an alias of this server points to, and servers that can help join it. */
export async function resolveAlias(
  deps: DirectoryDeps,
  alias: RoomAlias,
): Promise<Result<ResolvedAlias, ServerError>> {
  if (roomAliasServerName(alias) !== deps.serverName) {
    if (deps.remote !== undefined) return deps.remote.resolveAlias(alias)
    return err(notFound(`Room alias ${alias} belongs to another server, which cannot be asked`))
  }
  const record = await deps.storage.roomAliases.getAlias(alias)
  if (record === undefined) return err(notFound(`Room alias ${alias} not found`))
  return ok({ room_id: record.roomId, servers: await serversInRoom(deps, record.roomId) })
}

/**
 * Removes an alias: its creator may, as may the room's moderators and server admins
 * (room-moderation.ts). Then, as the spec's note suggests, the alias is taken out of the room's
 * `m.room.canonical_alias` if the requester may change it; if they may not, the alias is deleted
 * all the same.
 */
export async function deleteAlias(
  deps: DirectoryDeps,
  requester: Requester,
  alias: RoomAlias,
  log: AliasDeletionLog,
): Promise<Result<void, ServerError>> {
  if (roomAliasServerName(alias) !== deps.serverName) {
    return err(notFound(`Room alias ${alias} is not one of this server's`))
  }
  const record = await deps.storage.roomAliases.getAlias(alias)
  if (record === undefined) return err(notFound(`Room alias ${alias} not found`))
  const allowed =
    record.creator === requester.userId ||
    (await mayModerateDirectory(deps, record.roomId, requester.userId))
  if (!allowed) return err(forbidden("You don't have permission to delete the alias"))
  if (!(await deps.storage.roomAliases.deleteAlias(alias))) {
    return err(notFound(`Room alias ${alias} not found`))
  }
  await removeFromCanonicalAlias(deps, requester, record.roomId, alias, log)
  return ok(undefined)
}

/**
 * The room's aliases on this server, for its joined members, anyone when its history is
 * `world_readable`, and server admins; M_FORBIDDEN for everyone else, and for unknown rooms.
 */
export async function localAliases(
  deps: DirectoryDeps,
  requester: Requester,
  roomId: RoomId,
): Promise<Result<readonly RoomAlias[], ServerError>> {
  const { storage } = deps
  const membership = await storage.rooms.getMembership(roomId, requester.userId)
  if (membership?.membership !== 'join') {
    const visibility = await storage.rooms.getCurrentStateEvent(
      roomId,
      'm.room.history_visibility',
      '',
    )
    const readable =
      visibility !== undefined && historyVisibilityOf(visibility.pdu) === 'world_readable'
    if (!readable && !(await isServerAdmin(deps, requester.userId))) {
      return err(forbidden('You are not a member of the room'))
    }
  }
  return ok(await storage.roomAliases.roomAliases(roomId))
}

/** This server first, then the servers of the room's other joined members. */
async function serversInRoom(deps: DirectoryDeps, roomId: RoomId): Promise<ServerName[]> {
  const servers = new Set<ServerName>([deps.serverName])
  for (const member of await deps.storage.rooms.joinedMembers(roomId)) {
    servers.add(userIdServerName(member))
  }
  return [...servers]
}

async function removeFromCanonicalAlias(
  deps: DirectoryDeps,
  requester: Requester,
  roomId: RoomId,
  alias: RoomAlias,
  log: AliasDeletionLog,
): Promise<void> {
  const named = await deps.storage.rooms.getCurrentStateEvent(roomId, 'm.room.canonical_alias', '')
  if (named === undefined || withoutAlias(named.pdu.content, alias) === undefined) return
  const sent = await deps.pipeline.send(
    roomId,
    { type: 'm.room.canonical_alias', stateKey: '', sender: requester.userId, content: {} },
    {
      // Decided again under the room's lock, against the state the event would replace.
      precheck: async (room) => {
        const current = await room.stateEvent('m.room.canonical_alias', '')
        if (current === undefined) return err(notFound('The room has no canonical alias'))
        const content = withoutAlias(current.content, alias)
        return content === undefined
          ? ok({ kind: 'unchanged', eventId: current.eventId })
          : ok({ kind: 'send', content })
      },
    },
  )
  if (!sent.ok) {
    log.info(
      { room_id: roomId, alias, errcode: sent.error.errcode },
      'deleted an alias but could not take it out of the canonical alias event',
    )
  }
}

/** The content without `alias`, or undefined when it does not name it. */
function withoutAlias(content: JsonObject, alias: RoomAlias): JsonObject | undefined {
  const out: Record<string, JsonValue> = { ...content }
  let changed = false
  if (out['alias'] === alias) {
    delete out['alias']
    changed = true
  }
  const alternatives = out['alt_aliases']
  if (Array.isArray(alternatives) && alternatives.includes(alias)) {
    out['alt_aliases'] = alternatives.filter((entry) => entry !== alias)
    changed = true
  }
  return changed ? out : undefined
}

function aliasTaken(alias: RoomAlias): ServerError {
  return serverError('M_UNKNOWN', `Room alias ${alias} already exists`, { status: 409 })
}

/**
 * Room aliases (client-server-api §Room aliases) as rooms use them: resolving `#alias:server` to
 * join, taking one for `createRoom`'s `room_alias_name`, and checking the aliases a new
 * `m.room.canonical_alias` event lists.
 */
import {
  err,
  ok,
  parseRoomAlias,
  roomAliasServerName,
  type JsonObject,
  type JsonValue,
  type Result,
  type RoomAlias,
  type RoomId,
  type UserId,
} from '@rhizome/core'
import { notFound, serverError, type ServerError } from '../http/errors.js'
import type { RoomContext } from './room-context.js'

/** A room named by its ID or by one of its aliases. */
export type RoomTarget =
  | { readonly kind: 'id'; readonly roomId: RoomId }
  | { readonly kind: 'alias'; readonly alias: RoomAlias }

/** A room ID as it is; an alias of this server through its alias directory. */
export async function resolveRoom(
  ctx: RoomContext,
  target: RoomTarget,
): Promise<Result<RoomId, ServerError>> {
  if (target.kind === 'id') return ok(target.roomId)
  if (roomAliasServerName(target.alias) !== ctx.deps.serverName) {
    return err(
      notFound(
        `Room alias ${target.alias} belongs to another server, and looking it up over federation ` +
          'is not supported yet',
      ),
    )
  }
  const record = await ctx.deps.storage.roomAliases.getAlias(target.alias)
  return record === undefined
    ? err(notFound(`Room alias ${target.alias} not found`))
    : ok(record.roomId)
}

/** The alias `room_alias_name` asks for on this server; M_INVALID_PARAM when it cannot be one. */
export function aliasFromLocalpart(
  ctx: RoomContext,
  localpart: string,
): Result<RoomAlias, ServerError> {
  // A colon would make the server name part of the localpart; whitespace is not allowed either.
  if (localpart === '' || /[:\s]/u.test(localpart)) {
    return err(
      serverError('M_INVALID_PARAM', `room_alias_name ${JSON.stringify(localpart)} is not valid`),
    )
  }
  const alias = parseRoomAlias(`#${localpart}:${ctx.deps.serverName}`)
  return alias.ok ? alias : err(serverError('M_INVALID_PARAM', alias.error.error))
}

/** M_ROOM_IN_USE when the alias is taken. */
export async function checkAliasFree(
  ctx: RoomContext,
  alias: RoomAlias,
): Promise<Result<void, ServerError>> {
  const taken = await ctx.deps.storage.roomAliases.getAlias(alias)
  return taken === undefined
    ? ok(undefined)
    : err(serverError('M_ROOM_IN_USE', `Room alias ${alias} is already in use`))
}

/** Maps the alias to the room, or M_ROOM_IN_USE when another request took it first. */
export async function takeAlias(
  ctx: RoomContext,
  alias: RoomAlias,
  roomId: RoomId,
  creator: UserId,
): Promise<Result<void, ServerError>> {
  const created = await ctx.deps.storage.roomAliases.createAlias({
    alias,
    roomId,
    creator,
    createdTs: ctx.deps.now(),
  })
  return created
    ? ok(undefined)
    : err(serverError('M_ROOM_IN_USE', `Room alias ${alias} is already in use`))
}

/**
 * The check client-server-api §PUT .../state asks of `m.room.canonical_alias`: the aliases the
 * new content adds (`alias` and `alt_aliases`, beyond those of `current`) must be valid aliases
 * (M_INVALID_PARAM) that point to this room (M_BAD_ALIAS). Aliases of other servers can only be
 * checked over federation, so they are taken as they are.
 */
export async function checkCanonicalAlias(
  ctx: RoomContext,
  roomId: RoomId,
  content: JsonObject,
  current: JsonObject | undefined,
): Promise<Result<void, ServerError>> {
  const known = new Set(current === undefined ? [] : aliasesIn(current))
  const added: string[] = []
  const alias: JsonValue | undefined = content['alias']
  if (alias !== undefined && alias !== null) {
    if (typeof alias !== 'string') return invalid('alias must be a string')
    added.push(alias)
  }
  const alternatives: JsonValue | undefined = content['alt_aliases']
  if (alternatives !== undefined) {
    if (!Array.isArray(alternatives)) return invalid('alt_aliases must be a list of aliases')
    for (const entry of alternatives as readonly JsonValue[]) {
      if (typeof entry !== 'string') return invalid('alt_aliases must be a list of aliases')
      added.push(entry)
    }
  }
  for (const raw of added) {
    if (known.has(raw)) continue
    const parsed = parseRoomAlias(raw)
    if (!parsed.ok) return invalid(`${raw} is not a valid room alias`)
    if (roomAliasServerName(parsed.value) !== ctx.deps.serverName) continue
    const record = await ctx.deps.storage.roomAliases.getAlias(parsed.value)
    if (record?.roomId !== roomId) {
      return err(serverError('M_BAD_ALIAS', `Room alias ${raw} does not point to ${roomId}`))
    }
  }
  return ok(undefined)
}

function aliasesIn(content: JsonObject): string[] {
  const out: string[] = []
  if (typeof content['alias'] === 'string') out.push(content['alias'])
  const alternatives = content['alt_aliases']
  if (Array.isArray(alternatives)) {
    for (const entry of alternatives as readonly JsonValue[])
      if (typeof entry === 'string') out.push(entry)
  }
  return out
}

function invalid(message: string): Result<never, ServerError> {
  return err(serverError('M_INVALID_PARAM', message))
}

/**
 * Room aliases (appendices §Room Aliases): `#localpart:server_name`, at most 255 bytes, where the
 * localpart may hold any code point but `:` and NUL. The spec does not require it to be non-empty.
 */
import { ok } from '../errors/result.js'
import type { Result } from '../errors/result.js'
import { checkCommonId } from './common-id.js'
import type { RoomAlias, ServerName } from './types.js'

export function parseRoomAlias(raw: string): Result<RoomAlias> {
  const colon = checkCommonId(raw, '#', 'room alias')
  if (!colon.ok) return colon
  return ok(raw as RoomAlias)
}

export function roomAliasLocalpart(alias: RoomAlias): string {
  return alias.slice(1, alias.indexOf(':'))
}

export function roomAliasServerName(alias: RoomAlias): ServerName {
  // parseRoomAlias checked everything after the first ':' as a server name.
  return alias.slice(alias.indexOf(':') + 1) as ServerName
}

/** Parsers for the path parameters, query parameters and body fields the room endpoints share. */
import {
  err,
  isJsonObject,
  ok,
  parseEventId,
  parseRoomAlias,
  parseRoomId,
  parseUserId,
  utf8ByteLength,
  type EventId,
  type JsonObject,
  type JsonValue,
  type Result,
  type RoomId,
  type UserId,
} from '@rhizome/core'
import { badJson, serverError, type ServerError } from '../../http/errors.js'
import type { RoomTarget } from '../../rooms/room-aliases.js'

/** Event types and state keys are at most 255 bytes of UTF-8 (client-server-api §Size limits). */
const MAX_KEY_BYTES = 255
/** Transaction IDs are opaque; this bounds what one may cost to store. */
const MAX_TXN_ID_BYTES = 255

export function roomIdParam(raw: string): Result<RoomId, ServerError> {
  return parseRoomId(raw)
}

export function eventIdParam(raw: string): Result<EventId, ServerError> {
  return parseEventId(raw)
}

export function roomIdOrAliasParam(raw: string): Result<RoomTarget, ServerError> {
  if (raw.startsWith('#')) {
    const alias = parseRoomAlias(raw)
    return alias.ok ? ok({ kind: 'alias', alias: alias.value }) : alias
  }
  const roomId = parseRoomId(raw)
  return roomId.ok ? ok({ kind: 'id', roomId: roomId.value }) : roomId
}

export function eventTypeParam(raw: string): Result<string, ServerError> {
  if (raw === '') return invalidParam('The event type must not be empty')
  if (utf8ByteLength(raw) > MAX_KEY_BYTES) return invalidParam('The event type is over 255 bytes')
  return ok(raw)
}

export function stateKeyParam(raw: string): Result<string, ServerError> {
  if (utf8ByteLength(raw) > MAX_KEY_BYTES) return invalidParam('The state key is over 255 bytes')
  return ok(raw)
}

export function txnIdParam(raw: string): Result<string, ServerError> {
  if (raw === '') return invalidParam('The transaction ID must not be empty')
  if (utf8ByteLength(raw) > MAX_TXN_ID_BYTES) {
    return invalidParam('The transaction ID is over 255 bytes')
  }
  return ok(raw)
}

/** An optional string field of a body: M_BAD_JSON when it has another type. */
export function optionalString(
  body: JsonObject,
  key: string,
): Result<string | undefined, ServerError> {
  const value: JsonValue | undefined = body[key]
  if (value === undefined) return ok(undefined)
  return typeof value === 'string' ? ok(value) : err(badJson(`${key} must be a string`))
}

export function optionalObject(
  body: JsonObject,
  key: string,
): Result<JsonObject | undefined, ServerError> {
  const value: JsonValue | undefined = body[key]
  if (value === undefined) return ok(undefined)
  return isJsonObject(value) ? ok(value) : err(badJson(`${key} must be an object`))
}

/** A required user ID field: M_MISSING_PARAM when absent, M_INVALID_PARAM when malformed. */
export function requiredUserId(body: JsonObject, key: string): Result<UserId, ServerError> {
  const value: JsonValue | undefined = body[key]
  if (value === undefined) return err(serverError('M_MISSING_PARAM', `${key} is required`))
  if (typeof value !== 'string') return err(badJson(`${key} must be a string`))
  return parseUserId(value)
}

/** `{reason?}` bodies of the membership endpoints. */
export function reasonBody(body: JsonObject): Result<{ reason?: string }, ServerError> {
  const reason = optionalString(body, 'reason')
  if (!reason.ok) return reason
  return ok(reason.value === undefined ? {} : { reason: reason.value })
}

/** `{user_id, reason?}` bodies of invite, kick, ban and unban. */
export function targetBody(
  body: JsonObject,
): Result<{ userId: UserId; reason?: string }, ServerError> {
  const userId = requiredUserId(body, 'user_id')
  if (!userId.ok) return userId
  const reason = reasonBody(body)
  if (!reason.ok) return reason
  return ok({ userId: userId.value, ...reason.value })
}

/** The body of a send or state request is the event content as it is. */
export function contentBody(body: JsonObject): Result<JsonObject, ServerError> {
  return ok(body)
}

export function invalidParam(error: string): Result<never, ServerError> {
  return err(serverError('M_INVALID_PARAM', error))
}

/** Path parameters naming users, rooms and events, which several endpoint groups share. */
import {
  err,
  parseEventId,
  parseRoomId,
  parseUserId,
  type EventId,
  type Result,
  type RoomId,
  type UserId,
} from '@rhizome/core'
import { serverError, type ServerError } from '../http/errors.js'

export function userIdParam(raw: string): Result<UserId, ServerError> {
  return parseUserId(raw)
}

/** A room ID whose malformed form is answered M_INVALID_PARAM. */
export function roomIdInvalidParam(raw: string): Result<RoomId, ServerError> {
  return asInvalidParam(parseRoomId(raw))
}

/** An event ID whose malformed form is answered M_INVALID_PARAM. */
export function eventIdInvalidParam(raw: string): Result<EventId, ServerError> {
  return asInvalidParam(parseEventId(raw))
}

/** A user ID whose malformed form is answered M_INVALID_PARAM. */
export function userIdInvalidParam(raw: string): Result<UserId, ServerError> {
  return asInvalidParam(parseUserId(raw))
}

function asInvalidParam<T>(parsed: Result<T, ServerError>): Result<T, ServerError> {
  return parsed.ok ? parsed : err(serverError('M_INVALID_PARAM', parsed.error.error))
}

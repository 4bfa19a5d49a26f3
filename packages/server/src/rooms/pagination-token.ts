/**
 * Tokens for `/messages`, `/context` and `/members?at=`: opaque to clients, a stream position
 * here. A token T stands between the events at positions T and T+1 (see TimelineQuery), so the
 * same token continues a page in either direction. Sync's `prev_batch` uses the same format, so
 * that a client can paginate back from where its sync started. History fetched from other servers
 * sits below zero (RoomWriter.reserveBackfillPositions), so a token may be negative: `t-42`.
 */
import { err, ok, type Result } from '@rhizome/core'
import { serverError, type ServerError } from '../http/errors.js'

const TOKEN = /^t(0|-?[1-9][0-9]{0,15})$/

export function formatTimelineToken(position: number): string {
  return `t${position}`
}

/** The position in a token; M_INVALID_PARAM for anything this server did not hand out. */
export function parseTimelineToken(raw: string, name: string): Result<number, ServerError> {
  const match = TOKEN.exec(raw)
  const position = match?.[1] === undefined ? NaN : Number(match[1])
  if (!Number.isSafeInteger(position)) {
    return err(serverError('M_INVALID_PARAM', `${name} is not a pagination token from this server`))
  }
  return ok(position)
}

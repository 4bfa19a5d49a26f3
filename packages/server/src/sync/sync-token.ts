import { err, type Result } from '@rhizome/core'
import { serverError, type ServerError } from '../http/errors.js'
import { formatTimelineToken, parseTimelineToken } from '../rooms/pagination-token.js'

/**
 * The `/sync` batch token is the pagination token of `/messages` (rooms/pagination-token.ts):
 * `t` and a position of the global stream. A token at position P stands between the events at P
 * and P + 1, so one format serves as `next_batch`, as a timeline's `prev_batch`, and as `from` or
 * `to` for `/messages` (the spec has clients fill a gap with `from=<since>&to=<prev_batch>`). One
 * counter orders everything a sync reports (events, account data, memberships), so one position
 * is the whole token.
 */
export function formatSyncToken(position: number): string {
  if (!Number.isSafeInteger(position) || position < 0) {
    throw new Error(`not a stream position: ${position}`)
  }
  return formatTimelineToken(position)
}

/**
 * Parses `since` strictly: anything this server did not hand out is M_INVALID_PARAM, a position
 * below zero (backfilled history, never a sync's) included.
 */
export function parseSyncToken(raw: string): Result<number, ServerError> {
  const position = parseTimelineToken(raw, 'since')
  if (position.ok && position.value < 0) {
    return err(serverError('M_INVALID_PARAM', 'since is not a sync token from this server'))
  }
  return position
}

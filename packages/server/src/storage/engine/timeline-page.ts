import type { StoredEvent, TimelinePage, TimelineQuery } from '../interface.js'

/**
 * A timeline page from rows read with `LIMIT limit + 1`: the extra row only says whether more
 * events follow, so that the last page has no token (rather than one leading to an empty page).
 * The token continues after the last event going forwards, just below it going backwards.
 */
export function timelinePage(rows: readonly StoredEvent[], query: TimelineQuery): TimelinePage {
  if (rows.length <= query.limit) return { events: rows, next: undefined }
  const events = rows.slice(0, query.limit)
  const last = events[events.length - 1]?.streamPosition
  if (last === undefined) return { events, next: undefined }
  return { events, next: query.direction === 'f' ? last : last - 1 }
}

/**
 * `GET /_matrix/client/v3/sync` (and r0): the client's rooms, their new events and state, and
 * its account data, since an earlier sync or from scratch; long-polls for up to `timeout` ms
 * when there is nothing new (client-server-api §Syncing, §Filtering).
 */
import { err, isJsonObject, ok, parseJson, type Result } from '@rhizome/core'
import { clientV3Paths, defineEndpoint, handle } from '../../http/endpoint.js'
import { badJson, notJson, serverError, type ServerError } from '../../http/errors.js'
import { parseSyncFilter } from '../../sync/filter/sync-filter.js'
import type { SetPresence } from '../../presence/presence-service.js'
import type { FilterChoice, SyncService } from '../../sync/sync-service.js'
import { parseSyncToken } from '../../sync/sync-token.js'

export interface SyncQuery {
  readonly since: number | undefined
  readonly filter: FilterChoice
  readonly fullState: boolean
  readonly timeoutMs: number
  readonly useStateAfter: boolean
  readonly setPresence: SetPresence
}

/** What the sync endpoint uses of the services. */
export interface SyncRouteServices {
  readonly sync: SyncService
}

/** The longest inline filter accepted: a filter is a few names, not a document. */
export const MAX_INLINE_FILTER_LENGTH = 64 * 1024
const SET_PRESENCE: readonly SetPresence[] = ['offline', 'online', 'unavailable']

export function parseSyncQuery(query: URLSearchParams): Result<SyncQuery, ServerError> {
  let since: number | undefined
  const rawSince = query.get('since')
  if (rawSince !== null) {
    const parsed = parseSyncToken(rawSince)
    if (!parsed.ok) return parsed
    since = parsed.value
  }
  const timeout = query.get('timeout')
  // Long digit strings are accepted and capped by the service; anything else is refused.
  if (timeout !== null && !/^[0-9]{1,15}$/.test(timeout)) {
    return invalid('timeout must be a whole number of milliseconds')
  }
  const fullState = flag(query, 'full_state')
  if (!fullState.ok) return fullState
  const useStateAfter = flag(query, 'use_state_after')
  if (!useStateAfter.ok) return useStateAfter
  const rawPresence = query.get('set_presence')
  const setPresence =
    rawPresence === null ? 'online' : SET_PRESENCE.find((value) => value === rawPresence)
  if (setPresence === undefined) {
    return invalid('set_presence must be offline, online or unavailable')
  }
  const filter = parseFilterParam(query.get('filter'))
  if (!filter.ok) return filter
  return ok({
    since,
    filter: filter.value,
    fullState: fullState.value,
    timeoutMs: timeout === null ? 0 : Number(timeout),
    useStateAfter: useStateAfter.value,
    setPresence,
  })
}

/**
 * A filter ID, or inline JSON when the value starts with `{` (the spec's rule). Inline filters are
 * checked here, at the edge; a stored one was checked when it was uploaded.
 */
export function parseFilterParam(raw: string | null): Result<FilterChoice, ServerError> {
  if (raw === null || raw === '') return ok({ kind: 'none' })
  if (!raw.startsWith('{')) return ok({ kind: 'stored', filterId: raw })
  if (raw.length > MAX_INLINE_FILTER_LENGTH) return invalid('filter is too long')
  const json = parseJson(raw)
  if (!json.ok) return err(notJson(`filter is not valid JSON: ${json.error.error}`))
  if (!isJsonObject(json.value)) return err(badJson('filter must be a JSON object'))
  const filter = parseSyncFilter(json.value)
  return filter.ok ? ok({ kind: 'inline', filter: filter.value }) : filter
}

function flag(query: URLSearchParams, name: string): Result<boolean, ServerError> {
  const raw = query.get(name)
  if (raw === null || raw === 'false') return ok(false)
  if (raw === 'true') return ok(true)
  return invalid(`${name} must be true or false`)
}

function invalid(message: string): Result<never, ServerError> {
  return err(serverError('M_INVALID_PARAM', message))
}

export const syncEndpoint = defineEndpoint({
  method: 'GET',
  paths: clientV3Paths('/sync'),
  auth: 'required',
  query: parseSyncQuery,
})

export const syncRoute = handle(
  syncEndpoint,
  ({ query, requester, request }, { sync }: SyncRouteServices) =>
    sync.sync({
      userId: requester.userId,
      deviceId: requester.deviceId,
      ...query,
      // A client that hangs up ends its long-poll, rather than holding a waiter until the timeout.
      signal: request.signal,
    }),
)

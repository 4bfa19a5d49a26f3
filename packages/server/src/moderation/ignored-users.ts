/**
 * The user's `m.ignored_user_list` (client-server-api §Ignoring Users): checked when a client
 * sets it, and read once per request by whatever hides ignored users' events (sync, `/messages`,
 * `/context`).
 */
import {
  err,
  isJsonObject,
  ok,
  parseUserId,
  type JsonObject,
  type Result,
  type UserId,
} from '@rhizome/core'
import { badJson, type ServerError } from '../http/errors.js'
import type { AccountDataRecord, AccountDataStore } from '../storage/interface.js'

export const IGNORED_USER_LIST = 'm.ignored_user_list'

/** Nobody ignored. */
export const NO_IGNORED: ReadonlySet<UserId> = new Set()

/**
 * The content a client may store: `ignored_users`, an object whose keys are user IDs and whose
 * values are objects (empty, by the spec). M_BAD_JSON names the first thing wrong. Other keys are
 * kept, as for any account data.
 */
export function checkIgnoredUserList(content: JsonObject): Result<JsonObject, ServerError> {
  const users = content['ignored_users']
  if (users === undefined) return err(badJson('m.ignored_user_list needs ignored_users'))
  if (!isJsonObject(users)) return err(badJson('ignored_users must be an object'))
  for (const [key, value] of Object.entries(users)) {
    if (!parseUserId(key).ok) return err(badJson(`ignored_users: ${key} is not a user ID`))
    if (!isJsonObject(value)) return err(badJson(`ignored_users: ${key} must map to an object`))
  }
  return ok(content)
}

/**
 * The users that `viewer` ignores, read from stored content without trusting it (it may predate
 * the check above): keys that are no user IDs are skipped. A user never ignores themselves: their
 * own events always reach them.
 */
export function ignoredUsersIn(
  content: JsonObject | undefined,
  viewer: UserId,
): ReadonlySet<UserId> {
  const users = content?.['ignored_users']
  if (users === undefined || !isJsonObject(users)) return NO_IGNORED
  const out = new Set<UserId>()
  for (const key of Object.keys(users)) {
    const parsed = parseUserId(key)
    if (parsed.ok && parsed.value !== viewer) out.add(parsed.value)
  }
  return out.size === 0 ? NO_IGNORED : out
}

/** One indexed read. */
export async function loadIgnoredUsers(
  store: Pick<AccountDataStore, 'get'>,
  viewer: UserId,
): Promise<ReadonlySet<UserId>> {
  return ignoredUsersIn(await store.get(viewer, undefined, IGNORED_USER_LIST), viewer)
}

/**
 * The list as of the latest of `changes` that sets it (global account data, oldest first), or
 * undefined when none does.
 */
export function ignoredUsersFromChanges(
  changes: readonly AccountDataRecord[],
  viewer: UserId,
): ReadonlySet<UserId> | undefined {
  let latest: AccountDataRecord | undefined
  for (const record of changes) {
    if (record.roomId === undefined && record.type === IGNORED_USER_LIST) latest = record
  }
  return latest === undefined ? undefined : ignoredUsersIn(latest.content, viewer)
}

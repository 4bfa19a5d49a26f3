/**
 * Presence between servers (server-server-api §Presence): the `m.presence` EDU, a `push` list of
 * users' presence, sent to the servers of everyone who shares a room with a user of this server
 * when that user's presence changes (and again now and then while it lasts: presence-service.ts).
 * Other servers' pushes are taken for their own users who are in a room this server knows, and
 * stored as local presence is, so clients see them in the presence section of `/sync`.
 */
import { isJsonObject, type JsonObject, type UserId } from '@rhizome/core'
import { userOfOrigin } from '../federation/edu/edu-checks.js'
import type { EduOutbox } from '../federation/edu/edu-outbox.js'
import type { EduHandler } from '../federation/edu/inbound-edus.js'
import type { Logger } from '../logging/logger.js'
import type { RoomStore } from '../storage/interface.js'
import {
  PRESENCE_STATES,
  type PresenceState,
  type PresenceStore,
} from '../storage/presence-store.js'
import {
  presenceContent,
  type PresenceContent,
  type PresenceFederation,
} from './presence-service.js'

export const PRESENCE_EDU = 'm.presence'
/** A status message longer than this is not shown (as the client API's own bound). */
const MAX_STATUS_MSG_LENGTH = 1024

export function presenceEdu(userId: UserId, content: PresenceContent): JsonObject {
  return { push: [{ user_id: userId, ...content }] }
}

/** What the presence service tells, queued for the servers of the user's room mates. */
export function presenceFederation(
  outbox: Pick<EduOutbox, 'serverName' | 'toRoomMates'>,
  now: () => number,
): PresenceFederation {
  return {
    serverName: outbox.serverName,
    send: (record) => {
      outbox.toRoomMates(record.userId, {
        edu_type: PRESENCE_EDU,
        content: presenceEdu(record.userId, presenceContent(record, now())),
      })
    },
  }
}

export interface PresenceEduDeps {
  readonly storage: {
    readonly rooms: Pick<RoomStore, 'roomsForUser'>
    readonly presence: Pick<PresenceStore, 'get' | 'set' | 'touchSyncing'>
  }
  readonly now: () => number
  readonly logger?: Pick<Logger, 'debug'>
}

/**
 * Takes `m.presence` from `origin`: each entry of `push` for a user of that server who is
 * joined to some room this server knows; the others, and malformed entries, are dropped.
 */
export function presenceEduHandler(deps: PresenceEduDeps): EduHandler {
  return async (origin, content) => {
    const push = content['push']
    if (!Array.isArray(push)) {
      deps.logger?.debug({ origin }, 'dropped a malformed m.presence')
      return
    }
    for (const entry of push) {
      if (!isJsonObject(entry)) continue
      const userId = userOfOrigin(entry['user_id'], origin)
      const update = presenceUpdate(entry)
      if (userId === undefined || update === undefined) continue
      const rooms = await deps.storage.rooms.roomsForUser(userId, ['join'])
      if (rooms.length === 0) continue
      await storePresence(deps, userId, update)
    }
  }
}

interface RemotePresence {
  readonly state: PresenceState
  readonly lastActiveAgo: number
  readonly statusMsg: string | undefined
}

function presenceUpdate(entry: JsonObject): RemotePresence | undefined {
  const state = entry['presence']
  const ago = entry['last_active_ago']
  const statusMsg = entry['status_msg']
  if (typeof state !== 'string' || !isPresenceState(state)) return undefined
  if (typeof ago !== 'number' || !Number.isSafeInteger(ago) || ago < 0) return undefined
  if (statusMsg !== undefined && statusMsg !== null && typeof statusMsg !== 'string') {
    return undefined
  }
  return {
    state,
    lastActiveAgo: ago,
    statusMsg:
      typeof statusMsg === 'string' && statusMsg.length <= MAX_STATUS_MSG_LENGTH
        ? statusMsg
        : undefined,
  }
}

function isPresenceState(value: string): value is PresenceState {
  return (PRESENCE_STATES as readonly string[]).includes(value)
}

/**
 * A resend of what this server already shows (same state and message) only records that the
 * user's server is still there: no stream position, nothing for clients to sync.
 */
async function storePresence(
  deps: PresenceEduDeps,
  userId: UserId,
  update: RemotePresence,
): Promise<void> {
  const { presence } = deps.storage
  const now = deps.now()
  const current = await presence.get(userId)
  if (current?.state === update.state && current.statusMsg === update.statusMsg) {
    await presence.touchSyncing([[userId, now]])
    return
  }
  await presence.set(
    userId,
    {
      state: update.state,
      statusMsg: update.statusMsg ?? null,
      lastActiveTs: now - update.lastActiveAgo,
      lastSyncTs: now,
    },
    now,
  )
}

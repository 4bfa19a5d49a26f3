/**
 * The end-to-end encryption EDUs other servers send (server-server-api §Device Management,
 * §Send-to-device messaging, §End-to-End Encryption).
 *
 * This server keeps no copy of other servers' users' device keys: /keys/query and /keys/claim
 * for them ask their servers each time. So an `m.device_list_update` or `m.signing_key_update`
 * needs no `prev_id` bookkeeping; it only records that the user's keys changed, which puts the
 * user in `device_lists.changed` of the local users sharing a room with them (/sync and
 * /keys/changes), and their clients query the keys again.
 *
 * Every EDU must be about a user of the server that sent it; anything else is dropped.
 */
import {
  isJsonObject,
  parseUserId,
  userIdServerName,
  type JsonObject,
  type ServerName,
  type UserId,
} from '@rhizome/core'
import type { Logger } from '../logging/logger.js'
import type { EduHandlers } from '../federation/edu/inbound-edus.js'
import type { ToDeviceRecipient } from '../storage/e2e-key-store.js'
import type { Storage } from '../storage/interface.js'

export interface E2eeEduDeps {
  readonly storage: {
    readonly rooms: Pick<Storage['rooms'], 'roomsForUser' | 'joinedMembers'>
    readonly deviceLists: Pick<Storage['deviceLists'], 'recordRemoteChange'>
    readonly toDevice: Pick<Storage['toDevice'], 'receive'>
  }
  readonly serverName: ServerName
  readonly logger: Pick<Logger, 'debug'>
}

export function e2eeEduHandlers(deps: E2eeEduDeps): EduHandlers {
  const keysChanged =
    (eduType: string) =>
    async (origin: ServerName, content: JsonObject): Promise<void> => {
      const userId = userOf(content['user_id'], origin)
      if (userId === undefined) {
        deps.logger.debug(
          { origin, edu_type: eduType },
          'dropped an EDU about no user of its origin',
        )
        return
      }
      if (eduType === 'm.device_list_update' && typeof content['device_id'] !== 'string') {
        deps.logger.debug({ origin, edu_type: eduType }, 'dropped an EDU without device_id')
        return
      }
      if (!(await sharesRoomWithLocalUser(deps, userId))) {
        deps.logger.debug(
          { origin, edu_type: eduType, user_id: userId },
          'dropped a key update about a user sharing no room with this server',
        )
        return
      }
      await deps.storage.deviceLists.recordRemoteChange([userId])
    }
  return {
    'm.device_list_update': keysChanged('m.device_list_update'),
    'm.signing_key_update': keysChanged('m.signing_key_update'),
    'm.direct_to_device': async (origin, content) => {
      const parsed = parseDirectToDevice(content, origin, deps.serverName)
      if (parsed === undefined) {
        deps.logger.debug({ origin }, 'dropped a malformed m.direct_to_device')
        return
      }
      if (parsed.messages.length === 0) return
      await deps.storage.toDevice.receive(parsed)
    },
  }
}

/** The user ID when it is one and belongs to `origin`. */
function userOf(value: unknown, origin: ServerName): UserId | undefined {
  if (typeof value !== 'string') return undefined
  const parsed = parseUserId(value)
  if (!parsed.ok || userIdServerName(parsed.value) !== origin) return undefined
  return parsed.value
}

/** Whether the user is joined to a room with one of this server's users. */
async function sharesRoomWithLocalUser(deps: E2eeEduDeps, userId: UserId): Promise<boolean> {
  const { rooms } = deps.storage
  for (const membership of await rooms.roomsForUser(userId, ['join'])) {
    const members = await rooms.joinedMembers(membership.roomId)
    if (members.some((m) => userIdServerName(m) === deps.serverName)) return true
  }
  return false
}

export interface DirectToDevice {
  readonly sender: UserId
  readonly type: string
  readonly messageId: string
  /** The messages for this server's users; those for other servers' users are left out. */
  readonly messages: readonly ToDeviceRecipient[]
}

/** Reads an `m.direct_to_device` content; undefined when it is malformed or not from `origin`. */
export function parseDirectToDevice(
  content: JsonObject,
  origin: ServerName,
  ownServer: ServerName,
): DirectToDevice | undefined {
  const sender = userOf(content['sender'], origin)
  const type = content['type']
  const messageId = content['message_id']
  const messages = content['messages']
  if (
    sender === undefined ||
    typeof type !== 'string' ||
    type === '' ||
    typeof messageId !== 'string' ||
    messageId === '' ||
    !isJsonObject(messages)
  ) {
    return undefined
  }
  const recipients: ToDeviceRecipient[] = []
  for (const [user, devices] of Object.entries(messages)) {
    const userId = parseUserId(user)
    if (!userId.ok || userIdServerName(userId.value) !== ownServer) continue
    if (!isJsonObject(devices)) return undefined
    for (const [deviceId, message] of Object.entries(devices)) {
      if (!isJsonObject(message)) return undefined
      recipients.push({ userId: userId.value, deviceId, content: message })
    }
  }
  return { sender, type, messageId, messages: recipients }
}

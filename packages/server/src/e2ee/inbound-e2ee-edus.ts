/**
 * The end-to-end encryption EDUs other servers send (server-server-api §Device Management,
 * §Send-to-device messaging, §End-to-End Encryption).
 *
 * An `m.device_list_update` or `m.signing_key_update` about a user who shares a room with this
 * server's users goes into the user's kept device list (remote-device-lists.ts), which folds it
 * in or, at a gap in `prev_id`, fetches the list again. Then it puts the user in
 * `device_lists.changed` of the local users sharing a room with them (/sync and /keys/changes),
 * whose clients query the keys again.
 *
 * Every EDU must be about a user of the server that sent it; anything else is dropped.
 */
import {
  isJsonObject,
  parseUserId,
  userIdServerName,
  type JsonObject,
  type JsonValue,
  type ServerName,
  type UserId,
} from '@rhizome/core'
import type { Logger } from '../logging/logger.js'
import type { EduHandlers } from '../federation/edu/inbound-edus.js'
import type { RemoteDeviceUpdate, ToDeviceRecipient } from '../storage/e2e-key-store.js'
import type { Storage } from '../storage/interface.js'
import type { RemoteDeviceLists } from './remote-device-lists.js'
import { ownKey, ownsKeys } from './user-devices-answer.js'

/**
 * How long the message ID of another server's to-device message is remembered: a server resends
 * a transaction until it has the answer, which takes minutes, or days when this server was down
 * (and then took nothing in), so a week is plenty.
 */
export const INBOUND_MESSAGE_ID_RETENTION_MS = 7 * 24 * 60 * 60 * 1000

export interface E2eeEduDeps {
  readonly storage: {
    readonly remoteDeviceLists: Pick<Storage['remoteDeviceLists'], 'sharing'>
    readonly deviceLists: Pick<Storage['deviceLists'], 'recordRemoteChange'>
    readonly toDevice: Pick<Storage['toDevice'], 'receive'>
  }
  readonly serverName: ServerName
  readonly now: () => number
  readonly logger: Pick<Logger, 'debug'>
  /** The kept device lists of other servers' users; without it, updates are only recorded. */
  readonly deviceLists?: Pick<RemoteDeviceLists, 'deviceUpdated' | 'signingKeysUpdated'>
}

export function e2eeEduHandlers(deps: E2eeEduDeps): EduHandlers {
  /** The user when the EDU may be taken: theirs, about a user sharing a room with ours. */
  const subject = async (
    origin: ServerName,
    eduType: string,
    value: JsonValue | undefined,
  ): Promise<UserId | undefined> => {
    const userId = userOf(value, origin)
    if (userId === undefined) {
      deps.logger.debug({ origin, edu_type: eduType }, 'dropped an EDU about no user of its origin')
      return undefined
    }
    const sharing = await deps.storage.remoteDeviceLists.sharing([userId], `:${deps.serverName}`)
    if (!sharing.has(userId)) {
      deps.logger.debug(
        { origin, edu_type: eduType, user_id: userId },
        'dropped a key update about a user sharing no room with this server',
      )
      return undefined
    }
    return userId
  }
  return {
    'm.device_list_update': async (origin, content) => {
      const userId = await subject(origin, 'm.device_list_update', content['user_id'])
      if (userId === undefined) return
      const update = parseDeviceListUpdate(userId, content)
      if (update === undefined) {
        deps.logger.debug({ origin, user_id: userId }, 'dropped a malformed m.device_list_update')
        return
      }
      await deps.deviceLists?.deviceUpdated(update)
      await deps.storage.deviceLists.recordRemoteChange([userId])
    },
    'm.signing_key_update': async (origin, content) => {
      const userId = await subject(origin, 'm.signing_key_update', content['user_id'])
      if (userId === undefined) return
      const master = ownKey(userId, content['master_key'])
      const selfSigning = ownKey(userId, content['self_signing_key'])
      if (master !== undefined || selfSigning !== undefined) {
        await deps.deviceLists?.signingKeysUpdated(userId, master, selfSigning)
      }
      await deps.storage.deviceLists.recordRemoteChange([userId])
    },
    'm.direct_to_device': async (origin, content) => {
      const parsed = parseDirectToDevice(content, origin, deps.serverName, deps.now())
      if (parsed === undefined) {
        deps.logger.debug({ origin }, 'dropped a malformed m.direct_to_device')
        return
      }
      if (parsed.messages.length === 0) return
      await deps.storage.toDevice.receive(parsed)
    },
  }
}

/**
 * An `m.device_list_update`'s content, or undefined when a field has the wrong type: `device_id`
 * and an integer `stream_id` are required; `keys`, when present, must be the device's own.
 */
export function parseDeviceListUpdate(
  userId: UserId,
  content: JsonObject,
): RemoteDeviceUpdate | undefined {
  const deviceId = content['device_id']
  const streamId = content['stream_id']
  const prevId = content['prev_id'] ?? []
  const deleted = content['deleted'] ?? false
  const keys = content['keys']
  const name = content['device_display_name']
  if (
    typeof deviceId !== 'string' ||
    deviceId === '' ||
    typeof streamId !== 'number' ||
    !Number.isSafeInteger(streamId) ||
    !Array.isArray(prevId) ||
    !prevId.every((id) => typeof id === 'number' && Number.isSafeInteger(id)) ||
    typeof deleted !== 'boolean' ||
    (keys !== undefined && !(isJsonObject(keys) && ownsKeys(keys, userId, deviceId))) ||
    (name !== undefined && typeof name !== 'string')
  ) {
    return undefined
  }
  return {
    userId,
    deviceId,
    streamId,
    prevIds: prevId as number[],
    deleted,
    keys,
    displayName: name,
  }
}

/** The user ID when it is one and belongs to `origin`. */
function userOf(value: unknown, origin: ServerName): UserId | undefined {
  if (typeof value !== 'string') return undefined
  const parsed = parseUserId(value)
  if (!parsed.ok || userIdServerName(parsed.value) !== origin) return undefined
  return parsed.value
}

export interface DirectToDevice {
  readonly sender: UserId
  readonly type: string
  readonly messageId: string
  readonly receivedTs: number
  /** The messages for this server's users; those for other servers' users are left out. */
  readonly messages: readonly ToDeviceRecipient[]
}

/** Reads an `m.direct_to_device` content; undefined when it is malformed or not from `origin`. */
export function parseDirectToDevice(
  content: JsonObject,
  origin: ServerName,
  ownServer: ServerName,
  receivedTs: number,
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
  return { sender, type, messageId, receivedTs, messages: recipients }
}

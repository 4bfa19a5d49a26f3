/**
 * The EDUs this server sends so that other servers' clients can encrypt for its users
 * (server-server-api §Device Management, §Send-to-device messaging, §End-to-End Encryption):
 * `m.device_list_update`, `m.signing_key_update` and `m.direct_to_device`. Pure builders; which
 * servers get them is e2ee-federation.ts's business.
 */
import { createHash } from 'node:crypto'
import { userIdServerName, type JsonObject, type ServerName, type UserId } from '@rhizome/core'
import type { OutboundEdu } from '../federation/sender/federation-sender.js'
import type { OutboundStreamIds } from '../storage/e2e-key-store.js'

/** One device of a local user that changed: new or replaced keys, or deleted. */
export type DeviceChange =
  | {
      readonly deviceId: string
      readonly deleted: false
      /** The device keys as another server sees them (signatures merged, no `unsigned`). */
      readonly keys: JsonObject
      readonly displayName: string | undefined
    }
  | { readonly deviceId: string; readonly deleted: true }

/**
 * One `m.device_list_update` per changed device, in order, each under the next stream ID. The
 * first names the user's previous update as its `prev_id`, each later one the update before it,
 * so that a receiver can tell whether it missed one.
 */
export function deviceListUpdates(
  userId: UserId,
  changes: readonly DeviceChange[],
  streamIds: OutboundStreamIds,
): OutboundEdu[] {
  return changes.map((change, i) => {
    const streamId = streamIds.ids[i]
    if (streamId === undefined) throw new Error('fewer stream IDs than device changes')
    const previous = i === 0 ? streamIds.previous : streamIds.ids[i - 1]
    const content: JsonObject = {
      user_id: userId,
      device_id: change.deviceId,
      stream_id: streamId,
      prev_id: previous === undefined ? [] : [previous],
      ...(change.deleted
        ? { deleted: true }
        : {
            keys: change.keys,
            ...(change.displayName === undefined
              ? {}
              : { device_display_name: change.displayName }),
          }),
    }
    return { edu_type: 'm.device_list_update', content }
  })
}

/** The `m.signing_key_update` for a user's current master and self-signing keys. */
export function signingKeyUpdate(
  userId: UserId,
  master: JsonObject | undefined,
  selfSigning: JsonObject | undefined,
): OutboundEdu {
  return {
    edu_type: 'm.signing_key_update',
    content: {
      user_id: userId,
      ...(master === undefined ? {} : { master_key: master }),
      ...(selfSigning === undefined ? {} : { self_signing_key: selfSigning }),
    },
  }
}

/**
 * One `m.direct_to_device` per server of the recipients (this server's own users left out), each
 * with the messages for that server's users.
 */
export function directToDeviceEdus(
  ownServer: ServerName,
  sender: UserId,
  type: string,
  messageId: string,
  messages: ReadonlyMap<UserId, ReadonlyMap<string, JsonObject>>,
): Map<ServerName, OutboundEdu> {
  const byServer = new Map<ServerName, Record<string, JsonObject>>()
  for (const [userId, devices] of messages) {
    const server = userIdServerName(userId)
    if (server === ownServer) continue
    const forServer = byServer.get(server) ?? {}
    forServer[userId] = Object.fromEntries(devices)
    byServer.set(server, forServer)
  }
  return new Map(
    [...byServer].map(([server, forServer]) => [
      server,
      {
        edu_type: 'm.direct_to_device',
        content: { sender, type, message_id: messageId, messages: forServer },
      },
    ]),
  )
}

/**
 * The `message_id` of the EDUs for one /sendToDevice transaction: the same for a retried
 * transaction, so that the receiver delivers it only once, and unguessable across devices.
 */
export function toDeviceMessageId(sender: UserId, deviceId: string, txnId: string): string {
  return createHash('sha256')
    .update(JSON.stringify([sender, deviceId, txnId]))
    .digest('base64url')
    .slice(0, 32)
}

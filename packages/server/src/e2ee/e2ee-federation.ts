/**
 * Tells other servers about this server's users' devices and keys, and carries their to-device
 * messages (server-server-api §Device Management, §Send-to-device messaging): the EDUs of
 * outbound-e2ee-edus.ts, queued on the durable federation queue.
 *
 * Device list and signing key updates go to every server with a user joined to a room the user
 * is joined to. They are a courtesy: a server that misses one learns of it from the next update's
 * `prev_id`, or asks /user/devices when the user first shares a room with its users. So a failure
 * to queue them is logged, never handed to the client whose request caused them.
 */
import { userIdServerName, type JsonObject, type ServerName, type UserId } from '@rhizome/core'
import type { Logger } from '../logging/logger.js'
import type { FederationSender } from '../federation/sender/federation-sender.js'
import type { Storage } from '../storage/interface.js'
import {
  deviceListUpdates,
  directToDeviceEdus,
  signingKeyUpdate,
  type DeviceChange,
} from './outbound-e2ee-edus.js'

export interface E2eeFederationDeps {
  readonly storage: {
    readonly rooms: Pick<Storage['rooms'], 'roomsForUser' | 'joinedMembers'>
    readonly deviceLists: Pick<Storage['deviceLists'], 'nextOutboundStreamIds'>
  }
  readonly serverName: ServerName
  readonly sender: Pick<FederationSender, 'enqueueEdu'>
  readonly logger: Pick<Logger, 'warn'>
}

export class E2eeFederation {
  readonly #deps: E2eeFederationDeps

  constructor(deps: E2eeFederationDeps) {
    this.#deps = deps
  }

  /** The other servers with a user joined to one of the user's joined rooms. */
  async serversSharingRoomsWith(userId: UserId): Promise<ServerName[]> {
    const { rooms } = this.#deps.storage
    const joined = await rooms.roomsForUser(userId, ['join'])
    const members = await Promise.all(joined.map((m) => rooms.joinedMembers(m.roomId)))
    const servers = new Set(members.flat().map((member) => userIdServerName(member)))
    servers.delete(this.#deps.serverName)
    return [...servers].sort()
  }

  /** Queues an `m.device_list_update` per changed device of a local user. Never rejects. */
  async devicesChanged(userId: UserId, changes: readonly DeviceChange[]): Promise<void> {
    if (changes.length === 0) return
    await this.#courtesy(userId, 'm.device_list_update', async (servers) => {
      const ids = await this.#deps.storage.deviceLists.nextOutboundStreamIds(userId, changes.length)
      for (const edu of deviceListUpdates(userId, changes, ids)) {
        await this.#deps.sender.enqueueEdu(servers, edu)
      }
    })
  }

  /** Queues an `m.device_list_update` with `deleted` per device. Never rejects. */
  devicesDeleted(userId: UserId, deviceIds: readonly string[]): Promise<void> {
    return this.devicesChanged(
      userId,
      deviceIds.map((deviceId) => ({ deviceId, deleted: true })),
    )
  }

  /** Queues an `m.signing_key_update` with the local user's current keys. Never rejects. */
  async signingKeysChanged(
    userId: UserId,
    master: JsonObject | undefined,
    selfSigning: JsonObject | undefined,
  ): Promise<void> {
    await this.#courtesy(userId, 'm.signing_key_update', (servers) =>
      this.#deps.sender.enqueueEdu(servers, signingKeyUpdate(userId, master, selfSigning)),
    )
  }

  /**
   * Queues one `m.direct_to_device` per server of the recipients. Unlike the updates above, a
   * failure rejects: the client is told, and retries the transaction under the same message ID.
   */
  async sendToDevice(
    sender: UserId,
    type: string,
    messageId: string,
    messages: ReadonlyMap<UserId, ReadonlyMap<string, JsonObject>>,
  ): Promise<void> {
    const edus = directToDeviceEdus(this.#deps.serverName, sender, type, messageId, messages)
    for (const [server, edu] of edus) await this.#deps.sender.enqueueEdu([server], edu)
  }

  async #courtesy(
    userId: UserId,
    eduType: string,
    send: (servers: readonly ServerName[]) => Promise<void>,
  ): Promise<void> {
    try {
      const servers = await this.serversSharingRoomsWith(userId)
      if (servers.length > 0) await send(servers)
    } catch (error) {
      this.#deps.logger.warn(
        { err: error, user_id: userId, edu_type: eduType },
        'could not queue a key update for other servers',
      )
    }
  }
}

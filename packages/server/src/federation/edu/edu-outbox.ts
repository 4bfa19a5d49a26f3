/**
 * Typing notices, read receipts and presence of this server's users, queued for the other
 * servers that should see them (server-server-api §Typing Notifications, §Receipts, §Presence).
 *
 * The local change is committed before it gets here, and the client that made it is not kept
 * waiting for federation: finding the destinations and queuing the EDU run beside the request.
 * An EDU is best-effort, so a failure is logged and the change stays local. What is under way is
 * tracked, so that closing the server waits for it rather than cutting it off mid-write.
 */
import { userIdServerName, type RoomId, type ServerName, type UserId } from '@rhizome/core'
import type { Logger } from '../../logging/logger.js'
import type { RoomStore } from '../../storage/interface.js'
import type { FederationSender, OutboundEdu } from '../sender/federation-sender.js'

export interface EduOutboxDeps {
  readonly storage: { readonly rooms: Pick<RoomStore, 'joinedMembers' | 'roomsForUser'> }
  readonly serverName: ServerName
  readonly sender: Pick<FederationSender, 'enqueueEdu'>
  readonly logger: Pick<Logger, 'warn'>
}

export class EduOutbox {
  readonly #deps: EduOutboxDeps
  readonly #pending = new Set<Promise<void>>()

  constructor(deps: EduOutboxDeps) {
    this.#deps = deps
  }

  get serverName(): ServerName {
    return this.#deps.serverName
  }

  /** Whether the user is one of this server's (only their changes go out). */
  isLocal(userId: UserId): boolean {
    return userIdServerName(userId) === this.#deps.serverName
  }

  /** To the servers of the room's joined members. */
  toRoom(roomId: RoomId, edu: OutboundEdu): void {
    this.#run(edu, async () => this.#others(await this.#deps.storage.rooms.joinedMembers(roomId)))
  }

  /** To the servers of everyone who shares a room with the user. */
  toRoomMates(userId: UserId, edu: OutboundEdu): void {
    this.#run(edu, async () => {
      const { rooms } = this.#deps.storage
      const memberships = await rooms.roomsForUser(userId, ['join'])
      const members = await Promise.all(memberships.map((m) => rooms.joinedMembers(m.roomId)))
      return this.#others(members.flat())
    })
  }

  /** Resolves once everything queued so far has been handed to the sender (or failed). */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending])
  }

  #run(edu: OutboundEdu, destinations: () => Promise<readonly ServerName[]>): void {
    const work = (async (): Promise<void> => {
      const servers = await destinations()
      if (servers.length > 0) await this.#deps.sender.enqueueEdu(servers, edu)
    })()
      .catch((error: unknown) => {
        this.#deps.logger.warn(
          { err: error, edu_type: edu.edu_type },
          'could not queue an EDU for other servers',
        )
      })
      .finally(() => {
        this.#pending.delete(work)
      })
    this.#pending.add(work)
  }

  #others(members: readonly UserId[]): ServerName[] {
    const servers = new Set(members.map(userIdServerName))
    servers.delete(this.#deps.serverName)
    return [...servers].sort()
  }
}

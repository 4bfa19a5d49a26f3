/**
 * Typing notices between servers (server-server-api §Typing Notifications): the `m.typing` EDU,
 * `{room_id, user_id, typing}`, sent to the servers of the room's joined members when a user of
 * this server starts, refreshes or stops a notice (or it expires), and taken from other servers
 * for their own users in rooms this server is in.
 */
import type { JsonObject, RoomId, ServerName, UserId } from '@rhizome/core'
import { membersHere, roomIdOf, userOfOrigin } from '../federation/edu/edu-checks.js'
import type { EduOutbox } from '../federation/edu/edu-outbox.js'
import type { EduHandler } from '../federation/edu/inbound-edus.js'
import type { Logger } from '../logging/logger.js'
import type { RoomStore } from '../storage/interface.js'
import type { TypingFederation, TypingService } from './typing-service.js'

export const TYPING_EDU = 'm.typing'

export function typingEdu(roomId: RoomId, userId: UserId, typing: boolean): JsonObject {
  return { room_id: roomId, user_id: userId, typing }
}

/** What the typing service tells, queued for the servers of the room. */
export function typingFederation(outbox: Pick<EduOutbox, 'isLocal' | 'toRoom'>): TypingFederation {
  return {
    isLocal: (userId) => outbox.isLocal(userId),
    send: (roomId, userId, typing) => {
      outbox.toRoom(roomId, { edu_type: TYPING_EDU, content: typingEdu(roomId, userId, typing) })
    },
  }
}

export interface TypingEduDeps {
  readonly storage: { readonly rooms: Pick<RoomStore, 'joinedMembers'> }
  readonly serverName: ServerName
  readonly typing: Pick<TypingService, 'setRemoteTyping'>
  readonly logger?: Pick<Logger, 'debug'>
}

/** Takes `m.typing` from `origin`: its own user, joined to a room this server is in. */
export function typingEduHandler(deps: TypingEduDeps): EduHandler {
  return async (origin, content) => {
    const roomId = roomIdOf(content['room_id'])
    const userId = userOfOrigin(content['user_id'], origin)
    const typing = content['typing']
    if (roomId === undefined || userId === undefined || typeof typing !== 'boolean') {
      deps.logger?.debug({ origin }, 'dropped a malformed m.typing')
      return
    }
    const members = await membersHere(deps.storage.rooms, deps.serverName, roomId)
    if (members?.has(userId) !== true) {
      deps.logger?.debug({ origin, room_id: roomId }, 'dropped m.typing of a user not joined here')
      return
    }
    await deps.typing.setRemoteTyping(roomId, userId, typing)
  }
}

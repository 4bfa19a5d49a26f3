/**
 * `PUT /_matrix/client/v3/rooms/{roomId}/typing/{userId}` (and r0): the user started or stopped
 * typing (client-server-api §Typing Notifications). The notice reaches the room's members through
 * `/sync` (rooms.join.{roomId}.ephemeral) and ends at its timeout.
 */
import { err, ok, type JsonObject, type JsonValue, type Result } from '@rhizome/core'
import { clientV3Paths, defineEndpoint, handle } from '../../http/endpoint.js'
import { badJson, serverError, type ServerError } from '../../http/errors.js'
import type { TypingRequest, TypingService } from '../../typing/typing-service.js'
import { roomIdParam } from '../rooms/params.js'
import { userIdParam } from '../id-params.js'

/** What the typing endpoint uses of the services. */
export interface TypingRouteServices {
  readonly typing: TypingService
}

/** `{typing, timeout?}`: the timeout in whole milliseconds; capped by the service. */
export function parseTypingBody(body: JsonObject): Result<TypingRequest, ServerError> {
  const typing: JsonValue | undefined = body['typing']
  if (typing === undefined) return err(serverError('M_MISSING_PARAM', 'typing is required'))
  if (typeof typing !== 'boolean') return err(badJson('typing must be true or false'))
  const timeout: JsonValue | undefined = body['timeout']
  if (timeout === undefined || (!typing && timeout === null)) {
    return ok({ typing, timeoutMs: undefined })
  }
  if (typeof timeout !== 'number' || !Number.isSafeInteger(timeout) || timeout < 0) {
    return err(badJson('timeout must be a whole number of milliseconds'))
  }
  return ok({ typing, timeoutMs: timeout })
}

export const typingEndpoint = defineEndpoint({
  method: 'PUT',
  paths: clientV3Paths('/rooms/:roomId/typing/:userId'),
  auth: 'required',
  rateLimit: 'typing',
  params: { roomId: roomIdParam, userId: userIdParam },
  body: parseTypingBody,
})

export const typingRoute = handle(
  typingEndpoint,
  async ({ params, body, requester }, { typing }: TypingRouteServices) => {
    const set = await typing.setTyping(requester, params.userId, params.roomId, body)
    return set.ok ? ok({}) : set
  },
)

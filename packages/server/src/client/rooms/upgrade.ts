/** `POST /_matrix/client/v3/rooms/{roomId}/upgrade` (client-server-api §Room Upgrades). */
import {
  err,
  ok,
  parseUserId,
  type JsonObject,
  type JsonValue,
  type Result,
  type UserId,
} from '@rhizome/core'
import { clientV3Paths, defineEndpoint, handle } from '../../http/endpoint.js'
import { badJson, serverError, type ServerError } from '../../http/errors.js'
import type { UpgradeRequest } from '../../rooms/room-upgrade.js'
import { invalidParam, roomIdParam } from './params.js'
import type { RoomServices } from './room-services.js'

export function upgradeBody(body: JsonObject): Result<UpgradeRequest, ServerError> {
  const version: JsonValue | undefined = body['new_version']
  if (version === undefined) return err(serverError('M_MISSING_PARAM', 'new_version is required'))
  if (typeof version !== 'string') return err(badJson('new_version must be a string'))
  const listed: JsonValue | undefined = body['additional_creators']
  if (listed === undefined) return ok({ newVersion: version, additionalCreators: [] })
  if (!Array.isArray(listed)) return err(badJson('additional_creators must be a list of user IDs'))
  const additionalCreators: UserId[] = []
  for (const entry of listed as readonly JsonValue[]) {
    if (typeof entry !== 'string') return err(badJson('additional_creators must hold strings'))
    const user = parseUserId(entry)
    if (!user.ok) return invalidParam(`additional_creators: ${entry} is not a user ID`)
    additionalCreators.push(user.value)
  }
  return ok({ newVersion: version, additionalCreators })
}

export const upgrade = defineEndpoint({
  method: 'POST',
  paths: clientV3Paths('/rooms/:roomId/upgrade'),
  auth: 'required',
  params: { roomId: roomIdParam },
  body: upgradeBody,
})

export const upgradeRoute = handle(
  upgrade,
  async ({ params, body, requester }, { rooms }: RoomServices) => {
    const upgraded = await rooms.upgrade(requester, params.roomId, body)
    return upgraded.ok ? ok({ replacement_room: upgraded.value }) : upgraded
  },
)

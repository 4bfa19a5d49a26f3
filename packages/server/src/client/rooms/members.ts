/** `GET /_matrix/client/v3/rooms/{roomId}/members` (client-server-api §Getting events for a room). */
import { ok, type Result } from '@rhizome/core'
import { clientV3Paths, defineEndpoint, handle } from '../../http/endpoint.js'
import type { ServerError } from '../../http/errors.js'
import { parseTimelineToken } from '../../rooms/pagination-token.js'
import type { MembersQuery } from '../../rooms/room-state.js'
import { invalidParam, roomIdParam } from './params.js'
import type { RoomServices } from './room-services.js'

const MEMBERSHIPS: readonly string[] = ['join', 'invite', 'knock', 'leave', 'ban']

export function parseMembersQuery(query: URLSearchParams): Result<MembersQuery, ServerError> {
  const out: { at?: number; membership?: string; notMembership?: string } = {}
  const at = query.get('at')
  if (at !== null) {
    const position = parseTimelineToken(at, 'at')
    if (!position.ok) return position
    out.at = position.value
  }
  for (const [param, key] of [
    ['membership', 'membership'],
    ['not_membership', 'notMembership'],
  ] as const) {
    const value = query.get(param)
    if (value === null) continue
    if (!MEMBERSHIPS.includes(value)) {
      return invalidParam(`${param} must be one of ${MEMBERSHIPS.join(', ')}`)
    }
    out[key] = value
  }
  return ok(out)
}

export const membersEndpoint = defineEndpoint({
  method: 'GET',
  paths: clientV3Paths('/rooms/:roomId/members'),
  auth: 'required',
  params: { roomId: roomIdParam },
  query: parseMembersQuery,
})

export const membersRoute = handle(
  membersEndpoint,
  async ({ params, query, requester }, { rooms }: RoomServices) => {
    const members = await rooms.getMembers(requester, params.roomId, query)
    return members.ok ? ok({ chunk: members.value }) : members
  },
)

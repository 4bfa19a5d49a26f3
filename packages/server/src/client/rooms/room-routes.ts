import type { Route } from '../../http/endpoint.js'
import { banRoute } from './ban.js'
import { contextRoute } from './context.js'
import { createRoomRoute } from './create-room.js'
import { forgetRoute } from './forget.js'
import { getEventRoute } from './get-event.js'
import { getStateRoute } from './get-state.js'
import { hierarchyRoute } from './hierarchy.js'
import { knockRoute } from './knock.js'
import { upgradeRoute } from './upgrade.js'
import { getEmptyKeyStateEventRoute, getStateEventRoute } from './get-state-event.js'
import { inviteRoute } from './invite.js'
import { joinByIdOrAliasRoute, joinRoomByIdRoute } from './join.js'
import { joinedMembersRoute } from './joined-members.js'
import { joinedRoomsRoute } from './joined-rooms.js'
import { kickRoute } from './kick.js'
import { leaveRoute } from './leave.js'
import { membersRoute } from './members.js'
import { messagesRoute } from './messages.js'
import { putEmptyKeyStateEventRoute, putStateEventRoute } from './put-state-event.js'
import { redactRoute } from './redact.js'
import { relationsRoutes, threadsRoute } from './relations.js'
import { searchRoute } from './search.js'
import type { RoomServices } from './room-services.js'
import { sendEventRoute } from './send-event.js'
import { unbanRoute } from './unban.js'

/** The room endpoints of the client-server API. */
export const roomRoutes: readonly Route<RoomServices>[] = [
  createRoomRoute,
  joinByIdOrAliasRoute,
  joinRoomByIdRoute,
  inviteRoute,
  leaveRoute,
  forgetRoute,
  knockRoute,
  upgradeRoute,
  hierarchyRoute,
  kickRoute,
  banRoute,
  unbanRoute,
  sendEventRoute,
  redactRoute,
  getEventRoute,
  getStateRoute,
  getStateEventRoute,
  getEmptyKeyStateEventRoute,
  putStateEventRoute,
  putEmptyKeyStateEventRoute,
  joinedRoomsRoute,
  membersRoute,
  joinedMembersRoute,
  messagesRoute,
  contextRoute,
  ...relationsRoutes,
  threadsRoute,
  searchRoute,
]

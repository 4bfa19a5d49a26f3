/**
 * The membership handshakes other than joins (server-server-api §Knocking upon a room,
 * §Inviting to a room, §Leaving Rooms (Rejecting Invites)):
 * `GET /_matrix/federation/v1/make_leave/{roomId}/{userId}`,
 * `PUT /_matrix/federation/v2/send_leave/{roomId}/{eventId}`,
 * `GET /_matrix/federation/v1/make_knock/{roomId}/{userId}`,
 * `PUT /_matrix/federation/v1/send_knock/{roomId}/{eventId}` and
 * `PUT /_matrix/federation/v2/invite/{roomId}/{eventId}`.
 * The v1 invite (deprecated, for servers of rooms v1-v2) is not served: it answers M_UNRECOGNIZED,
 * as does the v1 send_leave, which the spec no longer has.
 */
import { defineEndpoint, handle } from '../../http/endpoint.js'
import type { Storage } from '../../storage/interface.js'
import { eventIdParam, roomIdParam } from '../../client/rooms/params.js'
import { userIdInvalidParam } from '../../client/id-params.js'
import { receiveInvite } from './invite-receiver.js'
import { anyObject, versionsQuery } from './join-routes.js'
import type { ResidentDeps } from './resident-handshake.js'
import { makeKnock, sendKnock } from './resident-knock.js'
import { makeLeave, sendLeave } from './resident-leave.js'

export interface MembershipRouteServices {
  readonly residentJoin: ResidentDeps
  readonly storage: Storage
}

const makeLeaveEndpoint = defineEndpoint({
  method: 'GET',
  paths: ['/_matrix/federation/v1/make_leave/:roomId/:userId'],
  auth: 'federation',
  params: { roomId: roomIdParam, userId: userIdInvalidParam },
})

const sendLeaveEndpoint = defineEndpoint({
  method: 'PUT',
  paths: ['/_matrix/federation/v2/send_leave/:roomId/:eventId'],
  auth: 'federation',
  params: { roomId: roomIdParam, eventId: eventIdParam },
  body: anyObject,
})

const makeKnockEndpoint = defineEndpoint({
  method: 'GET',
  paths: ['/_matrix/federation/v1/make_knock/:roomId/:userId'],
  auth: 'federation',
  params: { roomId: roomIdParam, userId: userIdInvalidParam },
  query: versionsQuery,
})

const sendKnockEndpoint = defineEndpoint({
  method: 'PUT',
  paths: ['/_matrix/federation/v1/send_knock/:roomId/:eventId'],
  auth: 'federation',
  params: { roomId: roomIdParam, eventId: eventIdParam },
  body: anyObject,
})

const inviteEndpoint = defineEndpoint({
  method: 'PUT',
  paths: ['/_matrix/federation/v2/invite/:roomId/:eventId'],
  auth: 'federation',
  params: { roomId: roomIdParam, eventId: eventIdParam },
  body: anyObject,
})

export const membershipRoutes = [
  handle(makeLeaveEndpoint, ({ origin, params }, { residentJoin }: MembershipRouteServices) =>
    makeLeave(residentJoin, origin, params.roomId, params.userId),
  ),
  handle(sendLeaveEndpoint, ({ origin, params, body }, { residentJoin }: MembershipRouteServices) =>
    sendLeave(residentJoin, origin, params.roomId, params.eventId, body),
  ),
  handle(
    makeKnockEndpoint,
    ({ origin, params, query }, { residentJoin }: MembershipRouteServices) =>
      makeKnock(residentJoin, origin, params.roomId, params.userId, query),
  ),
  handle(sendKnockEndpoint, ({ origin, params, body }, { residentJoin }: MembershipRouteServices) =>
    sendKnock(residentJoin, origin, params.roomId, params.eventId, body),
  ),
  handle(inviteEndpoint, ({ origin, params, body }, services: MembershipRouteServices) =>
    receiveInvite(
      { ...services.residentJoin, storage: services.storage },
      origin,
      params.roomId,
      params.eventId,
      body,
    ),
  ),
]

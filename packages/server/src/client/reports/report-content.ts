/**
 * `POST /_matrix/client/v3/rooms/{roomId}/report/{eventId}`,
 * `POST /_matrix/client/v3/rooms/{roomId}/report` (v1.13) and
 * `POST /_matrix/client/v3/users/{userId}/report` (v1.14), and r0: reporting content
 * (client-server-api §Reporting Content). Each is rate limited per reporter.
 */
import { err, ok, type JsonObject, type Result, type ServerName } from '@rhizome/core'
import { clientV3Paths, defineEndpoint, handle } from '../../http/endpoint.js'
import { badJson, serverError, type ServerError } from '../../http/errors.js'
import {
  reportEvent,
  reportRoom,
  reportUser,
  type ReportDeps,
  type ReportRequest,
} from '../../moderation/content-reports.js'
import type { RoomService } from '../../rooms/room-service.js'
import { eventIdParam, roomIdParam } from '../rooms/params.js'
import { userIdInvalidParam as userIdParam } from '../id-params.js'

/** What the report endpoints use of the services. */
export interface ReportRouteServices {
  readonly storage: ReportDeps['storage']
  readonly rooms: Pick<RoomService, 'getEvent'>
  readonly config: { readonly serverName: ServerName }
  readonly now: () => number
}

/** An event report's body: `reason` is optional. */
export function parseEventReportBody(json: JsonObject): Result<ReportRequest, ServerError> {
  return readReport(json, false)
}

/** A room or user report's body: `reason` is required, and may be blank. */
export function parseReasonRequiredBody(json: JsonObject): Result<ReportRequest, ServerError> {
  return readReport(json, true)
}

function readReport(json: JsonObject, reasonRequired: boolean): Result<ReportRequest, ServerError> {
  const reason = json['reason']
  if (reason === undefined && reasonRequired) {
    return err(serverError('M_MISSING_PARAM', 'reason is required (it may be blank)'))
  }
  if (reason !== undefined && typeof reason !== 'string') {
    return err(badJson('reason must be a string'))
  }
  // Spec v1.18 removed `score`; older clients still send it, and a valid one is kept for the
  // admins. Anything else under that name is a key the spec no longer defines, and is ignored.
  const score = json['score']
  const validScore =
    typeof score === 'number' && Number.isSafeInteger(score) && score >= -100 && score <= 0
  return ok({ reason, score: validScore ? score : undefined })
}

function deps(services: ReportRouteServices): ReportDeps {
  return {
    storage: services.storage,
    rooms: services.rooms,
    serverName: services.config.serverName,
    now: services.now,
  }
}

export const reportEventEndpoint = defineEndpoint({
  method: 'POST',
  paths: clientV3Paths('/rooms/:roomId/report/:eventId'),
  auth: 'required',
  rateLimit: 'report',
  params: { roomId: roomIdParam, eventId: eventIdParam },
  body: parseEventReportBody,
})

export const reportEventRoute = handle(
  reportEventEndpoint,
  ({ params, body, requester, request }, services: ReportRouteServices) =>
    reportEvent(deps(services), requester, params.roomId, params.eventId, body, request.log),
)

export const reportRoomEndpoint = defineEndpoint({
  method: 'POST',
  paths: clientV3Paths('/rooms/:roomId/report'),
  auth: 'required',
  rateLimit: 'report',
  params: { roomId: roomIdParam },
  body: parseReasonRequiredBody,
})

export const reportRoomRoute = handle(
  reportRoomEndpoint,
  ({ params, body, requester, request }, services: ReportRouteServices) =>
    reportRoom(deps(services), requester, params.roomId, body, request.log),
)

export const reportUserEndpoint = defineEndpoint({
  method: 'POST',
  paths: clientV3Paths('/users/:userId/report'),
  auth: 'required',
  rateLimit: 'report',
  params: { userId: userIdParam },
  body: parseReasonRequiredBody,
})

export const reportUserRoute = handle(
  reportUserEndpoint,
  ({ params, body, requester, request }, services: ReportRouteServices) =>
    reportUser(deps(services), requester, params.userId, body, request.log),
)

export const reportRoutes = [reportEventRoute, reportRoomRoute, reportUserRoute]

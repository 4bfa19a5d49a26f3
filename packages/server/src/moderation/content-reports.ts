/**
 * Reporting content (client-server-api §Reporting Content): events, rooms and users, stored for
 * the server's administrators and logged as they arrive.
 */
import {
  err,
  ok,
  parseUserId,
  userIdServerName,
  type EventId,
  type Result,
  type RoomId,
  type ServerName,
  type UserId,
} from '@rhizome/core'
import type { Requester } from '../http/authenticate.js'
import { notFound, type ServerError } from '../http/errors.js'
import type { RoomService } from '../rooms/room-service.js'
import type { Storage } from '../storage/interface.js'
import type { ReportTarget } from '../storage/report-store.js'

/** A report as the client sent it. */
export interface ReportRequest {
  readonly reason: string | undefined
  /** The `score` that clients older than spec v1.18 send, when it is one (-100 to 0). */
  readonly score: number | undefined
}

export interface ReportDeps {
  readonly storage: Pick<Storage, 'reports' | 'rooms' | 'accounts'>
  readonly rooms: Pick<RoomService, 'getEvent'>
  readonly serverName: ServerName
  readonly now: () => number
}

/** Where a report is logged: the request's logger. */
export interface ReportLog {
  info(fields: object, message: string): void
}

/**
 * An event report. The reporter must be joined to the room now (spec v1.8) and able to see the
 * event; otherwise, and for an event that does not exist, the answer is the same 404, so that a
 * report cannot tell anyone whether an event they may not see exists.
 */
export async function reportEvent(
  deps: ReportDeps,
  requester: Requester,
  roomId: RoomId,
  eventId: EventId,
  request: ReportRequest,
  log: ReportLog,
): Promise<Result<Record<string, never>, ServerError>> {
  const hidden = notFound('The event was not found or you are not joined to the room')
  const membership = await deps.storage.rooms.getMembership(roomId, requester.userId)
  if (membership?.membership !== 'join') return err(hidden)
  const event = await deps.rooms.getEvent(requester, roomId, eventId)
  if (!event.ok) return err(hidden)
  const sender = event.value['sender']
  const parsedSender = typeof sender === 'string' ? parseUserId(sender) : undefined
  if (parsedSender === undefined || !parsedSender.ok) return err(hidden)
  return store(
    deps,
    requester,
    { kind: 'event', roomId, eventId, sender: parsedSender.value },
    request,
    log,
  )
}

/** A room report: any room this server knows, whether or not the reporter is in it (v1.13). */
export async function reportRoom(
  deps: ReportDeps,
  requester: Requester,
  roomId: RoomId,
  request: ReportRequest,
  log: ReportLog,
): Promise<Result<Record<string, never>, ServerError>> {
  if ((await deps.storage.rooms.getRoom(roomId)) === undefined) {
    return err(notFound('The room was not found'))
  }
  return store(deps, requester, { kind: 'room', roomId }, request, log)
}

/**
 * A user report: whether or not the reporter shares a room with them (v1.14). A user of this
 * server must exist; one of another server cannot be checked without federation and is taken on
 * trust.
 */
export async function reportUser(
  deps: ReportDeps,
  requester: Requester,
  userId: UserId,
  request: ReportRequest,
  log: ReportLog,
): Promise<Result<Record<string, never>, ServerError>> {
  if (
    userIdServerName(userId) === deps.serverName &&
    (await deps.storage.accounts.getUser(userId)) === undefined
  ) {
    return err(notFound('The user was not found'))
  }
  return store(deps, requester, { kind: 'user', userId }, request, log)
}

async function store(
  deps: ReportDeps,
  requester: Requester,
  target: ReportTarget,
  request: ReportRequest,
  log: ReportLog,
): Promise<Result<Record<string, never>, ServerError>> {
  const id = await deps.storage.reports.add({
    reporter: requester.userId,
    target,
    reason: request.reason,
    score: request.score,
    receivedTs: deps.now(),
  })
  // What was reported and by whom; the reason is the reporter's words and stays in the database.
  log.info({ reportId: id, reporter: requester.userId, ...target }, `${target.kind} reported`)
  return ok({})
}
